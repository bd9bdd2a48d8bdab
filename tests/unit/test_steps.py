from __future__ import annotations

import pytest

from pipeline.steps import Steps, at_once, run_steps


def _counted(n: int, seen: list[int]) -> Steps[int]:
    for i in range(n):
        seen.append(i)
        yield
    return n * 10


def test_run_steps_runs_every_step_and_returns_the_result() -> None:
    seen: list[int] = []
    assert run_steps(_counted(3, seen)) == 30
    assert seen == [0, 1, 2]


def test_at_once_makes_a_plain_function_one_step() -> None:
    steps = at_once(lambda a, *, b: a + b)(1, b=2)
    with pytest.raises(StopIteration) as done:
        next(steps)
    assert done.value.value == 3
