"""Speakers of quotations that run over several sentences.

'"They are held in proper conditions ... law. / The prisoners do not speak ... /
At the time of his capture, ...," he said.' names its speaker only in the last
sentence; a quotation standing alone right after an attributed one ('... Kirby
said. / "These soldiers appear ..."') continues that speaker's quote, and so does
every sentence of a quotation its speaker opens ('A source said: "Every day
counts. / "It is clear ...').
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
    opened: Attributed | None = None  # an attributed clause that opens a quotation
    for clause in clauses:
        marks = clause.text.count('"')
        if opened is not None and marks == 0:
            opened = None  # no mark: the quotation ended without its closing one
        if opened is not None:
            _share([clause], opened)
            if marks % 2 == 1 and not clause.text.lstrip().startswith('"'):
                opened = None  # the quotation closes here
        elif waiting:
            waiting.append(clause)
            if marks % 2 == 1:  # the quotation closes here
                _share(waiting, clause)
                waiting = []
        elif _opens(clause, marks):
            opened = clause
        elif marks % 2 == 1 and clause.text.lstrip().startswith('"'):
            waiting = [clause]
        elif _is_whole_quote(clause) and previous is not None and '"' in previous.text:
            _share([clause], previous)
        previous = clause


def _opens(clause: Attributed, marks: int) -> bool:
    """'X said: "Every day counts.': attributed, and a quotation left open."""
    text = clause.text.strip()
    return clause.speaker is not None and marks % 2 == 1 and not text.startswith('"')


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
