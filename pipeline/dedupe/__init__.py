"""The dedupe stage's logic: exact and near-duplicate articles, repeated sentences.

Pure and synchronous; no Kafka here. Two steps, as the agents run them:
``fingerprint`` (or ``fingerprint_record``) computes an article's evidence in the
process pool; ``DedupeIndex.decide`` judges it against every earlier article, one
article at a time, in the order of the decision log. ``newsline extract`` calls the
same two, with an in-memory index (a dict and a ``pipeline.state.OrderedKeys``).

Modules: ``minhash`` (shingle hashes, signatures, LSH band keys), ``fingerprint``,
``records`` (what the index stores, under which keys), ``index``.
"""

from pipeline.dedupe.fingerprint import fingerprint, fingerprint_record
from pipeline.dedupe.index import DedupeIndex

__all__ = ["DedupeIndex", "fingerprint", "fingerprint_record"]
