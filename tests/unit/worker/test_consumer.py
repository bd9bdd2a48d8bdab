"""The at-least-once consumer's rules, without a broker."""

from __future__ import annotations

from faust.types import TP

from pipeline.worker.consumer import NothingRead, head_is_done


def test_a_hole_at_the_head_holds_the_commit_back() -> None:
    # faust itself commits past a one-record hole (faust-streaming #606).
    assert not head_is_done([41, 42, 43], committed=40)
    assert not head_is_done([45], committed=40)


def test_a_partition_whose_first_record_is_done_may_be_committed() -> None:
    assert head_is_done([40, 41, 43], committed=40)
    assert head_is_done([], committed=40)
    assert head_is_done([3], committed=None)


def test_nothing_counts_as_read_so_no_fetched_record_is_dropped() -> None:
    offsets = NothingRead()
    tp = TP("articles.clean", 0)
    offsets[tp] = 197
    offsets.update({tp: 64})
    assert offsets[tp] is None
    assert offsets.pop(tp, None) == 64
