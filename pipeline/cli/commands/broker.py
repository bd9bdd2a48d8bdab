"""``newsline broker start|stop|status``: the local Apache Kafka."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.common import CliError, command, port_number, say
from pipeline.settings import Settings


def add(commands: Any) -> None:
    broker = command(
        commands,
        "broker",
        None,
        "run a local single-node Apache Kafka (KRaft)",
        "Start, stop or check a local Apache Kafka broker run from jars that Maven\n"
        "resolves (needs java and mvn). For an existing cluster set\n"
        "NEWSLINE_KAFKA_BOOTSTRAP_SERVERS instead; with Docker use\n"
        "deploy/compose.yaml.",
    )
    actions = broker.add_subparsers(title="actions", required=True, metavar="ACTION")
    for name, handler, text in (
        ("start", _broker_start, "start in the background; wait until it answers"),
        ("stop", _broker_stop, "stop it (SIGTERM, then SIGKILL after 30 s)"),
        (
            "status",
            _broker_status,
            "say whether a broker answers on the port, and whether it is the data "
            "dir's (exit 0 if one answers)",
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
            help="client port on 127.0.0.1 (env NEWSLINE_BROKER__PORT; default 9092)",
        )


def _broker_settings(args: argparse.Namespace, settings: Settings) -> Any:
    overrides = {
        key: value
        for key, value in (("data_dir", args.data_dir), ("port", args.port))
        if value is not None
    }
    return settings.broker.model_copy(update=overrides)


def _broker_start(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    config = _broker_settings(args, settings)
    try:
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


def _broker_stop(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    stopped = broker.stop_broker(_broker_settings(args, settings))
    say("broker stopped" if stopped else "no broker was running")
    return 0


def _broker_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    status = broker.local_broker_status(_broker_settings(args, settings))
    print(status.describe())
    return 0 if status.answers else 1
