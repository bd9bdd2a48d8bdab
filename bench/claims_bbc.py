"""The claims stage against the labelled BBC News articles (bench/labels/bbc-claims,
rules in docs/labelling.md): precision and recall per field, on two splits.

Every fourth labelled article (in name order, from the fourth) is held out: report
it, do not tune on it. The dev split is also scored in its three folds (articles
1, 2 and 3 of every four), to show how far a figure varies across articles. The
stage runs in this process, as the pool runs it.

    .venv/bin/python bench/claims_bbc.py [--json FILE] [--errors KIND --split dev]

``--errors`` prints the dev split's disagreements of one kind (claim, speaker,
figure, date, hedge) with their sentences, read from the corpus: what to study
when changing the stage. Do not study the held-out split.

Per split it prints:

- claims: sentence level, a sentence being a claim when the stage finds any claim in
  it; precision, recall, F1;
- speaker: on sentences both call claims, the share whose speaker is right (the
  label's name and the found one share their last word), missing (labelled, none
  found), spurious (found, none labelled), type right where both name one, and via
  right (the speaker right and a word of the channel's name in the label's)
  where the label names a channel;
- figures: a found figure is right when a labelled figure of its sentence has the
  same low and high (to 0.1%); precision, recall, F1; also with the unit right, and
  money recall (labelled figures in a currency found with value and currency);
- dates: labelled dates whose value the article states, found with that value (or
  as an end of a found interval);
- hedged: on sentences both call claims, the share where hedged agrees.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from label_sentences import BBC, sentence_hash

from pipeline.claims.record import claims_records
from pipeline.clients.corpus import plan
from pipeline.codec import encode
from pipeline.ingest import ingest_record
from pipeline.nlp import load_models
from pipeline.settings import Settings
from schemas import Claim, EnrichedArticle, Quantity

LABELS = Path(__file__).resolve().parent / "labels" / "bbc-claims"
HELD_OUT_EVERY = 4
#: The splits, then the dev split's three folds (articles 1, 2 and 3 of every four):
#: how much a figure moves from one part of the dev split to another.
COLUMNS = ("dev", "held-out", "dev 1", "dev 2", "dev 3")
CURRENCIES = {"USD", "GBP", "EUR", "JPY", "RUB", "CNY", "HKD", "INR", "CHF", "AUD"}
_UNIT_NAMES = {"percent": "%", "per cent": "%"}


@dataclass
class Tally:
    """Counts for one split."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, name: str, value: int = 1) -> None:
        self.counts[name] += value

    def ratio(self, part: str, whole: str) -> float:
        return (
            self.counts[part] / self.counts[whole] if self.counts[whole] else math.nan
        )

    def report(self) -> dict[str, float]:
        precision = self.ratio("claim_tp", "claim_found")
        recall = self.ratio("claim_tp", "claim_labelled")
        figure_p = self.ratio("figure_found_right", "figure_found")
        figure_r = self.ratio("figure_labelled_found", "figure_labelled")
        return {
            "articles": self.counts["articles"],
            "sentences": self.counts["sentences"],
            "claim precision": precision,
            "claim recall": recall,
            "claim F1": _f1(precision, recall),
            "speaker right": self.ratio("speaker_right", "speaker_both_claim"),
            "speaker missing": self.ratio("speaker_missing", "speaker_labelled"),
            "speaker spurious": self.ratio("speaker_spurious", "speaker_found"),
            "speaker type right": self.ratio("type_right", "type_both"),
            "speaker via right": self.ratio("via_right", "via_labelled"),
            "figure precision": figure_p,
            "figure recall": figure_r,
            "figure F1": _f1(figure_p, figure_r),
            "figure recall, unit too": self.ratio(
                "figure_unit_found", "figure_labelled"
            ),
            "money recall": self.ratio("money_found", "money_labelled"),
            "date accuracy": self.ratio("date_right", "date_labelled"),
            "hedged agrees": self.ratio("hedge_right", "hedge_both_claim"),
        }


def _f1(precision: float, recall: float) -> float:
    if math.isnan(precision) or math.isnan(recall) or precision + recall == 0:
        return math.nan
    return 2 * precision * recall / (precision + recall)


def label_files() -> list[Path]:
    return sorted(LABELS.glob("*.jsonl"))


def split_of(position: int) -> str:
    return "held-out" if position % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else "dev"


