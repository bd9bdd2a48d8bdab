"""What a decider's expiry walk costs as forgotten keys pile up in RocksDB.

A decider finds the articles that left its window by walking its expiry table
in key order (``EventWindow.due``) every few decisions, and deletes the entries
it forgets from the front. RocksDB keeps a deleted key as a tombstone until
compaction drops it, and a walk from the first key steps over every one still
there; a walk that seeks to the last key deleted (as the window's walks now do)
steps over one. This slides a window of 5,000 keys over a RocksDB (rocksdict,
with the write buffer a worker's tables get, ``NEWSLINE_STATE_WRITE_BUFFER_MB``)
and prints the time to read the first live key both ways as deletes accumulate:

    .venv/bin/python bench/expiry_scan.py [--rounds 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

from rocksdict import Options, Rdict

from pipeline.settings import Settings

WINDOW = 5_000
READS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    rounds = parser.parse_args().rounds
    options = Options()
    options.set_write_buffer_size(Settings().state_write_buffer_mb * 1024 * 1024)
    with tempfile.TemporaryDirectory() as path:
        db = Rdict(path, options)
        for done in range(rounds):
            start = done * WINDOW
            for i in range(start, start + WINDOW):
                db[f"{i:012d}".encode()] = b"1"
            for i in range(start - WINDOW, start):
                if i >= 0:
                    del db[f"{i:012d}".encode()]
            last = f"{max(0, start - 1):012d}".encode()
            first_ms = _ms(lambda: next(iter(db.keys())))
            seek_ms = _ms(lambda: next(iter(db.keys(from_key=last))))  # noqa: B023
            print(
                f"{max(0, start):7,} keys deleted: first live key in"
                f" {first_ms:.3f} ms from the first key,"
                f" {seek_ms:.3f} ms from the last deleted"
            )
        db.close()


def _ms(read: Callable[[], object]) -> float:
    began = time.perf_counter()
    for _ in range(READS):
        read()
    return (time.perf_counter() - began) / READS * 1000


if __name__ == "__main__":
    main()
