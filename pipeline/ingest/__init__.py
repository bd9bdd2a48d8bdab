"""The ingest stage's logic: validate, extract, normalise, split, label.

Pure and synchronous; no Kafka here. ``agents/ingest.py`` and ``newsline extract``
call ``ingest_record`` (or ``ingest_article``) in a process pool.

Modules, in the order a record meets them: ``record`` (bytes to RawArticle),
``binary`` (binary data posing as text), ``html`` (trafilatura extraction),
``normalise``, ``sentences``, ``boilerplate``, ``language``; ``stage`` ties them.
"""

from pipeline.ingest.language import load_identifier
from pipeline.ingest.stage import ingest_article, ingest_record

__all__ = ["ingest_article", "ingest_record", "load_identifier"]