def corpus_file(label: Path) -> Path:
    category, number = label.stem.rsplit("-", 1)
    return BBC / category / f"{number}.txt"


def articles(labels: Sequence[Path], settings: Settings) -> Iterator[EnrichedArticle]:
    """The labelled articles with their claims, as the claims stage gives them."""
    ingested = []
    for label in labels:
        [record] = list(plan([corpus_file(label)]))
        article = ingest_record(record.value, limits=settings.ingest)
        assert isinstance(article, EnrichedArticle), article
        ingested.append(article)
    for result in claims_records([encode(a) for a in ingested]):
        assert isinstance(result, EnrichedArticle), result
        yield result


#: The disagreements ``--errors`` prints, each as (kind, sentence text, what).
Errors = list[tuple[str, str, str]]


def score(
    label: Path, article: EnrichedArticle, tally: Tally, errors: Errors | None = None
) -> None:
    by_hash = {sentence_hash(s.text): s.index for s in article.sentences}
    texts = {s.index: s.text for s in article.sentences}
    found: dict[int, list[Claim]] = {}
    for claim in article.claims:
        found.setdefault(claim.sentence_index, []).append(claim)
    tally.add("articles")
    for line in label.read_text(encoding="utf-8").splitlines():
        labelled = json.loads(line)
        tally.add("sentences")
        index = by_hash.get(labelled["h"])
        claims = found.get(index, []) if index is not None else []
        before = Counter(tally.counts)
        _score_sentence(labelled, claims, tally)
        if errors is not None and index is not None:
            wrong = _disagreements(labelled, claims, tally.counts - before)
            errors += [(kind, texts[index], what) for kind, _, what in wrong]


def _disagreements(
    labelled: dict[str, Any], claims: list[Claim], added: Counter[str]
) -> Errors:
    """What one sentence's scoring counted wrong, to print with its text."""
    found = [
        f"{c.speaker.name if c.speaker else None}"
        f"/{c.speaker.type if c.speaker else None}"
        f" hedged={c.hedged}"
        f" q={[(q.text, q.low, q.high, q.unit) for q in c.quantities]}"
        f" d={[(d.text, d.value) for d in c.dates]}"
        for c in claims
    ]
    wanted = (
        f"claim={labelled['claim']} speaker={labelled['speaker']}"
        f" hedged={labelled['hedged']}"
    )
    out: Errors = []
    if (
        added["claim_labelled"] != added["claim_tp"]
        or added["claim_found"] != added["claim_tp"]
    ):
        out.append(("claim", "", f"labelled {wanted}; found {found}"))
    if added["speaker_both_claim"] and not added["speaker_right"]:
        out.append(("speaker", "", f"labelled {labelled['speaker']}; found {found}"))
    if added["via_labelled"] and not added["via_right"]:
        out.append(("speaker", "", f"via: labelled {labelled['speaker']}; {found}"))
    if added["type_both"] and not added["type_right"]:
        out.append(("speaker", "", f"type: labelled {labelled['speaker']}; {found}"))
    if (
        added["figure_labelled"] != added["figure_labelled_found"]
        or added["figure_found"] != added["figure_found_right"]
        or added["figure_unit_found"] != added["figure_labelled"]
    ):
        out.append(("figure", "", f"labelled {labelled['figures']}; found {found}"))
    if added["date_labelled"] != added["date_right"]:
        out.append(("date", "", f"labelled {labelled['dates']}; found {found}"))
    if added["hedge_both_claim"] and not added["hedge_right"]:
        out.append(("hedge", "", f"labelled {labelled['hedges']}; found {found}"))
    return out


def _score_sentence(
    labelled: dict[str, Any], claims: list[Claim], tally: Tally
) -> None:
    is_claim = bool(claims)
    tally.add("claim_labelled", labelled["claim"])
    tally.add("claim_found", is_claim)
    tally.add("claim_tp", labelled["claim"] and is_claim)
    if labelled["claim"] and is_claim:
        _score_speaker(labelled["speaker"], claims[0], tally)
        tally.add("hedge_both_claim")
        tally.add("hedge_right", labelled["hedged"] == any(c.hedged for c in claims))
    quantities = _unique_quantities(claims)
    _score_figures(labelled["figures"], quantities, tally)
    dates = [d.value for c in claims for d in c.dates if d.value]
    for date in labelled["dates"]:
        if date["value"]:
            tally.add("date_labelled")
            tally.add("date_right", any(_within(date["value"], v) for v in dates))


