"""``newsline tail``: a topic's records as JSON lines."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from pipeline.cli.common import (
    command,
    kafka_access,
    positive_integer,
    positive_number,
)
from pipeline.settings import Settings


def add(commands: Any) -> None:
    tail = command(
        commands,
        "tail",
        _tail,
        "print a topic's records as JSON lines",
        "Print records of TOPIC (a pipeline topic such as articles.enriched gets the\n"
        "NEWSLINE_TOPIC_PREFIX) as one JSON document per line on stdout.",
    )
    tail.add_argument("topic", metavar="TOPIC")
    tail.add_argument("--from-beginning", action="store_true", help="start at offset 0")
    tail.add_argument("--limit", type=positive_integer, help="stop after N records")
    tail.add_argument(
        "--timeout",
        type=positive_number,
        help="stop after S seconds without a new record",
    )


def _tail(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.clients.tail import tail

    with kafka_access(settings):
        asyncio.run(
            tail(
                settings,
                args.topic,
                out=sys.stdout,
                from_beginning=args.from_beginning,
                limit=args.limit,
                idle_timeout=args.timeout,
            )
        )
    return 0
