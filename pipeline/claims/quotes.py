"""Speakers of quotations that run over several sentences.

'"They are held in proper conditions ... law. / The prisoners do not speak ... /
At the time of his capture, ...," he said.' names its speaker only in the last
sentence; a quotation standing alone right after an attributed one ('... Kirby
said. / "These soldiers appear ..."') continues that speaker's quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas import Speaker


@dataclass
class Attributed:
    """What the quote rules read and write for one clause."""

    text: str
    speaker: Speaker | None
    cue: str | None


def attribute_quotations(clauses: Sequence[Attributed]) -> None:
    """Fills in the speaker (and cue) of unattributed clauses inside a quotation."""
    waiting: list[Attributed] = []
    previous: Attributed | None = None
    for clause in clauses:
        marks = clause.text.count('"')
        if waiting:
            waiting.append(clause)
            if marks % 2 == 1:  # the quotation closes here
                _share(waiting, clause)
                waiting = []
        elif marks % 2 == 1 and clause.text.lstrip().startswith('"'):
            waiting = [clause]
        elif _is_whole_quote(clause) and previous is not None and '"' in previous.text:
            _share([clause], previous)
        previous = clause


def _share(clauses: Sequence[Attributed], source: Attributed) -> None:
    if source.speaker is None:
        return
    for clause in clauses:
        if clause.speaker is None:
            clause.speaker, clause.cue = source.speaker, source.cue


def _is_whole_quote(clause: Attributed) -> bool:
    text = clause.text.strip()
    return (
        clause.speaker is None
        and text.startswith('"')
        and text.rstrip(".").endswith('"')
        and text.count('"') == 2
    )
