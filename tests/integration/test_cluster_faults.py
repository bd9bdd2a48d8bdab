"""Faults on a three-node cluster: leaders killed, a majority stopped, state lost.

A single broker cannot show the failures that lose data on a real cluster: a
partition leader dying with writes its followers may not have, a producer that did
not wait for the replicas, a worker whose tables must come back from replicated
changelogs. These runs start ``newsline broker start --nodes 3`` (three combined
broker-controller nodes), so the topics get three replicas and
``min.insync.replicas=2``, and replay the fault runs' 2,000-article stream
(real sentences, designed copies and bad records) while they:

- ``kill -9`` the leader of ``articles.raw`` partition 0 while the replay writes,
  then the leader of ``dedupe.requests`` and the leader of the corroborate
  changelog while the worker reads and writes them, each brought back later;
- stop two of the three nodes for 20 s (no quorum, no in-sync majority: writes must
  wait, not fail), then start them;
- stop the worker, delete its state dir and start another: its tables come back
  from the changelogs;
- run two workers on four partitions and ``kill -9`` the one holding the deciders.

On one partition, with no worker crash, the records must equal ``newsline
extract``'s exactly; with two workers on four partitions, in the order-free form
(see tests/integration/outcomes.py). Every article must reach one outcome and every
redelivered copy must equal the first.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bench.measure import free_port, free_port_run
from pipeline.cli import main
from pipeline.cli.supervise import WorkerProcess
from pipeline.clients.kafka import aiokafka_options
from pipeline.clients.replay import replay
from pipeline.devbroker import (
    BrokerError,
    ClusterInfo,
    cluster_status,
    start_cluster,
    stop_cluster,
)
from pipeline.settings import LocalBrokerSettings, Settings
from pipeline.topics import DEDUPE_LOG, RAW, topic_name
from tests.integration.outcomes import (
    Reference,
    all_outcomes,
    assert_order_free,
    assert_same_as_reference,
    mark,
    until_outcomes,
)
from tests.integration.streams import FAULT_RUN as COUNT
from tests.integration.streams import Stream

NODES = 3
#: Records a second while the replay runs into the first leader's death.
REPLAY_RATE = 50.0
#: How long two of three nodes stay down.
MAJORITY_DOWN_S = 20.0
#: A killed worker's partitions move after this long.
SESSION_TIMEOUT_S = 10.0

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1_200)]

Workers = Callable[[Settings], WorkerProcess]


@pytest.fixture(scope="module")
def cluster_config(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalBrokerSettings]:
    base = free_port_run(2 * NODES)
    config = Settings().broker.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("cluster"),
            "port": base,
            "nodes": NODES,
        }
    )
    try:
        yield config
    finally:
        stop_cluster(config)


@pytest.fixture
async def cluster(cluster_config: LocalBrokerSettings) -> ClusterInfo:
    """The cluster with every node up (a failed run may have left one down)."""
    try:
        return await asyncio.to_thread(start_cluster, cluster_config)
    except BrokerError as error:
        pytest.fail(f"the three-node cluster did not start: {error}")


def test_the_cluster_from_the_command_line(
    cluster_config: LocalBrokerSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--data-dir", str(cluster_config.data_dir)]
    port = cluster_config.port

    assert main(["broker", "start", "--nodes", "3", "--port", str(port), *where]) == 0
    bootstrap = capsys.readouterr().out.strip()
    assert bootstrap == ",".join(f"127.0.0.1:{port + 2 * n}" for n in range(3))

    # The data dir keeps the size and ports: no flags needed from here on.
    code, lines = _status(capsys, where)
    assert code == 0
    assert [line.split()[:2] for line in lines] == [
        ["node", "1"],
        ["node", "2"],
        ["node", "3"],
    ]
    assert all(line.endswith(" up") for line in lines), lines

    assert main(["broker", "stop", "--node", "3", *where]) == 0
    code, lines = _status(capsys, where)
    assert code == 1
    assert lines[2].startswith(f"node 3  127.0.0.1:{port + 4}  pid -  down"), lines
    assert [line.endswith(" up") for line in lines] == [True, True, False], lines

    assert main(["broker", "start", "--node", "3", *where]) == 0
    assert capsys.readouterr().out.strip() == bootstrap
    assert _status(capsys, where)[0] == 0


async def test_leaders_killed_majority_stopped_state_lost(
    cluster_config: LocalBrokerSettings,
    cluster: ClusterInfo,
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    stream: Stream,
    reference: Reference,
) -> None:
    settings = settings_factory(
        topic_partitions=1, kafka_bootstrap_servers=cluster.bootstrap
    )
    worker = worker_factory(settings)
    since = await mark(settings)
    assert await _replication(settings, topic_name(settings, RAW)) == (3, "2")

    # The leader of articles.raw dies while the replay writes to it.
    sending = asyncio.create_task(
        replay(settings, [stream.path], rate=REPLAY_RATE, show_progress=False)
    )
    await asyncio.sleep(COUNT / REPLAY_RATE / 4)
    raw_leader = await _kill_leader(cluster_config, settings, topic_name(settings, RAW))
    sent = await sending
    assert sent.sent == COUNT
    await until_outcomes(settings, since, COUNT // 6, worker)
    await _restart(cluster_config, raw_leader)

    # The leader of the dedupe decider's input dies while the worker reads it.
    requests = topic_name(settings, DEDUPE_LOG)
    requests_leader = await _kill_leader(cluster_config, settings, requests)
    await until_outcomes(settings, since, COUNT * 2 // 6, worker)
    await _restart(cluster_config, requests_leader)

    # The leader of the corroborate changelog dies while the decider writes to it.
    changelog = await _changelog(settings, "corroborate-state")
    changelog_leader = await _kill_leader(cluster_config, settings, changelog)
    await until_outcomes(settings, since, COUNT * 3 // 6, worker)
    await _restart(cluster_config, changelog_leader)

    # Two of three nodes stop: no metadata quorum and no in-sync majority.
    down = [node for node in range(1, NODES + 1) if node != changelog_leader][:2]
    for node in down:
        await asyncio.to_thread(stop_cluster, cluster_config, only=node)
    print(f"stopped nodes {down} for {MAJORITY_DOWN_S:.0f} s")
    await asyncio.sleep(MAJORITY_DOWN_S)
    assert worker.alive(), worker.log_tail()
    await asyncio.to_thread(start_cluster, cluster_config)
    await until_outcomes(settings, since, COUNT * 4 // 6, worker)

    # The worker stops and its state is lost: the next one rebuilds its tables.
    assert worker.stop() == 0, worker.log_tail()
    shutil.rmtree(settings.data_dir)
    print("stopped the worker and deleted its state dir")
    worker = worker_factory(settings)

    results = await all_outcomes(settings, since, stream, worker)
    assert_same_as_reference(results, reference)
    assert worker.alive(), worker.log_tail()


async def test_worker_holding_the_deciders_killed(
    cluster: ClusterInfo,
    settings_factory: Callable[..., Settings],
    worker_factory: Workers,
    stream: Stream,
    reference: Reference,
    tmp_path: Path,
) -> None:
    settings = settings_factory(
        topic_partitions=4,
        kafka_bootstrap_servers=cluster.bootstrap,
        kafka_session_timeout_s=SESSION_TIMEOUT_S,
    )
    workers = [
        worker_factory(settings),
        worker_factory(
            settings.model_copy(
                update={"data_dir": tmp_path / "second", "web_port": free_port()}
            )
        ),
    ]
    since = await mark(settings)
    await replay(settings, [stream.path], show_progress=False)
    await until_outcomes(settings, since, COUNT // 3, workers[0])
    holder = await _decider_holder(settings, workers)
    workers[holder].kill()
    print(f"killed worker {holder + 1} of 2, which held the deciders")
    survivor = workers[1 - holder]

    results = await all_outcomes(settings, since, stream, survivor)
    assert_order_free(results, stream, reference)
    assert survivor.alive(), survivor.log_tail()


# --- helpers ----------------------------------------------------------------------


def _status(
    capsys: pytest.CaptureFixture[str], where: list[str]
) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["broker", "status", *where])
    return code, capsys.readouterr().out.strip().splitlines()


async def _admin(settings: Settings) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(**aiokafka_options(settings))
    await admin.start()
    return admin


async def _described(settings: Settings, topic: str) -> dict[str, Any]:
    """``topic`` as the cluster describes it, asked again while a node it picks
    is down (the admin client asks a random node and does not try another)."""
    for _ in range(60):
        admin = await _admin(settings)
        try:
            (described,) = await admin.describe_topics([topic])
            return dict(described)
        except KafkaError as error:
            if not error.retriable:
                raise
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
    raise AssertionError(f"the cluster did not describe {topic}")


async def _leader(settings: Settings, topic: str) -> int:
    """The node that leads partition 0 of ``topic``."""
    described = await _described(settings, topic)
    (partition,) = [p for p in described["partitions"] if p["partition"] == 0]
    return int(partition["leader"])


async def _replication(settings: Settings, topic: str) -> tuple[int, str]:
    """Replicas of partition 0 of ``topic``, and its min.insync.replicas."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    described = await _described(settings, topic)
    admin = await _admin(settings)
    try:
        (configs,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)]
        )
    finally:
        await admin.close()
    replicas = len(described["partitions"][0]["replicas"])
    (entry,) = [
        e for e in configs.to_object()["resources"][0]["config_entries"]
        if e["config_names"] == "min.insync.replicas"
    ]  # fmt: skip
    return replicas, str(entry["config_value"])


