"""The stateful stages as their state grows: dedupe decide and corroborate, expiry on.

Base set: the seeds and the English article bodies of
../shared/corpora/article-extraction-benchmark (``ground-truth.json``) go once
through ingest (as plain text), fingerprint and claims. From them, 100,000 distinct
articles are made without running spaCy again (``Synthesis``), in stories of three:
a first report, a copy of it (exact for one story in four, else a near copy: 5% of
signature rows, sentence keys and claim words changed) and an independent rewrite
(60% of signature rows, 70% of sentence keys and 20% of claim words changed). A story
takes a base article and ``--claims`` of its claims (3 by default: corroborate
spends one to two milliseconds per claim, and all of a base's two dozen claims in every
article would take an hour to reach 100k), replaces every word of four letters or
more in them (text, entities, speaker, what a figure counts) by a word drawn by a
hash of the story, and derives its signature, sentence keys and content hash from the
story's number, so stories made from the same base are unrelated. Articles are
published one every ``--spacing`` seconds (30: 8,640 articles per 72-hour window),
so the windows fill and then expire.

Each article is decided (``DedupeIndex.decide``) and then corroborated
(``Corroborator.corroborate``) in publication order with the service's default
settings (72-hour windows), dict state stores and ``OrderedKeys`` expiry stores, and
both are swept with ``expire`` every 1,000 articles as the agents sweep (timed apart).
Per-article time is reported over [0, 1k), [9k, 10k) and [99k, 100k), with the
garbage collector on; RSS, live articles, store keys and their JSON size at the end
of each window; and what the two state stores were sent per article (records and
bytes, sweeps included): in the service each write is a changelog record that the
worker produces and the broker stores.

    .venv/bin/python bench/growth.py [--quick] [--corpus DIR] [--spacing S]
        [--claims N]

``--quick`` stops at 10k. Writes docs/benchmarks/growth.md and growth.png. Reads the
corpus at run time; never copies it.
"""

# The imports wait for the thread caps below: BLAS reads them when numpy loads.
# ruff: noqa: E402

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy loads: one core means one thread

import argparse
import gc
import hashlib
import json
import re
import statistics
import time
import zlib
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from measure import quantile, rss_mb
from report import ROOT, line_chart, write_markdown

from pipeline.claims import claim_id, extract_claims, load_model
from pipeline.corroborate import Corroborator
from pipeline.dedupe import DedupeIndex, fingerprint
from pipeline.dedupe.minhash import band_keys
from pipeline.ingest import ingest_article, load_identifier
from pipeline.rejection import Rejection
from pipeline.settings import Settings
from pipeline.state import OrderedKeys
from pipeline.worker.decider import EXPIRY_BATCH
from schemas import Claim, EnrichedArticle, RawArticle
from schemas.dedupe import DedupeRequest, Fingerprint, SentenceKey

DEFAULT_CORPUS = ROOT.parent / "shared/corpora/article-extraction-benchmark"
SEEDS = ROOT / "seeds"
CHECKPOINTS = (1_000, 10_000, 100_000)
WINDOW = 1_000
SWEEP_EVERY = 1_000
STORY_SIZE = 3
START = datetime(2025, 1, 1, tzinfo=UTC)
_LONG_WORD = re.compile(r"[^\W\d_]{4,}")


# The base set: real articles through ingest, fingerprint and claims, once


@dataclass(frozen=True)
class Base:
    """One real article with its claims and fingerprint."""

    article: EnrichedArticle
    fingerprint: Fingerprint


def base_set(corpus: Path, settings: Settings) -> list[Base]:
    """The seeds and the corpus's English bodies, ingested, fingerprinted, claimed."""
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*"))]
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    texts += [(key, truth[key]["articleBody"]) for key in sorted(truth)]
    articles = [
        a
        for a in (_ingest(name, body, settings) for name, body in texts)
        if isinstance(a, EnrichedArticle) and a.language == "en"
    ]
    claims = extract_claims(articles)
    return [
        Base(
            article.model_copy(update={"claims": found}),
            fingerprint(article, settings=settings.dedupe),
        )
        for article, found in zip(articles, claims, strict=True)
    ]


def _ingest(name: str, body: str, settings: Settings) -> EnrichedArticle | Rejection:
    raw = RawArticle(article_id=name, source="base", body=body)
    return ingest_article(raw, limits=settings.ingest)


# Synthetic articles made from the base set


