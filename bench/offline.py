"""Offline throughput: the whole pipeline next to trafilatura alone, one and two cores.

Reads the 181 pages of ../shared/corpora/article-extraction-benchmark (html/*.html.gz)
as ``newsline extract`` reads them (pipeline.clients.corpus), and times in one run:

- trafilatura alone: ``trafilatura.bare_extraction`` with the arguments the ingest
  stage passes (pipeline/ingest/html.py), on the page text ingest receives; in this
  process for one core, over a spawn pool of two processes for two cores;
- the pipeline: every stage of ``newsline extract`` (ingest, fingerprint, dedupe
  decide, claims, corroborate) run by its own code (``pipeline.stages.Stages``, in
  chunks of ``pipeline.cli.extract.CHUNK``) with ``process_workers`` 1 and 2.

One core is this process and its pool pinned to one CPU (``sched_setaffinity`` before
the pool spawns, so its processes inherit it); two cores is the whole machine. Pools
are started, their models loaded and a few pages run through before timing starts, as
a worker does before its first batch. The machine is shared, so the measurements
alternate (one core: trafilatura, pipeline, stage functions in this process; then two
cores: trafilatura, pipeline) for ``--rounds`` rounds and the fastest of each is
kept. The figure to watch is the ratio of pipeline to trafilatura pages per second:
the target is 0.7.

Each stage's share of the pipeline's time is timed inside the runs (a subclass of
``Stages`` with a timer round each stage), and again with the stage functions called
one after the other in this process, without the pool, on one core. The same is done
for the seeds (seeds/*.txt) repeated ``--seed-copies`` times with their own
article_id, as ``newsline replay --repeat`` makes them. Last, pyinstrument profiles
each stage's functions in this process, one core, over ``--profile-pages`` pages.

    .venv/bin/python bench/offline.py [--corpus DIR] [--limit N] [--rounds N]
        [--seed-copies N] [--profile-pages N]

Writes docs/benchmarks/offline.md, offline.png and offline-profile.txt. Reads the
corpus at run time; never copies it.
"""

# The imports wait for the thread caps below: BLAS reads them when numpy loads.
# ruff: noqa: E402

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before numpy loads: one core means one thread

import argparse
import asyncio
import multiprocessing
import multiprocessing.pool
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import tree_cpu_s
from pyinstrument import Profiler
from report import OUTPUT, ROOT, bar_chart, command, machine, write_markdown

from pipeline.claims import claims_record
from pipeline.cli.extract import CHUNK
from pipeline.clients.corpus import SourceRecord, plan
from pipeline.codec import encode
from pipeline.corroborate import Corroborator
from pipeline.cpu import CpuPool
from pipeline.dedupe import DedupeIndex, fingerprint_record
from pipeline.flow import Output
from pipeline.ingest import ingest_record
from pipeline.ingest.html import run_trafilatura
from pipeline.nlp import load_models
from pipeline.settings import Settings
from pipeline.stages import Stages
from pipeline.state import OrderedKeys
from pipeline.topics import DEADLETTER, ENRICHED
from schemas import EnrichedArticle, RawArticle
from schemas.dedupe import DedupeRequest

DEFAULT_CORPUS = ROOT.parent / "shared/corpora/article-extraction-benchmark"
SEEDS = ROOT / "seeds"
STAGES = ("ingest", "fingerprint", "dedupe decide", "claims", "corroborate")
OTHER = "other (hand-over between stages)"
TARGET = 0.7
#: Pages run through a pool before timing starts (first calls load lazily).
WARM_PAGES = 4
#: What pyinstrument shows for samples taken inside compiled code that left no
#: Python frame to walk (spaCy's and thinc's Cython, in this pipeline).
NO_STACK = "spaCy/thinc Cython, no Python stack sampled"
#: The libraries that make up spaCy's parse, for the notes.
SPACY = frozenset({NO_STACK, "spacy", "thinc", "numpy", "srsly", "cymem", "preshed"})

Page = tuple[str, str | None]  # body, url

#: The machine's 1-minute load average as each measurement starts.
LOADS: list[float] = []


# Setups: the pools of one core count, started once for every round


@dataclass
class Setup:
    """One core count: the CPUs it may use and its pools."""

    cores: int
    cpus: set[int]
    pool: CpuPool
    trafilatura: multiprocessing.pool.Pool | None  # None: in this process

    def stop(self) -> None:
        self.pool.shutdown()
        if self.trafilatura is not None:
            self.trafilatura.close()
            self.trafilatura.join()