async def _changelog(settings: Settings, table: str) -> str:
    """The changelog topic of one of the worker's tables, once faust made it."""
    wanted = f"{settings.app_id}-{table}-changelog"
    for _ in range(240):
        with suppress(AssertionError):
            if (await _described(settings, wanted))["error_code"] == 0:
                return wanted
        await asyncio.sleep(0.5)
    raise AssertionError(f"no changelog topic {wanted}")


async def _kill_leader(
    config: LocalBrokerSettings, settings: Settings, topic: str
) -> int:
    """``kill -9`` the node that leads partition 0 of ``topic``; its id."""
    leader = await _leader(settings, topic)
    nodes = await asyncio.to_thread(cluster_status, config)
    (node,) = [n for n in nodes if n.node_id == leader]
    assert node.pid is not None, f"node {leader} leads {topic} but is not running"
    os.killpg(node.pid, signal.SIGKILL)
    print(f"killed node {leader}, the leader of {topic}[0]")
    return leader


async def _restart(config: LocalBrokerSettings, node: int) -> None:
    await asyncio.to_thread(start_cluster, config, only=node)


async def _decider_holder(settings: Settings, workers: list[WorkerProcess]) -> int:
    """Which of the workers consumes the deciders' one-partition input now."""
    requests = re.escape(f"{topic_name(settings, DEDUPE_LOG)}[0]")
    for _ in range(120):
        holders = [
            index
            for index, worker in enumerate(workers)
            if re.search(requests, _last_assignment(worker))
        ]
        if len(holders) == 1:
            return holders[0]
        await asyncio.sleep(0.5)
    raise AssertionError("no one worker holds the deciders")


def _last_assignment(worker: WorkerProcess) -> str:
    lines = re.findall(r"consuming \d+ partitions:.*", worker.log_path.read_text())
    return lines[-1] if lines else ""
