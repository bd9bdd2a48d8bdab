"""What a claim means as a vector, how state keeps it, and when two claims are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.corroborate.meaning import (
    ModelMissingError,
    cosine,
    load,
    meaning,
    pack,
    unpack,
)
from pipeline.corroborate.profile import ClaimProfile, similarity, word_similarity
from pipeline.corroborate.terms import periods_overlap

CAPTURE = "Ukraine captured two wounded North Korean soldiers in the Kursk region."


def closeness(a: str, b: str) -> float:
    value = cosine(meaning().vector(a), meaning().vector(b))
    assert value is not None
    return value


def test_a_paraphrase_is_closer_than_another_fact_of_the_story() -> None:
    paraphrase = (
        "Two North Korean troops were taken prisoner by Ukrainian forces in Kursk."
    )
    other_fact = "Ukraine said Russia had lost about 700 soldiers in the Kursk region."
    unrelated = "The central bank raised interest rates by a quarter of a point."
    assert closeness(CAPTURE, paraphrase) > closeness(CAPTURE, other_fact)
    assert closeness(CAPTURE, other_fact) > closeness(CAPTURE, unrelated)


def test_a_vector_is_a_unit_vector_and_state_keeps_it_closely() -> None:
    vector = meaning().vector(CAPTURE)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    kept = unpack(pack(vector))
    assert len(pack(vector)) == 512  # 384 bytes, base64
    assert cosine(vector, kept) == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError, match="read-only"):
        kept[0] = 0.0  # shared by every reader of the cached record


def test_a_text_with_no_words_has_no_direction() -> None:
    vector = meaning().vector("")
    assert not vector.any()
    assert cosine(vector, meaning().vector(CAPTURE)) == 0.0
    assert cosine(None, vector) is None


def test_another_weights_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(ModelMissingError, match="not the all-MiniLM-L6-v2 file"):
        load(tmp_path)


def profile_of(claim_id: str, terms: list[str], *rest: object) -> list[object]:
    return [claim_id, terms, ["kursk"], [], *rest]


def test_a_profile_kept_before_vectors_is_scored_on_its_words() -> None:
    old = ClaimProfile.load(profile_of("a", ["captur", "soldier", "wound"]))
    assert old.vector is None
    assert old.periods == frozenset()
    new = ClaimProfile.load(
        profile_of("b", ["captur", "soldier"], pack(meaning().vector(CAPTURE)), [])
    )
    assert similarity(old, new) == word_similarity(old, new)
    assert (
        ClaimProfile.load(new.dump()) == new
        or new.dump() == ClaimProfile.load(new.dump()).dump()
    )


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ({"2005-01"}, {"-01"}, True),
        ({"2005-01"}, {"2005"}, True),
        ({"2005-01"}, {"2004-01"}, False),
        ({"-10"}, {"-01"}, False),
        ({"2004"}, {"2005", "-03"}, True),
    ],
)
def test_periods_overlap_when_the_parts_both_name_agree(
    a: set[str], b: set[str], overlap: bool
) -> None:
    assert periods_overlap(frozenset(a), frozenset(b)) is overlap