@contextmanager
def pinned(cpus: set[int]) -> Iterator[None]:
    """This process on ``cpus`` only; pools started meanwhile inherit it."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


def cpu_seconds() -> float:
    """CPU time used so far by this process and every process under it (its pools)."""
    return tree_cpu_s(os.getpid())


async def start(cores: int, records: list[SourceRecord], pages: list[Page]) -> Setup:
    """Start and warm the pools of ``cores`` cores, on as many CPUs."""
    cpus = set(sorted(os.sched_getaffinity(0))[:cores])
    with pinned(cpus):
        pool = CpuPool(cores, initializer=load_models)
        await pool.warm()
        # A throwaway index, so the warm-up pages are no duplicates later.
        settings = Settings(process_workers=cores)
        await Stages(settings, pool).run(records[: WARM_PAGES * cores])
        trafilatura_pool = None
        if cores > 1:
            trafilatura_pool = multiprocessing.get_context("spawn").Pool(cores)
            trafilatura_pool.map(
                extract_with_trafilatura, pages[: WARM_PAGES * cores], chunksize=1
            )
        else:
            for page in pages[:WARM_PAGES]:
                extract_with_trafilatura(page)
    return Setup(cores, cpus, pool, trafilatura_pool)


# trafilatura alone


def extract_with_trafilatura(page: Page) -> int:
    """The extraction ingest makes (same call, same options); its text's length."""
    body, url = page
    document = run_trafilatura(body, url=url, with_metadata=True)
    return len(getattr(document, "text", None) or "")


def trafilatura_rate(pages: list[Page], setup: Setup) -> tuple[float, float]:
    """Pages per second of trafilatura alone, in this process or over the pool, and
    the CPUs' worth of time it got meanwhile."""
    started, cpu = time.perf_counter(), cpu_seconds()
    if setup.trafilatura is None:
        for page in pages:
            extract_with_trafilatura(page)
    else:
        # One page per task: the best balance a pool can give trafilatura.
        setup.trafilatura.map(extract_with_trafilatura, pages, chunksize=1)
    seconds = time.perf_counter() - started
    return len(pages) / seconds, (cpu_seconds() - cpu) / seconds


# The pipeline, as newsline extract runs it


@dataclass(frozen=True)
class Run:
    """One timed pass of the pipeline over a corpus."""

    seconds: float
    cpu: float  # CPU seconds of this process and its pool
    stages: dict[str, float]
    articles: int
    dead_letters: int
    exact_duplicates: int

    def rate(self, records: int) -> float:
        return records / self.seconds

    @property
    def cpus(self) -> float:
        """The CPUs' worth of time the run got."""
        return self.cpu / self.seconds


async def pipeline_run(records: list[SourceRecord], setup: Setup) -> Run:
    """The stages over ``records`` in chunks, as ``newsline extract`` runs them."""
    stages = Stages(Settings(process_workers=setup.cores), setup.pool)
    outputs: list[Output] = []
    started, cpu = time.perf_counter(), cpu_seconds()
    for start in range(0, len(records), CHUNK):
        outputs += await stages.run(records[start : start + CHUNK])
    seconds = time.perf_counter() - started
    stages.seconds[OTHER] = seconds - sum(stages.seconds.values())
    enriched = [o.record for o in outputs if o.topic == ENRICHED]
    return Run(
        seconds=seconds,
        cpu=cpu_seconds() - cpu,
        stages=stages.seconds,
        articles=len(enriched),
        dead_letters=sum(o.topic == DEADLETTER for o in outputs),
        exact_duplicates=sum(
            isinstance(a, EnrichedArticle) and a.duplicate.kind == "exact"
            for a in enriched
        ),
    )


