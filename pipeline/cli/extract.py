"""``newsline extract``: the pipeline's stages in-process, without a broker.

It runs ``pipeline.stages.Stages`` over the corpus, chunk after chunk, so its files
equal what the service publishes when the articles are decided in the same order.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from pipeline.clients.corpus import SourceRecord, plan
from pipeline.codec import encode
from pipeline.cpu import CpuPool, fed_promptly
from pipeline.flow import (
    Output,
)
from pipeline.nlp import load_models
from pipeline.settings import Settings
from pipeline.stages import Stages
from pipeline.topics import (
    OUTPUTS,
    TopicSpec,
)

#: Records handed to the process pool at a time (keeps the progress bar moving).
CHUNK = 64
#: Chunks claimed ahead of the one being corroborated (``Stages.overlapped``).
AHEAD = 3


def extract(
    settings: Settings,
    paths: Sequence[Path],
    out_dir: Path,
    *,
    show_progress: bool | None = None,
) -> dict[str, int]:
    """Run the corpus through the stages; write one ``<topic>.jsonl`` per output topic.

    Returns the number of records written per topic. Records are written as each
    chunk of the corpus comes out, so memory does not grow with the output.
    """
    records = list(plan(paths))
    with OutputFiles(out_dir) as files, fed_promptly():
        asyncio.run(_run_stages(settings, records, show_progress, files.write))
    return files.counts


async def _run_stages(
    settings: Settings,
    records: list[SourceRecord],
    show_progress: bool | None,
    write: Callable[[Sequence[Output]], None],
) -> None:
    pool = CpuPool(
        settings.process_workers,
        initializer=load_models,
        chunk_items=settings.pool_chunk_items,
    )
    stages = Stages(settings, pool)
    disable = None if show_progress is None else not show_progress

    async def chunks() -> AsyncIterator[list[SourceRecord]]:
        for start in range(0, len(records), CHUNK):
            yield records[start : start + CHUNK]

    try:
        with tqdm(
            total=len(records), unit="article", disable=disable, file=sys.stderr
        ) as bar:
            async for chunk, outputs in stages.overlapped(chunks(), ahead=AHEAD):
                write(outputs)
                bar.update(len(chunk))
    finally:
        pool.shutdown()


class OutputFiles:
    """One ``<topic>.jsonl`` per output topic in a folder, one JSON line per record
    (empty files included). The files are created on entry, before any work."""

    def __init__(self, out_dir: Path) -> None:
        self._out_dir = out_dir
        self._files: dict[TopicSpec, BinaryIO] = {}
        self.counts: dict[str, int] = {spec.name: 0 for spec in OUTPUTS}

    def __enter__(self) -> OutputFiles:
        self._out_dir.mkdir(parents=True, exist_ok=True)
        try:
            for spec in OUTPUTS:
                path = self._out_dir / f"{spec.name}.jsonl"
                self._files[spec] = path.open("wb")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, outputs: Sequence[Output]) -> None:
        for output in outputs:
            if output.topic in self._files:
                self._files[output.topic].write(encode(output.record) + b"\n")
                self.counts[output.topic.name] += 1

    def close(self) -> None:
        for file in self._files.values():
            file.close()
