"""``newsline broker start|stop|status``: the local Apache Kafka."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.common import CliError, command, port_number, say
from pipeline.settings import Settings

#: As LocalBrokerSettings.nodes allows.
MAX_NODES = 9


def add(commands: Any) -> None:
    broker = command(
        commands,
        "broker",
        None,
        "run a local Apache Kafka (KRaft): one node, or a cluster",
        "Start, stop or check a local Apache Kafka run from jars that Maven resolves\n"
        "(needs java and mvn): one node by default, or a cluster of combined\n"
        "broker-controller nodes (--nodes 3) on the ports after --port, two by two.\n"
        "For an existing cluster set NEWSLINE_KAFKA_BOOTSTRAP_SERVERS instead; with\n"
        "Docker use deploy/compose.yaml.\n\n"
        "  newsline broker start --nodes 3   prints 127.0.0.1:9092,...:9094,...:9096\n"
        "  newsline broker stop --node 2     stop one node of the cluster\n"
        "  newsline broker start --node 2    start it again",
    )
    actions = broker.add_subparsers(title="actions", required=True, metavar="ACTION")
    for name, handler, text in (
        (
            "start",
            _broker_start,
            "start in the background, wait until it answers, print the bootstrap list",
        ),
        ("stop", _broker_stop, "stop it (SIGTERM, then SIGKILL after 30 s)"),
        (
            "status",
            _broker_status,
            "say whether a broker answers on the port, and whether it is the data "
            "dir's; for a cluster, each node's id, port, pid and state (exit 0 if "
            "every node answers)",
        ),
    ):
        action = command(actions, name, handler, text, text)
        action.add_argument(
            "--data-dir",
            type=Path,
            help="logs, config and pid (NEWSLINE_BROKER__DATA_DIR; var/broker)",
        )
        action.add_argument(
            "--port",
            type=port_number,
            help="client port on 127.0.0.1 (env NEWSLINE_BROKER__PORT; default 9092); "
            "a cluster's first node",
        )
        if name == "start":
            action.add_argument(
                "--nodes",
                type=_node_count,
                help="nodes of a new cluster (NEWSLINE_BROKER__NODES; default 1); a "
                "data dir keeps the size it was first started with",
            )
        if name != "status":
            action.add_argument(
                "--node",
                type=int,
                metavar="N",
                help=f"only node N of the data dir's cluster ({name} one node)",
            )


def _node_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_NODES:
        raise argparse.ArgumentTypeError(f"a number of nodes from 1 to {MAX_NODES}")
    return count


def _broker_settings(args: argparse.Namespace, settings: Settings) -> Any:
    overrides = {
        key: value
        for key, value in (
            ("data_dir", args.data_dir),
            ("port", args.port),
            ("nodes", getattr(args, "nodes", None)),
        )
        if value is not None
    }
    return settings.broker.model_copy(update=overrides)


def _broker_start(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    config = _broker_settings(args, settings)
    try:
        if args.node is not None or broker.is_cluster(config):
            return _cluster_start(config, args.node)
        info = broker.start_broker(config, progress=say)
    except broker.BrokerError as error:
        raise CliError(str(error)) from error
    state = (
        "already running"
        if info.already_running
        else f"started in {info.started_in_s:.1f} s"
    )
    say(f"broker {state} (pid {info.pid}, data {info.data_dir})")
    print(info.bootstrap)
    return 0


def _cluster_start(config: Any, node: int | None) -> int:
    from pipeline import devbroker as broker

    info = broker.start_cluster(config, only=node, progress=say)
    for status in info.nodes:
        if node is None or status.node_id == node:
            say(status.describe())
    started = ", ".join(map(str, info.started)) or "none: all were running"
    say(f"nodes started: {started} ({info.started_in_s:.1f} s)")
    print(info.bootstrap)
    return 0


def _broker_stop(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    config = _broker_settings(args, settings)
    try:
        if args.node is not None or broker.is_cluster(config):
            stopped = broker.stop_cluster(config, only=args.node)
            nodes = ", ".join(map(str, stopped))
            say(f"nodes stopped: {nodes}" if stopped else "no node was running")
            return 0
    except broker.BrokerError as error:
        raise CliError(str(error)) from error
    stopped_one = broker.stop_broker(config)
    say("broker stopped" if stopped_one else "no broker was running")
    return 0


def _broker_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    config = _broker_settings(args, settings)
    if broker.is_cluster(config):
        try:
            nodes = broker.cluster_status(config)
        except broker.BrokerError as error:
            raise CliError(str(error)) from error
        for node in nodes:
            print(node.describe())
        return 0 if all(node.up for node in nodes) else 1
    status = broker.local_broker_status(config)
    print(status.describe())
    return 0 if status.answers else 1
