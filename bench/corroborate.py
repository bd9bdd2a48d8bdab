"""Corroborate grouping quality on labelled claim pairs, and its decision time.

    .venv/bin/python bench/corroborate.py

Two pair sets, both scored as pairwise precision/recall of "in the same cluster":

- Seeds: the seed corpus through ingest, dedupe, claims and corroborate, in file
  order, as the service runs it. The claims below are labelled by a reader into
  groups that state the same fact (named by source and the start of their text);
  every pair of labelled claims is a same-fact pair (same group) or a different-fact
  pair. Claims that mix two facts in one sentence are left unlabelled.
- Edits: sentences of our own and paraphrase-style edits of them (synonym swaps,
  active/passive, reordering, other figures), each against its original, and
  against sentences about a different fact of the same story. Each pair goes
  through ingest and claims, then a fresh corroborator, original first.

Decision time: the seed claims, one article at a time, over the whole run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pipeline.claims import extract_claims
from pipeline.corroborate import CorroborateSettings, Corroborator, heir
from pipeline.corroborate.meaning import meaning
from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.ingest import ingest_record
from pipeline.settings import DedupeSettings, IngestLimits
from pipeline.state import OrderedKeys
from schemas import Claim, EnrichedArticle
from schemas.corroborate import ClaimCluster
from schemas.dedupe import DedupeRequest

ROOT = Path(__file__).resolve().parents[1]
SEEN_AT = datetime(2025, 1, 13, tzinfo=UTC)

#: Same-fact groups among the seed claims: (source prefix, start of the claim text).
SEED_GROUPS: dict[str, list[tuple[str, str]]] = {
    "capture": [
        ("000", "Ukraine captured two wounded North Korean"),
        ("000", "Ukraine has captured two injured"),
        ("001", "Ukraine captured two wounded North Korean"),
        ("001", "Ukraine has captured two injured"),
        ("001", "South Korea's National Intelligence Service (NIS) on Sunday"),
        ("002", "Zelenskyy said Ukraine captured 2"),
        (
            "002",
            "Ukrainian President Volodymyr Zelenskyy said Ukraine has captured two N",
        ),
        (
            "002",
            "Ukrainian President Volodymyr Zelenskyy said Ukraine has captured two w",
        ),
        ("002", 'The NIS told AFP that it had "confirmed'),
        ("003", "The proposal follows the confirmation"),
        ("004", "The Security Service for Ukraine announced"),
        ("004", "That statement comes after"),
        # The spy agency's confirmation of the capture, as one more outlet told it.
        ("000", "South Korea's National Intelligence Service (NIS) has reportedly"),
        ("002", "South Korea's National Intelligence Service (NIS) has reportedly"),
    ],
    "offer": [
        ("000", "Ukraine is willing to exchange"),
        ("003", "Ukrainian President Volodymyr Zelenskyy announced on Sunday"),
        ("004", "Ukraine's President Volodymyr Zelenskyy has said"),
    ],
    "spy agency toll": [
        ("001", "South Korea's intelligence agency estimates"),
        ("001", "South Korean intelligence has reported"),
        ("004", "On Monday morning, South Korea's Yonhap"),
    ],
    "interpreters": [
        ("002", "The SBU said the North Korean soldiers did not speak"),
        ("004", "The prisoners do not speak"),
    ],
    "id card": [
        ("002", "It added that one of the soldiers was found"),
        ("004", "At the time of his capture, one of the foreigners"),
    ],
    "training": [
        ("002", "The SBU said that one soldier told interrogators"),
        ("003", "One soldier, bandaged and visibly shaken"),
    ],
    "journalists": [
        ("000", "In a statement posted on X, Zelenskyy said he had instructed"),
        ("002", '"This was not an easy task'),
    ],
}
#: Claims that state a fact no other seed claim states.
SEED_SINGLES = [
    ("000", "The move by an agency within the Department"),
    ("000", "President Joe Biden's foreign policy legacy"),
    ("001", "Sir John Sawers"),
    ("001", "The move is meant to please Trump voters"),
    ("001", "Ukraine has been publicizing the arrests"),
    ("001", "The arrest of a cadet"),
    ("001", "This marks North Korea's first participation"),
    ("001", "The soldiers of the Korean People's Army"),
    ("002", "In December, a North Korean soldier believed to be the first"),
    ("002", "Pyongyang reportedly began sending troops"),
    ("002", "He previously said that Russian forces"),
    ("002", "The soldier with the ID card stated"),
    ("003", "Amid these developments, Russia announced the capture of two villages"),
    ("003", "North Korea is reportedly preparing additional deployments"),
    ("004", '"They are held in proper conditions'),
]

#: Sentences of our own, each with paraphrase-style edits of it.
EDITS: dict[str, list[str]] = {
    "Rebels seized the airport in Goma on Monday, the army said.": [
        "The army said the airport in Goma was captured by rebels on Monday.",
        "On Monday rebels took control of Goma's airport, according to the army.",
        "Goma airport fell to the rebels, the army said on Monday.",
    ],
    "At least 40 people were killed in floods in southern Brazil, officials said.": [
        "Floods in southern Brazil have killed at least 45 people, officials said.",
        "Officials said 40 people died in flooding across southern Brazil.",
        "More than 50 people were killed by floods in southern Brazil.",
    ],
    "The central bank raised interest rates by half a point to 5.25 percent.": [
        "Interest rates were raised by the central bank to 5.25 percent.",
        "The central bank lifted its key rate by 50 basis points to 5.25 percent.",
        "The central bank increased interest rates to 5.5 percent.",
    ],
    "Police arrested 12 protesters outside parliament in Tbilisi on Sunday.": [
        "Twelve protesters were arrested by police outside the Tbilisi parliament.",
        "Police detained 15 demonstrators outside parliament in Tbilisi.",
        "Outside parliament in Tbilisi, police arrested a dozen protesters on Sunday.",
    ],
}
#: Sentences about other facts of the same stories: never the same fact as above.
OTHER_FACTS = [
    "The army said rebels had also shelled a hospital in Goma on Monday.",
    "The airline suspended all flights to Goma until further notice.",
    "Rescue teams in southern Brazil evacuated 8,000 people from their homes.",
    "Officials in southern Brazil said 300 roads had been closed by landslides.",
    "The central bank said inflation had fallen to 3 percent in March.",
    "The finance minister criticised the central bank's decision.",
    "Protesters in Tbilisi demanded new parliamentary elections.",
    "Police in Tbilisi said two officers were injured during the protest.",
]


def main() -> None:
    claims, per_claim = run_seeds()
    seed_pairs = label_seed_pairs(claims)
    report("seeds", [(same, a.cluster_id == b.cluster_id) for same, a, b in seed_pairs])
    report("edits", edit_pairs())
    print(f"decision time: {per_claim * 1000:.2f} ms per claim ({len(claims)} claims)")


def run_seeds() -> tuple[list[tuple[str, Claim]], float]:
    articles = claimed(dedupe_in_order(ingest(sorted((ROOT / "seeds").glob("*.txt")))))
    corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
    placed: list[tuple[str, Claim]] = []
    latest: dict[str, ClaimCluster] = {}
    meaning()  # loaded once per process: not part of any decision
    started = time.perf_counter()
    for article in articles:
        result = corroborator.corroborate(article, seen_at=SEEN_AT)
        latest.update((c.cluster_id, c) for c in result.clusters)
        placed += [(article.source[:3], c) for c in result.article.claims]
    elapsed = time.perf_counter() - started
    final = [(s, _followed(c, latest)) for s, c in placed]
    return final, elapsed / max(1, len(placed))


def _followed(claim: Claim, latest: dict[str, ClaimCluster]) -> Claim:
    """The claim with the cluster that holds it at the end (merges followed)."""
    if claim.cluster_id is None:
        return claim
    return claim.model_copy(update={"cluster_id": heir(latest, claim.cluster_id)})


def label_seed_pairs(
    claims: list[tuple[str, Claim]],
) -> list[tuple[bool, Claim, Claim]]:
    labelled: list[tuple[str, Claim]] = []
    for group, members in SEED_GROUPS.items():
        labelled += [(group, find(claims, *member)) for member in members]
    labelled += [(f"single {n}", find(claims, *s)) for n, s in enumerate(SEED_SINGLES)]
    return [
        (ga == gb, a, b)
        for (ga, a), (gb, b) in itertools.combinations(labelled, 2)
        if a.claim_id != b.claim_id
    ]


def find(claims: list[tuple[str, Claim]], source: str, start: str) -> Claim:
    found = [c for s, c in claims if s == source and c.text.startswith(start)]
    if not found:
        raise SystemExit(f"no seed claim {source}: {start!r} (claims stage changed?)")
    return found[0]


def edit_pairs() -> list[tuple[bool, bool]]:
    pairs = [(True, o, e) for o, edits in EDITS.items() for e in edits]
    pairs += [(False, o, other) for o in EDITS for other in OTHER_FACTS]
    texts = list(dict.fromkeys(t for _, a, b in pairs for t in (a, b)))
    by_text = dict(zip(texts, claimed(ingest_texts(texts)), strict=True))
    results = []
    for same, first, second in pairs:
        corroborator = Corroborator({}, OrderedKeys(), settings=CorroborateSettings())
        done = [
            corroborator.corroborate(article, seen_at=SEEN_AT)
            for article in (by_text[first], by_text[second])
        ]
        latest = {c.cluster_id: c for r in done for c in r.clusters}
        ids = [_followed(c, latest).cluster_id for r in done for c in r.article.claims]
        if len(ids) == 2:
            results.append((same, ids[0] == ids[1]))
        else:
            print(f"  skipped (no single claim): {first!r} / {second!r}")
    return results


def report(name: str, outcomes: Sequence[tuple[bool, bool]]) -> None:
    tp = sum(1 for same, joined in outcomes if same and joined)
    fp = sum(1 for same, joined in outcomes if joined and not same)
    fn = sum(1 for same, joined in outcomes if same and not joined)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    positives = sum(1 for same, _ in outcomes if same)
    print(
        f"{name}: {len(outcomes)} pairs ({positives} same-fact): "
        f"precision {precision:.3f}  recall {recall:.3f}"
    )


def ingest(paths: Sequence[Path]) -> list[EnrichedArticle]:
    bodies = [(p.stem, p.read_text(encoding="utf-8")) for p in paths]
    return [ingest_one(source, body) for source, body in bodies]


def ingest_texts(texts: Sequence[str]) -> list[EnrichedArticle]:
    return [ingest_one(hashlib.sha256(t.encode()).hexdigest()[:12], t) for t in texts]


def ingest_one(source: str, body: str) -> EnrichedArticle:
    record = json.dumps({"source": source, "body": body}).encode()
    article = ingest_record(record, limits=IngestLimits())
    assert isinstance(article, EnrichedArticle), article
    return article


def dedupe_in_order(articles: list[EnrichedArticle]) -> list[EnrichedArticle]:
    settings = DedupeSettings()
    index = DedupeIndex({}, OrderedKeys(), settings=settings)
    return [
        index.decide(
            DedupeRequest(article=a, fingerprint=fingerprint(a, settings=settings)),
            seen_at=SEEN_AT,
        )
        for a in articles
    ]


def claimed(articles: list[EnrichedArticle]) -> list[EnrichedArticle]:
    return [
        a.model_copy(update={"claims": claims})
        for a, claims in zip(articles, extract_claims(articles), strict=True)
    ]


if __name__ == "__main__":
    main()