def in_process_run(
    records: list[SourceRecord], profilers: dict[str, Profiler] | None = None
) -> Run:
    """The stage functions called one after the other here, no pool, each timed
    (and profiled, with ``profilers``)."""
    settings = Settings(process_workers=1)
    seconds: dict[str, float] = defaultdict(float)

    def timed(stage: str, work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        profiler = (profilers or {}).get(stage)
        started = time.perf_counter()
        if profiler:
            profiler.start()
        results = [work(item) for item in items]
        if profiler:
            profiler.stop()
        seconds[stage] += time.perf_counter() - started
        return [r for r in results if isinstance(r, EnrichedArticle | DedupeRequest)]

    times = settings.event_time
    index = DedupeIndex({}, OrderedKeys(), settings=settings.dedupe, times=times)
    corroborator = Corroborator(
        {}, OrderedKeys(), settings=settings.corroborate, times=times
    )
    now = datetime.now(UTC)
    started, cpu = time.perf_counter(), cpu_seconds()
    clean = timed(
        "ingest", lambda r: ingest_record(r.value, limits=settings.ingest), records
    )
    requests = timed(
        "fingerprint",
        lambda a: fingerprint_record(encode(a), settings=settings.dedupe),
        clean,
    )
    decided = timed("dedupe decide", lambda r: index.decide(r, seen_at=now), requests)
    claimed = timed("claims", lambda a: claims_record(encode(a)), decided)
    done = timed(
        "corroborate",
        lambda a: corroborator.corroborate(a, seen_at=now).article,
        claimed,
    )
    total = time.perf_counter() - started
    seconds[OTHER] = total - sum(seconds.values())
    duplicates = sum(a.duplicate.kind == "exact" for a in done)
    cpu = cpu_seconds() - cpu
    dead = len(records) - len(done)
    return Run(total, cpu, seconds, len(done), dead, duplicates)


# One corpus, one and two cores


@dataclass(frozen=True)
class Figures:
    """Everything measured on one corpus: the fastest round of each."""

    name: str
    records: int
    #: cores -> pages/s and CPUs' worth of time got (empty for plain text)
    trafilatura: dict[int, tuple[float, float]]
    pipeline: dict[int, Run]  # cores -> run
    in_process: Run

    def rate(self, cores: int) -> float:
        return self.pipeline[cores].rate(self.records)

    def baseline(self, cores: int) -> float:
        """trafilatura's pages per second."""
        return self.trafilatura[cores][0]


async def measure(
    name: str, records: list[SourceRecord], setups: list[Setup], rounds: int
) -> Figures:
    """Alternate trafilatura, the pipeline and the stage functions in this process,
    one core then two, ``rounds`` times."""
    html = all(
        RawArticle.model_validate_json(r.value).content_type == "text/html"
        for r in records
    )
    pages = [_page(r) for r in records] if html else []
    rates: dict[int, list[tuple[float, float]]] = {s.cores: [] for s in setups}
    runs: dict[int, list[Run]] = {s.cores: [] for s in setups}
    alone: list[Run] = []  # the stage functions called in this process
    for round_ in range(1, rounds + 1):
        for setup in setups:
            LOADS.append(os.getloadavg()[0])
            print(
                f"\n{name}, round {round_}, {setup.cores} core(s): CPUs {setup.cpus}; "
                f"load average {LOADS[-1]:.1f}"
            )
            with pinned(setup.cpus):
                if pages:
                    rate = _show(*trafilatura_rate(pages, setup))
                    rates[setup.cores].append(rate)
                run = await pipeline_run(records, setup)
                runs[setup.cores].append(_show_run("pipeline", run, len(records)))
                if setup.cores == 1:
                    run = in_process_run(records)
                    alone.append(_show_run("in-process", run, len(records)))
    return Figures(
        name,
        len(records),
        {cores: max(found) for cores, found in rates.items() if found},
        {cores: _fastest(found) for cores, found in runs.items()},
        _fastest(alone),
    )


def _fastest(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.seconds)


def _page(record: SourceRecord) -> Page:
    article = RawArticle.model_validate_json(record.value)
    return article.body, article.url


def _show(rate: float, cpus: float) -> tuple[float, float]:
    print(f"  {'trafilatura':<12} {rate:7.2f} records/s ({cpus:.2f} CPUs' worth)")
    return rate, cpus


def _show_run(label: str, run: Run, records: int) -> Run:
    shares = ", ".join(
        f"{stage} {share:.1%}" for stage, share in _shares(run.stages).items()
    )
    print(
        f"  {label:<12} {run.rate(records):7.2f} records/s ({run.seconds:.1f} s, "
        f"{run.cpus:.2f} CPUs' worth; {run.articles} articles out, "
        f"{run.dead_letters} dead letters, {run.exact_duplicates} exact duplicates)"
        f"\n    shares: {shares}"
    )
    return run


def _shares(seconds: dict[str, float]) -> dict[str, float]:
    total = sum(seconds.values())
    return {stage: seconds[stage] / total for stage in (*STAGES, OTHER)}


# Profile


def profile(records: list[SourceRecord], cpus: set[int]) -> dict[str, Profiler]:
    """pyinstrument over each stage's functions in this process, one profile each."""
    profilers = {stage: Profiler(interval=0.001) for stage in STAGES}
    with pinned(cpus):
        in_process_run(records, profilers)
    return profilers


@dataclass
class Profile:
    """Seconds per frame (own and total) and per library, over profiled stages."""

    own: Counter[str]
    total: Counter[str]
    libraries: Counter[str]

    @classmethod
    def of(cls, profiler: Profiler, stage: str) -> Profile:
        found = cls(Counter(), Counter(), Counter())
        root = profiler.last_session.root_frame(trim_stem=False)
        if root is not None:
            found.walk(root, stage, owner="newsline", above=frozenset())
        return found

    def walk(
        self, frame: Any, stage: str, *, owner: str, above: frozenset[str]
    ) -> None:
        """Adds a frame's own time and, once per stack, its total time."""
        children = [child for child in frame.children if not child.is_synthetic]
        own = frame.time - sum(child.time for child in children)
        if frame.parent is None:  # the thread: samples with no Python frame at all
            label, owner = f"{stage}: {NO_STACK}", NO_STACK
        else:
            label = (
                f"{stage}: {frame.function} ({frame.file_path_short}:{frame.line_no})"
            )
            owner = _owner(frame.file_path or "", owner)
        self.own[label] += own
        self.libraries[owner] += own
        if label not in above and frame.parent is not None and not _harness(frame):
            self.total[label] += frame.time
        for child in children:
            self.walk(child, stage, owner=owner, above=above | {label})

    def __iadd__(self, other: Profile) -> Profile:
        self.own += other.own
        self.total += other.total
        self.libraries += other.libraries
        return self


def _harness(frame: Any) -> bool:
    return str(frame.file_path or "").startswith(str(Path(__file__).parent))


def _owner(path: str, caller: str) -> str:
    """Who a frame's time counts for: newsline's code, or the library it called."""
    if path.startswith(str(ROOT)) and "/.venv/" not in path:
        return "newsline"
    if caller != "newsline" or path.startswith("<"):  # callees count for their caller
        return caller
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    return "python standard library"


def write_profile(
    profilers: dict[str, Profiler], name: str, *, pages: int, top: int = 15
) -> tuple[Path, dict[str, float]]:
    """The heaviest frames to docs/benchmarks/<name>.txt; what bounds the stages."""
    stages = {
        stage: Profile.of(profiler, stage) for stage, profiler in profilers.items()
    }
    overall = Profile(Counter(), Counter(), Counter())
    for found in stages.values():
        overall += found
    seconds = overall.own.total()
    lines = [
        f"pyinstrument, 1 ms samples, one profile per stage: the stage functions "
        f"called in turn in one process on one core over {pages} benchmark pages, "
        f"{seconds:.1f} s profiled. The profiler slows Python-heavy code (ingest) more "
        "than compiled code (claims): take stage shares from offline.md, which is "
        f"timed without it. '{NO_STACK}': samples taken in compiled code that left "
        "no Python frame to walk; only the claims stage has them (spaCy's and "
        "thinc's Cython).",
        f"{command()}, {datetime.now(UTC):%Y-%m-%d}, {machine()}.",
        "",
        *_ranked(f"The {top} heaviest frames by own time:", overall.own, seconds, top),
        *_ranked(
            f"The {top} heaviest frames by total time (self and callees; the claims "
            "stage's frames miss the samples without a Python stack, so their totals "
            "are low):",
            overall.total,
            seconds,
            top,
        ),
        *_ranked(
            "Time by library: a sample counts for the library newsline's code called "
            "into (spaCy's share includes the thinc and numpy under it):",
            overall.libraries,
            seconds,
            top,
        ),
    ]
    for stage, found in stages.items():
        spent = found.own.total()
        lines += _ranked(
            f"{stage}: {spent:.2f} s ({spent / seconds:.0%}); by library:",
            found.libraries,
            spent,
            4,
        )
    path = OUTPUT / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {path.relative_to(ROOT)}")
    return path, _bound(stages)


def _bound(stages: dict[str, Profile]) -> dict[str, float]:
    """Within each stage's profile, the share of what bounds it."""

    def share(stage: str, owners: frozenset[str]) -> float:
        libraries = stages[stage].libraries
        return sum(libraries[o] for o in owners) / max(libraries.total(), 1e-9)

    return {
        "claims in spaCy": share("claims", SPACY),
        "claims in newsline": share("claims", frozenset({"newsline"})),
        "ingest in trafilatura": share("ingest", frozenset({"trafilatura"})),
        "corroborate in newsline": share("corroborate", frozenset({"newsline"})),
    }


def _ranked(title: str, seconds: Counter[str], whole: float, top: int) -> list[str]:
    lines = [title]
    lines += [
        f"  {spent / whole:6.1%}  {spent:7.2f} s  {label}"
        for label, spent in seconds.most_common(top)
        if spent >= 0.0005
    ]
    return [*lines, ""]


# Report


HEADERS = (
    "corpus",
    "figure",
    "1 core",
    "2 cores",
    "1 core, stage functions called in turn (no pool)",
)


def rows(figures: Figures) -> list[list[object]]:
    """The table rows of one corpus."""
    name, alone = figures.name, figures.in_process
    alone_rate = alone.rate(figures.records)
    table: list[list[object]] = []
    runs = (figures.pipeline[1], figures.pipeline[2], alone)
    if figures.trafilatura:
        baseline = [figures.baseline(1), figures.baseline(2)]
        table += [
            [name, "trafilatura alone, pages/s", *baseline, "-"],
            [name, "pipeline, all stages, pages/s", *_rates(figures), alone_rate],
            [
                name,
                "ratio pipeline / trafilatura",
                figures.rate(1) / baseline[0],
                figures.rate(2) / baseline[1],
                alone_rate / baseline[0],
            ],
            [
                name,
                "ratio per CPU-second used (less swayed by other load)",
                *(
                    figures.pipeline[c].rate(figures.records)
                    / figures.pipeline[c].cpus
                    / (figures.baseline(c) / figures.trafilatura[c][1])
                    for c in (1, 2)
                ),
                "-",
            ],
            [
                name,
                "CPUs' worth of time got: trafilatura",
                *(f"{figures.trafilatura[c][1]:.2f}" for c in (1, 2)),
                "-",
            ],
        ]
    else:
        table.append(
            [name, "pipeline, all stages, articles/s", *_rates(figures), alone_rate]
        )
    table.append(
        [name, "CPUs' worth of time got: pipeline", *(f"{r.cpus:.2f}" for r in runs)]
    )
    shares = [_shares(figures.pipeline[c].stages) for c in (1, 2)]
    shares.append(_shares(alone.stages))
    table += [
        [name, f"share of time: {stage}", *(f"{s[stage]:.1%}" for s in shares)]
        for stage in (*STAGES, OTHER)
    ]
    return table


def _rates(figures: Figures) -> list[float]:
    return [figures.rate(1), figures.rate(2)]


def write_report(
    benchmark: Figures, seeds: Figures, notes: list[str], rounds: int, profile: Path
) -> None:
    intro = (
        "Pages per second of `newsline extract`'s stages (ingest, fingerprint, dedupe "
        "decide, claims, corroborate) next to trafilatura alone making the call "
        "ingest makes, on the same pages in the same run; and each stage's share of "
        "the pipeline's time. One core: the process and its pool pinned to one CPU, "
        "`process_workers=1`, trafilatura in one process. Two cores: "
        "`process_workers=2`, trafilatura over a pool of two processes. Pools are "
        f"started and warm before timing; the fastest of {rounds} alternating rounds "
        "is kept. The last column calls the stage functions one after the other in "
        "one process: the gap to the first column is what the pool's hand-over "
        f"costs. The profile is in [{profile.name}]({profile.name})."
    )
    write_markdown(
        "offline",
        "Offline throughput: the pipeline against trafilatura alone",
        intro,
        HEADERS,
        rows(benchmark) + rows(seeds),
        notes,
    )
    bar_chart(
        "offline",
        f"{benchmark.name}: pages per second",
        ["1 core", "2 cores"],
        {
            "trafilatura alone": [benchmark.baseline(c) for c in (1, 2)],
            "newsline extract, all stages": _rates(benchmark),
        },
        "pages/s",
    )


def note_lines(
    benchmark: Figures, seeds: Figures, bound: dict[str, float], profile: Path
) -> list[str]:
    """What the figures say, for the notes under the table."""
    ratios = {c: benchmark.rate(c) / benchmark.baseline(c) for c in (1, 2)}
    met = all(r >= TARGET for r in ratios.values())
    shares = _shares(benchmark.pipeline[1].stages)
    return [
        f"Target: pipeline / trafilatura >= {TARGET}. This run: "
        f"{ratios[1]:.2f} on one core, {ratios[2]:.2f} on two: "
        f"{'met' if met else 'not met'}.",
        f"What bounds it ({profile.name}): claims, {shares['claims']:.0%} of the "
        "one-core pipeline's time, is spaCy's parse "
        f"({bound['claims in spaCy']:.0%} of the stage in spaCy, thinc and their "
        f"compiled code; {bound['claims in newsline']:.0%} in newsline's rules). "
        f"Ingest, {shares['ingest']:.0%}, is trafilatura "
        f"({bound['ingest in trafilatura']:.0%} of the stage), the very work the "
        f"baseline does. Corroborate, {shares['corroborate']:.0%}, is newsline's "
        f"own Python ({bound['corroborate in newsline']:.0%}). For 0.7 on one "
        f"core a page may take {1e3 / (TARGET * benchmark.baseline(1)):.0f} ms "
        f"in all; it takes {1e3 / benchmark.rate(1):.0f} ms, of which claims "
        f"{1e3 * shares['claims'] / benchmark.rate(1):.0f} ms and trafilatura "
        f"alone {1e3 / benchmark.baseline(1):.0f} ms.",
        f"{benchmark.name}: {benchmark.pipeline[1].articles} articles out, "
        f"{benchmark.pipeline[1].dead_letters} dead letters.",
        f"{seeds.name}: copies after the first are exact duplicates "
        f"({seeds.pipeline[1].exact_duplicates} of {seeds.records} judged so). "
        "Ingest and fingerprint run on them in full (before dedupe decides); the "
        "claims stage takes their claims from the original instead of parsing "
        "them (`NEWSLINE_CLAIMS__MEMORY_ARTICLES`), and corroborate places those "
        "claims (they do not count as independent sources).",
        "`newsline extract` runs the stages one chunk of "
        f"{CHUNK} records at a time: the pool runs ingest, fingerprint and claims, "
        "split in one part per process; dedupe decide and corroborate run in the "
        "main process between them while the pool waits. The service runs the "
        "stages concurrently, on Kafka.",
        "The machine is shared: its 1-minute load average was "
        f"{min(LOADS):.1f} to {max(LOADS):.1f} during the run, on "
        f"{os.cpu_count()} CPUs. The 'CPUs' worth' rows say how much CPU time each "
        "run got per second of wall time (this process and its pool): 1 and 2 "
        "would be machines of its own. Compare within one run.",
    ]


async def run_all(args: argparse.Namespace) -> tuple[Figures, Figures]:
    pages = list(plan([args.corpus / "html"]))[: args.limit]
    seeds = list(plan([SEEDS], repeat=args.seed_copies))
    texts = [_page(r) for r in pages]
    setups = [await start(cores, pages, texts) for cores in (1, 2)]
    try:
        benchmark = await measure(
            f"{len(pages)} benchmark pages", pages, setups, args.rounds
        )
        repeated = await measure(
            f"seeds x{args.seed_copies}", seeds, setups, args.rounds
        )
    finally:
        for setup in setups:
            setup.stop()
    return benchmark, repeated


def main() -> None:
    """Time trafilatura and the pipeline; write docs/benchmarks/offline.*."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed-copies", type=int, default=40)
    parser.add_argument("--profile-pages", type=int, default=40)
    args = parser.parse_args()
    if not (args.corpus / "html").is_dir():
        raise SystemExit(f"benchmark corpus not found at {args.corpus}")
    load_models()
    benchmark, seeds = asyncio.run(run_all(args))
    pages = list(plan([args.corpus / "html"]))[: args.limit]
    # Every n-th page: the first pages alone are not a fair sample of the corpus.
    step = max(1, len(pages) // args.profile_pages)
    sample = pages[::step][: args.profile_pages]
    print(f"\nprofiling each stage over {len(sample)} pages (every {step})")
    profilers = profile(sample, set(sorted(os.sched_getaffinity(0))[:1]))
    profile_path, bound = write_profile(profilers, "offline-profile", pages=len(sample))
    notes = note_lines(benchmark, seeds, bound, profile_path)
    print(*(f"- {note}" for note in notes), sep="\n")
    write_report(benchmark, seeds, notes, args.rounds, profile_path)


if __name__ == "__main__":
    main()
