"""The corroborate stage's logic: the same fact across outlets, and its figures.

Pure and synchronous; no Kafka here. ``Corroborator.corroborate`` places each claim
of an article in the clusters with a member close enough in the story window
(merging them when it links several), or founds one, and compares each figure
with the earlier figures that count the same thing. The agent calls it one
article at a time, in the order of the one decision log; ``newsline extract``
calls it with a dict and an ``OrderedKeys``.

Modules: ``terms`` (stemmed, masked words), ``figures`` (what a figure counts),
``profile`` (claim similarity), ``compare`` (figure relations), ``records`` (what
is stored where), ``decision`` (one article's placements), ``corroborator``,
``merges`` (following merged clusters, as readers do). The settings are
``pipeline.settings.CorroborateSettings``.
"""

from pipeline.corroborate.corroborator import Corroboration, Corroborator, publishable
from pipeline.corroborate.merges import heir
from pipeline.settings import CorroborateSettings

__all__ = [
    "CorroborateSettings",
    "Corroboration",
    "Corroborator",
    "heir",
    "publishable",
]