def _within(labelled: str, found: str) -> bool:
    """Whether a found value names the labelled date: the same, or more precise,
    or an interval ("2005/2007") with it at one end."""
    return any(end.startswith(labelled) for end in found.split("/"))


def _score_speaker(labelled: dict[str, Any] | None, claim: Claim, tally: Tally) -> None:
    tally.add("speaker_both_claim")
    found = claim.speaker
    tally.add("speaker_labelled", labelled is not None)
    tally.add("speaker_found", found is not None)
    if labelled is None:
        tally.add("speaker_right", found is None)
        tally.add("speaker_spurious", found is not None)
        return
    if found is None:
        tally.add("speaker_missing")
        return
    right = _last_word(found.name) in _words(labelled["name"])
    tally.add("speaker_right", right)
    if right:
        tally.add("type_both")
        tally.add("type_right", found.type == labelled["type"])
    if labelled.get("via"):
        tally.add("via_labelled")
        names = _words(found.via or "") - _OUTLET_WORDS
        tally.add("via_right", right and bool(names & _words(labelled["via"])))


#: Words that say "a news outlet" and not which one.
_OUTLET_WORDS = {"the", "news", "agency", "newspaper", "'s"}

#: Trimmed from a name's words: punctuation and quotes, the typographic one too.
_TRIM = ".,'\u2019"


def _words(name: str) -> set[str]:
    return {w.strip(_TRIM).lower() for w in name.replace("'s", "").split()}


def _last_word(name: str) -> str:
    words = name.replace("'s", "").split()
    return words[-1].strip(_TRIM).lower() if words else ""


def _unique_quantities(claims: list[Claim]) -> list[Quantity]:
    # Overlapping clauses of one sentence can repeat a figure.
    seen: dict[tuple[str, float | None, float | None], Quantity] = {}
    for claim in claims:
        for quantity in claim.quantities:
            seen.setdefault((quantity.text, quantity.low, quantity.high), quantity)
    return list(seen.values())


def _score_figures(
    labelled: list[dict[str, Any]], found: list[Quantity], tally: Tally
) -> None:
    tally.add("figure_labelled", len(labelled))
    tally.add("figure_found", len(found))
    tally.add(
        "figure_found_right", sum(any(_same(q, f) for f in labelled) for q in found)
    )
    for figure in labelled:
        matches = [q for q in found if _same(q, figure)]
        tally.add("figure_labelled_found", bool(matches))
        unit_too = any(_unit(q.unit) == figure["unit"] for q in matches)
        tally.add("figure_unit_found", unit_too)
        if figure["unit"] in CURRENCIES:
            tally.add("money_labelled")
            tally.add("money_found", unit_too)


def _same(found: Quantity, labelled: dict[str, Any]) -> bool:
    return _close(found.low, labelled["low"]) and _close(found.high, labelled["high"])


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-9)


def _unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    unit = _UNIT_NAMES.get(unit, unit)
    return unit[:-1] if unit.endswith("s") and unit.isalpha() else unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--errors",
        choices=("claim", "speaker", "figure", "date", "hedge"),
        help="print the dev split's disagreements of this kind",
    )
    args = parser.parse_args()
    errors: Errors = []
    settings = Settings()
    load_models()
    labels = label_files()
    tallies = {name: Tally() for name in COLUMNS}
    for position, (label, article) in enumerate(
        zip(labels, articles(labels, settings), strict=True)
    ):
        split = split_of(position)
        wanted = errors if args.errors and split == "dev" else None
        score(label, article, tallies[split], wanted)
        if split == "dev":
            score(label, article, tallies[f"dev {position % HELD_OUT_EVERY + 1}"])
    reports = {name: tally.report() for name, tally in tallies.items()}
    print(f"{'':28} " + " ".join(f"{name:>9}" for name in COLUMNS))
    for name in reports["dev"]:
        row = [reports[column][name] for column in COLUMNS]
        print(
            f"{name:28} "
            + " ".join(f"{v:9.3f}" if isinstance(v, float) else f"{v:9d}" for v in row)
        )
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1), encoding="utf-8")
    for kind, text, what in errors:
        if kind == args.errors:
            print(f"\n{text}\n  {what}")


if __name__ == "__main__":
    main()
