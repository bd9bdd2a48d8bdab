from __future__ import annotations

import pytest

from pipeline.cpu import CpuPool, _chunks


def _square(value: int, *, offset: int = 0) -> int:
    return value * value + offset


async def test_map_keeps_order_across_processes() -> None:
    pool = CpuPool(2)
    try:
        assert await pool.map(_square, list(range(25)), offset=1) == [
            v * v + 1 for v in range(25)
        ]
        assert await pool.map(_square, []) == []
    finally:
        pool.shutdown()


@pytest.mark.parametrize(("size", "count"), [(1, 4), (7, 2), (8, 4), (100, 3)])
def test_chunks_cover_everything_once(size: int, count: int) -> None:
    items = list(range(size))
    chunks = _chunks(items, count)
    assert len(chunks) <= count
    assert [x for chunk in chunks for x in chunk] == items
