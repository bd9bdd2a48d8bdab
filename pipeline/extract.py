"""``newsline extract``: the pipeline's stages in-process, without a broker.

It calls the very stage functions the agents call and routes their results with the
same code (pipeline.flow), so its files equal what the service publishes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from pipeline.codec import encode, encode_key
from pipeline.corpus import SourceRecord, plan
from pipeline.cpu import CpuPool
from pipeline.deadletter import Origin
from pipeline.flow import Output, route_ingest
from pipeline.ingest import Rejection, ingest_record
from pipeline.settings import Settings
from pipeline.topics import OUTPUTS
from schemas import EnrichedArticle

#: Records handed to the process pool at a time (keeps the progress bar moving).
CHUNK = 64


def extract(
    settings: Settings,
    paths: Sequence[Path],
    out_dir: Path,
    *,
    show_progress: bool | None = None,
) -> dict[str, int]:
    """Run the corpus through the stages; write one ``<topic>.jsonl`` per output topic.

    Returns the number of records written per topic.
    """
    records = list(plan(paths))
    outputs = asyncio.run(_run_stages(settings, records, show_progress))
    return write_outputs(outputs, out_dir)


async def _run_stages(
    settings: Settings, records: list[SourceRecord], show_progress: bool | None
) -> list[Output]:
    pool = CpuPool(settings.process_workers)
    disable = None if show_progress is None else not show_progress
    outputs: list[Output] = []
    try:
        with tqdm(
            total=len(records), unit="article", disable=disable, file=sys.stderr
        ) as bar:
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                values = [record.value for record in chunk]
                results = await pool.map(ingest_record, values, limits=settings.ingest)
                outputs += [
                    _route(r, result) for r, result in zip(chunk, results, strict=True)
                ]
                bar.update(len(chunk))
    finally:
        pool.shutdown()
    return outputs


def _route(record: SourceRecord, result: EnrichedArticle | Rejection) -> Output:
    return route_ingest(
        result,
        value=record.value,
        key=encode_key(record.key),
        origin=Origin(topic=record.origin),
    )


def write_outputs(outputs: Sequence[Output], out_dir: Path) -> dict[str, int]:
    """One JSON line per record, one file per output topic (empty files included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for spec in OUTPUTS:
        lines = [encode(o.record) + b"\n" for o in outputs if o.topic == spec]
        (out_dir / f"{spec.name}.jsonl").write_bytes(b"".join(lines))
        counts[spec.name] = len(lines)
    return counts
