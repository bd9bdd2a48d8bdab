"""Kill loops: a worker killed with SIGKILL again and again, at random points.

One kill at one point proves little: whether a crash loses an input depends on what
was in flight at that instant (a decision whose outputs or changelog records were not
yet on the brokers, an offset about to be committed). These runs kill the worker and
its process pool several times while the deciders are busy, a random moment after a
share of the outcomes came out, and start a new worker each time:

- on the same state dir, one partition, and on four partitions (the default): the
  verdicts must be extract's in the form that does not depend on arrival order
  (see ``assert_order_free``). Even on one partition a crash can change the order
  of first decisions: faust may clear a fetched record from its queue at the end of
  recovery while later records of the same fetch go on, and the re-fetched record
  is then decided after them (see pipeline.worker.consumer);
- losing the state dir with every kill, four partitions: the worker rebuilds its
  tables from their changelog topics, and the verdicts must again be extract's in
  order-free form.

The stream is CheckThat! articles with designed copies and bad records, and many
copies of the seed story among them, so the deciders' state grows through the run.
In every run each article_id must reach exactly one outcome and every redelivered
record must equal the first one. ``make test-faults`` runs the long version
(NEWSLINE_TEST_KILL_LOOP=long): 2,000 articles and ten kills per run.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.replay import replay
from pipeline.clients.results import Results
from pipeline.settings import Settings
from tests.integration.outcomes import (
    Reference,
    all_outcomes,
    assert_order_free,
    mark,
    reference_of,
    until_outcomes,
)
from tests.integration.streams import Stream, write_story_stream


@dataclass(frozen=True)
class Plan:
    """How long a run is: CheckThat! articles, copies of each seed, kills."""

    articles: int
    copies: int
    kills: int


FAST = Plan(articles=300, copies=16, kills=3)
LONG = Plan(articles=1_500, copies=100, kills=10)
PLAN = LONG if os.environ.get("NEWSLINE_TEST_KILL_LOOP") == "long" else FAST

#: A killed worker's partitions move after this long; a short one keeps restarts quick.
SESSION_TIMEOUT_S = 10.0

pytestmark = [pytest.mark.faults, pytest.mark.timeout(3_600 if PLAN is LONG else 900)]

Workers = Callable[[Settings], WorkerProcess]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Stream:
    path = tmp_path_factory.mktemp("story") / "story.jsonl"
    return write_story_stream(path, PLAN.articles, copies=PLAN.copies)


@pytest.fixture(scope="module")
def story_reference(
    story: Stream, tmp_path_factory: pytest.TempPathFactory
) -> Reference:
    return reference_of(story.path, tmp_path_factory.mktemp("reference"))


@pytest.fixture
def rng() -> random.Random:
    seed = int(os.environ.get("NEWSLINE_TEST_SEED", random.randrange(1 << 30)))
    print(f"kill times from seed {seed} (NEWSLINE_TEST_SEED)")
    return random.Random(seed)


@pytest.mark.parametrize(
    ("partitions", "keep_state"),
    [
        pytest.param(1, True, id="one-partition-keeping-state"),
        pytest.param(4, True, id="four-partitions-keeping-state"),
        pytest.param(4, False, id="four-partitions-losing-state"),
    ],
)
async def test_killed_again_and_again(
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    story: Stream,
    story_reference: Reference,
    rng: random.Random,
    partitions: int,
    keep_state: bool,
) -> None:
    settings = settings_factory(
        topic_partitions=partitions, kafka_session_timeout_s=SESSION_TIMEOUT_S
    )
    results = await _kill_loop(
        settings, worker_factory, story, rng, keep_state=keep_state
    )
    assert_order_free(results, story, story_reference)


async def _kill_loop(
    settings: Settings,
    start: Workers,
    story: Stream,
    rng: random.Random,
    *,
    keep_state: bool,
) -> Results:
    """Replay ``story``; kill the worker ``PLAN.kills`` times, each a random moment
    after another share of the outcomes came out; then wait for every outcome."""
    worker = start(settings)
    since = await mark(settings)
    await replay(settings, [story.path], show_progress=False)
    share = len(story.ids) // (PLAN.kills + 2)
    for number in range(1, PLAN.kills + 1):
        await until_outcomes(settings, since, share * number, worker)
        await asyncio.sleep(rng.uniform(0.0, 3.0))
        worker.kill()
        if not keep_state:
            shutil.rmtree(settings.data_dir, ignore_errors=True)
        worker = start(settings)
    return await all_outcomes(settings, since, story, worker)
