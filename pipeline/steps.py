"""Work cut into steps, so that an event loop can run other work between them.

A step function is a generator that yields ``None`` between steps and returns its
result. ``run_steps`` runs one to its end at once (``newsline extract``); the
worker's deciders await between steps instead, so that a long decision (an article
with many claims in a big story) does not hold every other agent of the worker
back for its whole length.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")

#: Work that yields between its steps and returns a ``T``.
Steps = Generator[None, None, T]


def run_steps(steps: Steps[T]) -> T:
    """Every step at once; the result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: T = done.value
            return result


def at_once(func: Callable[P, T]) -> Callable[P, Steps[T]]:
    """A plain function as a step function of one step."""

    def steps(*args: P.args, **kwargs: P.kwargs) -> Steps[T]:
        return func(*args, **kwargs)
        yield  # pragma: no cover -- makes this a generator; never reached

    return steps
