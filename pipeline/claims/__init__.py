"""The claims stage's logic: attributed, hedged, quantified claims per article.

Pure and synchronous; no Kafka here. The claims agent and ``newsline extract``
run ``claims_record`` (``record``: one ``articles.deduped`` record in, the article
with its claims out; a pool chunk is parsed in one pass) in a process pool whose
initializer loads the model; ``reuse`` hands a word-for-word copy of a recent
article its original's claims instead.

Modules, in the order a sentence meets them: ``candidates`` (text prefilter),
``model`` (spaCy), ``parse`` (the model in two passes: syntax, then entities only
where a rule reads them) with ``ruler`` (the model's attribute rules as a lookup
table), ``attribution`` and ``speakers`` (who says it), ``quotes``
(speakers of multi-sentence quotations), ``assertion`` (is it a claim),
``hedging``, ``quantities`` and ``numbers``, ``dates``, ``checkworthiness``
(weights in ``checkworthiness_weights``); ``stage`` ties them. Word lists live in
``lexicon``.
"""

from pipeline.claims.model import load_model
from pipeline.claims.record import claims_record
from pipeline.claims.stage import claim_id, extract_claims

__all__ = ["claim_id", "claims_record", "extract_claims", "load_model"]
