"""``newsline worker``: the faust worker that runs every stage's agent."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.cli.common import command, kafka_access
from pipeline.settings import Settings


def add(commands: Any) -> None:
    command(
        commands,
        "worker",
        _worker,
        "run the pipeline's faust agents",
        "Run every stage's agent until stopped (Ctrl-C or SIGTERM). Start more\n"
        "workers with the same NEWSLINE_APP_ID to share the partitions; give each\n"
        "its own NEWSLINE_WEB_PORT and NEWSLINE_DATA_DIR.",
    )


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.worker.main import run_worker

    with kafka_access(settings):
        run_worker(settings)
    return 0
