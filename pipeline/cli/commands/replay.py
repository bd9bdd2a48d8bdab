"""``newsline replay``: corpus files onto ``articles.raw``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from pipeline.cli.common import (
    command,
    corpus,
    corpus_access,
    kafka_access,
    positive_integer,
    positive_number,
    say,
)
from pipeline.settings import Settings


def add(commands: Any) -> None:
    replay = command(
        commands,
        "replay",
        _replay,
        "produce corpus files to articles.raw",
        "Send .txt, .html, .html.gz and .jsonl (one RawArticle per line) files, or\n"
        "the files in folders, to articles.raw keyed by article_id. A .txt file's\n"
        "source is its file name without the extension.",
    )
    replay.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    replay.add_argument(
        "--repeat",
        type=positive_integer,
        default=1,
        help="send N copies with distinct article_ids",
    )
    replay.add_argument(
        "--rate", type=positive_number, help="at most R articles per second"
    )
    replay.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress bar (default: on a terminal only)",
    )


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.clients.replay import replay

    paths = corpus(args.paths)
    with corpus_access(), kafka_access(settings):
        report = asyncio.run(
            replay(
                settings,
                paths,
                repeat=args.repeat,
                rate=args.rate,
                show_progress=args.progress,
            )
        )
    rate = report.sent / report.seconds if report.seconds else 0.0
    say(f"sent {report.sent} articles in {report.seconds:.1f} s ({rate:.0f}/s)")
    return 0
