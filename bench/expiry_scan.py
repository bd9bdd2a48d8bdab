"""What a decider's expiry walk costs as forgotten keys pile up in RocksDB.

A decider finds the articles that left its window by walking its expiry table
from its first key (``EventWindow.due``), after every decision, and deletes the
entries it forgets from the front. RocksDB keeps a deleted key as a tombstone
until compaction drops it, and a walk from the first key steps over every one
still there. This slides a window of 5,000 keys over a RocksDB (rocksdict, with
the write buffer a worker's tables get, ``NEWSLINE_STATE_WRITE_BUFFER_MB``) and
prints the time to read the first live key as deletes accumulate:

    .venv/bin/python bench/expiry_scan.py [--rounds 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time

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
            began = time.perf_counter()
            for _ in range(READS):
                next(iter(db.keys()))
            ms = (time.perf_counter() - began) / READS * 1000
            print(f"{max(0, start):7,} keys deleted: first live key in {ms:.3f} ms")
        db.close()


if __name__ == "__main__":
    main()
