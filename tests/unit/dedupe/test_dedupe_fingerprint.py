"""Fingerprints: MinHash accuracy, sentence keys, determinism across processes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from pipeline.dedupe import fingerprint, fingerprint_record
from pipeline.dedupe.fingerprint import sentence_key, words
from pipeline.dedupe.minhash import EMPTY_ROW, Hashes, estimate_jaccard
from pipeline.rejection import Rejection
from pipeline.settings import DedupeSettings
from schemas import EnrichedArticle
from schemas.dedupe import DedupeRequest
from tests.unit.conftest import ArticleFactory

SETTINGS = DedupeSettings()
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def article(article_factory: ArticleFactory) -> EnrichedArticle:
    return article_factory(random_text(300, seed=1))


def random_text(count: int, *, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(100_000)}" for _ in range(count))


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def true_jaccard(first: str, second: str) -> float:
    a, b = shingles(first), shingles(second)
    return len(a & b) / len(a | b)


def test_shape_of_a_fingerprint(article: EnrichedArticle) -> None:
    result = fingerprint(article, settings=SETTINGS)
    assert len(result.signature) == SETTINGS.num_perm == 120
    assert len(result.bands) == SETTINGS.bands
    assert [band.split(":")[0] for band in result.bands] == [
        str(n) for n in range(SETTINGS.bands)
    ]
    assert result.content_hash == article.content_hash
    assert all(0 <= row < 2**32 for row in result.signature)


@pytest.mark.parametrize("shared", [0, 50, 150, 250, 330, 370, 396])
def test_estimate_is_close_to_the_true_jaccard(
    article_factory: ArticleFactory, shared: int
) -> None:
    base = random_text(400, seed=2).split()
    other = base[:shared] + random_text(400 - shared, seed=3).split()
    first, second = " ".join(base), " ".join(other)
    truth = true_jaccard(first, second)
    one = fingerprint(article_factory(first), settings=SETTINGS)
    two = fingerprint(article_factory(second), settings=SETTINGS)
    estimate = estimate_jaccard(*(_array(f.signature) for f in (one, two)))
    assert abs(estimate - truth) < 0.1, (truth, estimate)


def _array(signature: tuple[int, ...]) -> Hashes:
    return np.asarray(signature, dtype=np.uint64)


def test_text_without_words_has_the_empty_signature_and_no_bands(
    article_factory: ArticleFactory,
) -> None:
    result = fingerprint(article_factory("-- ... --"), settings=SETTINGS)
    assert result.signature == (EMPTY_ROW,) * SETTINGS.num_perm
    assert result.bands == ()
    assert result.sentences == ()


def test_boilerplate_is_left_out_of_the_signature(
    article_factory: ArticleFactory,
) -> None:
    body = random_text(100, seed=4)
    plain = fingerprint(article_factory(body), settings=SETTINGS)
    framed = article_factory(
        f"Read more at our site today\n{body}", boilerplate=frozenset({0})
    )
    assert fingerprint(framed, settings=SETTINGS).signature == plain.signature


def test_short_texts_are_one_shingle(article_factory: ArticleFactory) -> None:
    one = fingerprint(article_factory("Markets rose"), settings=SETTINGS)
    two = fingerprint(article_factory("Markets fell"), settings=SETTINGS)
    same = fingerprint(article_factory("markets, ROSE!"), settings=SETTINGS)
    assert one.signature != two.signature
    assert one.signature == same.signature
    assert len(one.bands) == SETTINGS.bands


def test_sentence_keys_ignore_case_spacing_quotes_and_outer_punctuation() -> None:
    keys = {
        sentence_key(words(text))
        for text in (
            "South Korea's spy agency confirmed the capture.",
            "South Korea\u2019s spy agency confirmed the capture",
            '"south korea\'s  spy agency confirmed the capture!"',
        )
    }
    assert len(keys) == 1


def test_sentence_keys_keep_figures_apart() -> None:
    assert sentence_key(words("It cost 3.5 million dollars in all")) != sentence_key(
        words("It cost 35 million dollars in all")
    )


def test_only_long_content_sentences_are_keyed(article_factory: ArticleFactory) -> None:
    text = "\n".join(
        [
            "Five words are too short.",
            "Six words are enough for this.",
            "Subscribe to our newsletters for daily news alerts now",
            "Korea's forces said nothing more today.",
        ]
    )
    result = fingerprint(
        article_factory(text, boilerplate=frozenset({2})), settings=SETTINGS
    )
    assert [s.index for s in result.sentences] == [1, 3]


def test_fingerprint_record_gives_a_request(article: EnrichedArticle) -> None:
    request = fingerprint_record(article.model_dump_json().encode(), settings=SETTINGS)
    assert isinstance(request, DedupeRequest)
    assert request.article == article
    assert request.fingerprint == fingerprint(article, settings=SETTINGS)


@pytest.mark.parametrize("value", [b"", b"not json", b'{"article_id": "x"}'])
def test_fingerprint_record_rejects_what_is_not_an_article(value: bytes) -> None:
    result = fingerprint_record(value, settings=SETTINGS)
    assert isinstance(result, Rejection)
    assert result.error_type == "invalid_record"


def test_request_refuses_a_fingerprint_of_another_text(
    article_factory: ArticleFactory,
) -> None:
    one = article_factory(random_text(50, seed=5))
    other = fingerprint(article_factory(random_text(50, seed=6)), settings=SETTINGS)
    with pytest.raises(ValidationError, match="content_hash"):
        DedupeRequest(article=one, fingerprint=other)


_CHILD = """
import json, sys
from pipeline.dedupe import fingerprint
from pipeline.settings import DedupeSettings
from schemas import EnrichedArticle
article = EnrichedArticle.model_validate_json(sys.stdin.read())
print(fingerprint(article, settings=DedupeSettings()).model_dump_json())
"""


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_fingerprint_is_the_same_in_another_process(
    seeds_dir: Path, article_factory: ArticleFactory, hash_seed: str
) -> None:
    text = sorted(seeds_dir.glob("*.txt"))[0].read_text(encoding="utf-8")
    article = article_factory(text.strip())
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=article.model_dump_json(),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    here = fingerprint(article, settings=SETTINGS)
    assert json.loads(child.stdout) == json.loads(here.model_dump_json())