class Synthesis:
    """Article ``n`` of the stream, deterministic, made without spaCy."""

    def __init__(
        self,
        bases: list[Base],
        settings: Settings,
        *,
        spacing: float,
        claims_per_article: int,
    ) -> None:
        self.bases = bases
        self.settings = settings
        self.spacing = spacing
        self.claims_per_article = claims_per_article
        self.vocabulary = sorted(
            {
                word.lower()
                for base in bases
                for claim in base.article.claims
                for word in _LONG_WORD.findall(claim.text)
            }
        )

    def request(self, n: int) -> DedupeRequest:
        """What the dedupe decider reads for article ``n`` (claims not yet there)."""
        story, role = divmod(n, STORY_SIZE)
        base = self.bases[story % len(self.bases)]
        exact = role == 1 and story % 4 == 0
        changed = {0: 0.0, 1: 0.0 if exact else 0.05, 2: 0.6}[role]
        own, shared = f"a{n}", f"s{story}"  # one namespace each: never equal
        signature = [
            _hash(own, row) if _draw(own, f"row{row}") < changed else _hash(shared, row)
            for row in range(self.settings.dedupe.num_perm)
        ]
        kept = {0: 1.0, 1: 1.0 - changed, 2: 0.3}[role]
        sentences = tuple(
            SentenceKey(
                index=s.index,
                key=_key(shared if _draw(own, f"sentence{i}") < kept else own, s.key),
            )
            for i, s in enumerate(base.fingerprint.sentences)
        )
        content_hash = _key(shared if role == 0 or exact else own, "text")
        article = base.article.model_copy(
            update={
                "article_id": f"a{n}",
                "source": f"outlet{n % 97}",
                "published_at": START + timedelta(seconds=n * self.spacing),
                "content_hash": content_hash,
                "claims": (),
            }
        )
        rows = np.asarray(signature, dtype=np.uint64)
        settings = self.settings.dedupe
        prints = Fingerprint(
            content_hash=content_hash,
            signature=tuple(signature),
            bands=band_keys(rows, bands=settings.bands, rows=settings.rows),
            sentences=sentences,
        )
        return DedupeRequest(article=article, fingerprint=prints)

    def claims(self, n: int, article: EnrichedArticle) -> tuple[Claim, ...]:
        """Article ``n``'s claims: its story's words, a share of them reworded."""
        story, role = divmod(n, STORY_SIZE)
        base = self.bases[story % len(self.bases)]
        exact = role == 1 and story % 4 == 0
        rate = {0: 0.0, 1: 0.0 if exact else 0.05, 2: 0.2}[role]

        def reword(text: str) -> str:
            return _LONG_WORD.sub(lambda m: self._word(story, n, m, rate), text)

        found = base.article.claims
        count = min(self.claims_per_article, len(found))
        first = story * count  # a story's articles share claims; stories differ
        return tuple(
            self._claim(found[(first + i) % len(found)], article.article_id, reword)
            for i in range(count)
        )

    def _word(self, story: int, n: int, match: re.Match[str], rate: float) -> str:
        word = match.group()
        own, shared = f"a{n}", f"s{story}"
        seed = own if _draw(own, f"word{match.start()}") < rate else shared
        return self.vocabulary[_hash(seed, word) % len(self.vocabulary)]

    def _claim(
        self, claim: Claim, article_id: str, reword: Callable[[str], str]
    ) -> Claim:
        text = reword(claim.text)
        return claim.model_copy(
            update={
                "article_id": article_id,
                "claim_id": claim_id(article_id, claim.sentence_index, text),
                "text": text,
                "speaker": claim.speaker
                and claim.speaker.model_copy(
                    update={"name": reword(claim.speaker.name)}
                ),
                "entities": tuple(
                    e.model_copy(update={"text": reword(e.text)})
                    for e in claim.entities
                ),
                "quantities": tuple(
                    q.model_copy(update={"counted": q.counted and reword(q.counted)})
                    for q in claim.quantities
                ),
            }
        )


def _hash(seed: str, item: object) -> int:
    return zlib.crc32(f"{seed}|{item}".encode())


def _draw(seed: str, item: object) -> float:
    """A deterministic number in [0, 1) for (seed, item)."""
    return _hash(seed, f"draw:{item}") / 2**32


def _key(seed: str, item: str) -> str:
    return hashlib.blake2b(f"{seed}|{item}".encode(), digest_size=16).hexdigest()


# The stream through both deciders


