"""``newsline run``: worker, replay and a summary, in one go."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipeline.cli.common import (
    CliError,
    command,
    corpus,
    corpus_access,
    kafka_access,
    positive_number,
)
from pipeline.settings import Settings


def add(commands: Any) -> None:
    run = command(
        commands,
        "run",
        _run,
        "worker + replay + summary, in one go",
        "Start a worker, replay PATH... through it, wait until every article reached\n"
        "articles.enriched or articles.deadletter, print a summary, stop the worker.",
    )
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    run.add_argument(
        "--timeout",
        type=positive_number,
        default=180.0,
        help="give up after S seconds (180)",
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.cli.run import RunError, run

    paths = corpus(args.paths)
    try:
        with corpus_access(), kafka_access(settings):
            run(settings, paths, out=sys.stdout, timeout=args.timeout)
    except RunError as error:
        raise CliError(str(error)) from error
    return 0
