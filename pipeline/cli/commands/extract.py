"""``newsline extract``: the stages in-process, without a broker."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.common import command, corpus, corpus_access, output_folder, say
from pipeline.settings import Settings


def add(commands: Any) -> None:
    extract = command(
        commands,
        "extract",
        _extract,
        "run the stages in-process, without a broker",
        "Run the pipeline's stages over corpus files in the order given and write one\n"
        "<topic>.jsonl per output topic into --out. Same stage code as the service.",
    )
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--out", type=Path, required=True, help="output folder")
    extract.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, help="progress bar"
    )


def _extract(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.cli.extract import extract

    paths = corpus(args.paths)
    out = output_folder(args.out)
    with corpus_access():
        counts = extract(settings, paths, out, show_progress=args.progress)
    for topic, count in counts.items():
        say(f"{args.out / (topic + '.jsonl')}: {count} records")
    return 0