@dataclass
class Window:
    """Figures over one window of articles and the state at its end."""

    end: int
    decide: list[float] = field(default_factory=list)
    corroborate: list[float] = field(default_factory=list)
    claims: int = 0
    sweeps: list[float] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    state: dict[str, float] = field(default_factory=dict)
    full_collections: int = 0
    collecting: float = 0.0  # seconds in full collections
    #: per store: [records, bytes] written during the window (changelog records)
    written: dict[str, list[int]] = field(default_factory=dict)


class Changelog(MutableMapping[str, Any]):
    """A dict store that counts what a faust table would send to its changelog:
    one record per set (key and JSON value) or delete (key, a tombstone).

    ``encoded`` keeps each value as its JSON and decodes it on every read, as a
    RocksDB-backed faust table does."""

    def __init__(self, *, encoded: bool = False) -> None:
        self.data: dict[str, Any] = {}
        self.records = 0
        self.bytes = 0
        self.encoded = encoded

    def __getitem__(self, key: str) -> Any:
        value = self.data[key]
        return orjson.loads(value) if self.encoded else value

    def __setitem__(self, key: str, value: Any) -> None:
        encoded = orjson.dumps(value)
        self.records += 1
        self.bytes += len(key) + len(encoded)
        self.data[key] = encoded if self.encoded else value

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self.records += 1
        self.bytes += len(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key: str, default: Any = None) -> Any:
        # One lookup, as a table's get.
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        return orjson.loads(value) if self.encoded else value


_MISSING = object()


class Stream:
    """Both deciders with in-memory stores, fed one article at a time."""

    def __init__(self, synthesis: Synthesis, settings: Settings) -> None:
        self.synthesis = synthesis
        self.dedupe_state = Changelog()
        self.dedupe_expiry = OrderedKeys()
        self.corroborate_state = Changelog()
        self.corroborate_expiry = OrderedKeys()
        self.index = DedupeIndex(
            self.dedupe_state,
            self.dedupe_expiry,
            settings=settings.dedupe,
            times=settings.event_time,
        )
        self.corroborator = Corroborator(
            self.corroborate_state,
            self.corroborate_expiry,
            settings=settings.corroborate,
            times=settings.event_time,
        )
        self.fed = 0

    def feed(self, stop: int, window: Window | None = None) -> None:
        """Articles ``fed`` to ``stop``; timed into ``window`` when given."""
        for n in range(self.fed, stop):
            request = self.synthesis.request(n)
            seen_at = datetime.now(UTC)
            started = time.perf_counter()
            decided = self.index.decide(request, seen_at=seen_at)
            decided_at = time.perf_counter()
            assert isinstance(decided, EnrichedArticle)
            claimed = decided.model_copy(
                update={"claims": self.synthesis.claims(n, decided)}
            )
            corroborating = time.perf_counter()
            self.corroborator.corroborate(claimed, seen_at=seen_at)
            done = time.perf_counter()
            if window is not None:
                window.decide.append(decided_at - started)
                window.corroborate.append(done - corroborating)
                window.claims += len(claimed.claims)
                kind = decided.duplicate.kind or "new"
                window.verdicts[kind] = window.verdicts.get(kind, 0) + 1
            if (n + 1) % SWEEP_EVERY == 0:
                self._sweep(window)
        self.fed = stop

    def _sweep(self, window: Window | None) -> None:
        started = time.perf_counter()
        now = datetime.now(UTC)
        self.index.expire(now=now, limit=EXPIRY_BATCH)
        self.corroborator.expire(now=now, limit=EXPIRY_BATCH)
        if window is not None:
            window.sweeps.append(time.perf_counter() - started)

    def written(self) -> dict[str, list[int]]:
        """Changelog records and bytes sent so far, per state store."""
        stores = {"dedupe": self.dedupe_state, "corroborate": self.corroborate_state}
        return {name: [s.records, s.bytes] for name, s in stores.items()}

    def measure(self, window: Window) -> None:
        """The state at the end of ``window``."""
        window.state = {
            "rss_mb": rss_mb(os.getpid()),
            "dedupe_live": len(self.dedupe_expiry),
            "dedupe_keys": len(self.dedupe_state),
            "dedupe_mb": json_mb(self.dedupe_state),
            "corroborate_live": len(self.corroborate_expiry),
            "corroborate_keys": len(self.corroborate_state),
            "corroborate_mb": json_mb(self.corroborate_state),
        }


@contextmanager
def full_collections(window: Window) -> Iterator[None]:
    """Counts the garbage collector's full (generation 2) collections meanwhile."""
    began: list[float] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            window.full_collections += 1
            window.collecting += time.perf_counter() - began.pop()

    gc.callbacks.append(note)
    try:
        yield
    finally:
        gc.callbacks.remove(note)


def json_mb(store: Changelog) -> float:
    """Keys and values as JSON, as a faust table would write them to RocksDB."""
    size = sum(len(key) + len(orjson.dumps(value)) for key, value in store.items())
    return size / 2**20


def run(stream: Stream, checkpoints: Sequence[int]) -> Iterator[Window]:
    """Feed the stream up to each checkpoint; time the last WINDOW articles."""
    for end in checkpoints:
        started = time.perf_counter()
        stream.feed(end - WINDOW)
        window = Window(end)
        before = stream.written()
        with full_collections(window):
            stream.feed(end, window)
        window.written = {
            name: [now - then for now, then in zip(counts, before[name], strict=True)]
            for name, counts in stream.written().items()
        }
        stream.measure(window)
        show(window, time.perf_counter() - started)
        yield window


# Report


def _ms(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean, p50 and p99 in milliseconds."""
    return (
        statistics.fmean(values) * 1e3,
        quantile(values, 0.5, above=True) * 1e3,
        quantile(values, 0.99, above=True) * 1e3,
    )


def show(window: Window, seconds: float) -> None:
    decide, corroborate, state = (
        _ms(window.decide),
        _ms(window.corroborate),
        window.state,
    )
    print(
        f"\n[{window.end - WINDOW:,}, {window.end:,}) ({seconds:.0f} s to get here): "
        f"{window.claims / WINDOW:.1f} claims/article, verdicts {window.verdicts}"
    )
    print("  decide      mean {:.3f}  p50 {:.3f}  p99 {:.3f} ms".format(*decide))
    print("  corroborate mean {:.3f}  p50 {:.3f}  p99 {:.3f} ms".format(*corroborate))
    print(
        f"  sweeps {statistics.fmean(window.sweeps) * 1e3:.1f} ms each; "
        f"RSS {state['rss_mb']:,.0f} MB; dedupe {state['dedupe_live']:,.0f} live "
        f"articles, {state['dedupe_keys']:,.0f} keys, {state['dedupe_mb']:,.1f} MB "
        f"JSON; corroborate {state['corroborate_live']:,.0f} live, "
        f"{state['corroborate_keys']:,.0f} keys, {state['corroborate_mb']:,.1f} MB",
    )
    # A full run takes minutes: show each window as it ends.
    print(f"  changelog per article: {_written(window)}", flush=True)


def _written(window: Window) -> str:
    return "; ".join(
        f"{name} {records / WINDOW:.1f} records, {size / WINDOW / 1024:.1f} KB"
        for name, (records, size) in window.written.items()
    )


HEADERS = (
    "articles",
    "dedupe decide mean / p50 / p99 (ms)",
    "corroborate mean / p50 / p99 (ms)",
    "corroborate mean per claim (ms)",
    "expiry sweep (ms, both)",
    "RSS (MB)",
    "dedupe: live articles / keys / JSON MB",
    "corroborate: live articles / keys / JSON MB",
    "changelog per article: records, KB",
)


def row(window: Window) -> list[object]:
    state = window.state
    return [
        f"[{window.end - WINDOW:,}, {window.end:,})",
        " / ".join(f"{v:.3f}" for v in _ms(window.decide)),
        " / ".join(f"{v:.2f}" for v in _ms(window.corroborate)),
        f"{sum(window.corroborate) * 1e3 / max(window.claims, 1):.3f}",
        f"{statistics.fmean(window.sweeps) * 1e3:.1f}",
        f"{state['rss_mb']:,.0f}",
        f"{state['dedupe_live']:,.0f} / {state['dedupe_keys']:,.0f} / "
        f"{state['dedupe_mb']:,.1f}",
        f"{state['corroborate_live']:,.0f} / {state['corroborate_keys']:,.0f} / "
        f"{state['corroborate_mb']:,.1f}",
        _written(window),
    ]


def write_report(
    windows: list[Window], bases: list[Base], args: argparse.Namespace, base_rss: float
) -> None:
    spacing = args.spacing
    base_claims = statistics.fmean(len(b.article.claims) for b in bases)
    per_window = 72 * 3600 / spacing
    intro = (
        "Time per article of the two stateful deciders, `DedupeIndex.decide` and "
        "`Corroborator.corroborate`, as their state grows, with the 72-hour expiry "
        f"windows on. {windows[-1].end:,} distinct articles made from {len(bases)} "
        "real ones (seeds and the article-extraction benchmark's English bodies, "
        "through ingest, fingerprint and claims once), published one every "
        f"{spacing:g} s, so about {per_window:,.0f} articles fit in a window; "
        "stories of three articles (a first report, an exact or near copy, an "
        f"independent rewrite), {args.claims} claims per article. Each row times the "
        "last 1,000 articles before its count; state is measured at the row's end. "
        "See bench/growth.py for how the articles are made."
    )
    notes = [
        "The service keeps this state in RocksDB tables (faust, changelog-backed), "
        "not in Python dicts: the RSS and the per-article times here are those of "
        "dict stores. The JSON sizes are what the same keys and values take as "
        "the tables' encoded records, before RocksDB's compression.",
        f"RSS after the base set was built (spaCy loaded): {base_rss:,.0f} MB.",
        "Expiry sweeps run every 1,000 articles (the agents forget up to 20 "
        "articles every 10 decisions, and sweep what is left every 60 s), timed apart "
        "from the articles; the offline expiry store "
        "(`OrderedKeys`) sorts its keys on every sweep, which RocksDB does not need.",
        "Times include the garbage collector as it runs. Full collections: "
        + "; ".join(
            f"{w.full_collections} in [{w.end - WINDOW:,}, {w.end:,}) "
            f"({w.collecting * 1e3:,.0f} ms)"
            for w in windows
        )
        + ".",
        "Corroborate's time grows with an article's claims (the base articles "
        f"carry {base_claims:.1f} on average); the per-claim column is the one to "
        "carry over.",
        *trend(windows, per_window),
        "Figures are noisy: other work shares this machine.",
    ]
    write_markdown(
        "growth",
        f"State growth: dedupe decide and corroborate over {windows[-1].end:,} "
        "articles",
        intro,
        HEADERS,
        [row(w) for w in windows],
        notes,
    )
    line_chart(
        "growth",
        "Time per article as the state grows (72 h windows)",
        [w.end for w in windows],
        {
            "dedupe decide, mean": [_ms(w.decide)[0] for w in windows],
            "dedupe decide, p99": [_ms(w.decide)[2] for w in windows],
            "corroborate, mean": [_ms(w.corroborate)[0] for w in windows],
            "corroborate, p99": [_ms(w.corroborate)[2] for w in windows],
        },
        "articles decided",
        "ms per article",
        logx=True,
    )


def trend(windows: list[Window], per_window: float) -> list[str]:
    """How the first and last windows compare."""
    if len(windows) < 2:
        return []
    first, last = windows[0], windows[-1]
    span = f"From [0, {first.end:,}) to [{last.end - WINDOW:,}, {last.end:,})"
    return [
        f"{span}: dedupe decide mean {_ms(first.decide)[0]:.2f} -> "
        f"{_ms(last.decide)[0]:.2f} ms, corroborate mean "
        f"{_ms(first.corroborate)[0]:.2f} -> {_ms(last.corroborate)[0]:.2f} ms; "
        f"live articles {first.state['dedupe_live']:,.0f} -> "
        f"{last.state['dedupe_live']:,.0f} (a full window: about "
        f"{per_window:,.0f}), RSS {first.state['rss_mb']:,.0f} -> "
        f"{last.state['rss_mb']:,.0f} MB."
    ]


def main() -> None:
    """Build the base set, stream the synthetic articles, print and write figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--quick", action="store_true", help="stop at 10k articles")
    parser.add_argument(
        "--spacing", type=float, default=30.0, help="seconds between publications"
    )
    parser.add_argument(
        "--claims", type=int, default=3, help="claims per article (base's, reworded)"
    )
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").is_file():
        raise SystemExit(f"benchmark corpus not found at {args.corpus}")
    settings = Settings()
    load_identifier()
    load_model()
    started = time.perf_counter()
    bases = base_set(args.corpus, settings)
    claims = sum(len(b.article.claims) for b in bases)
    print(
        f"base set: {len(bases)} English articles, {claims / len(bases):.1f} claims "
        f"each on average ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    base_rss = rss_mb(os.getpid())
    synthesis = Synthesis(
        bases, settings, spacing=args.spacing, claims_per_article=args.claims
    )
    stream = Stream(synthesis, settings)
    checkpoints = CHECKPOINTS[:2] if args.quick else CHECKPOINTS
    windows = list(run(stream, checkpoints))
    write_report(windows, bases, args, base_rss)


if __name__ == "__main__":
    main()
