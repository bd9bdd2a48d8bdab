"""all-MiniLM-L6-v2 as its authors run it (six BERT layers, mean pooling, unit
length), in numpy: the yardstick ``bench/same_claim.py`` holds the static vectors
against. Nothing in the pipeline runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from pipeline.corroborate.meaning import _model_dir

Array = npt.NDArray[np.float32]
LAYERS, HEADS, WIDTH = 6, 12, 384
HEAD = WIDTH // HEADS


@dataclass(frozen=True)
class MiniLM:
    weights: dict[str, Array]
    tokenizer: Tokenizer

    @classmethod
    def load(cls, model_dir: Path | None = None) -> MiniLM:
        folder = model_dir or _model_dir()
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(128)
        tokenizer.enable_padding()
        return cls(load_file(str(folder / "model.safetensors")), tokenizer)

    def encode(self, texts: list[str]) -> Array:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded])
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        x = self._embed(ids)
        # Python floats only: a numpy float64 scalar would promote every array.
        masked = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(LAYERS):
            x = self._layer(x, f"encoder.layer.{layer}.", masked)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def _embed(self, ids: npt.NDArray[np.int64]) -> Array:
        w = self.weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return self._norm(x, "embeddings.LayerNorm")

    def _layer(self, x: Array, p: str, masked: Array) -> Array:
        batch, length, _ = x.shape

        def heads(name: str) -> Array:
            projected = self._linear(x, p + name)
            return projected.reshape(batch, length, HEADS, HEAD).transpose(0, 2, 1, 3)

        q, k, v = (
            heads("attention.self.query"),
            heads("attention.self.key"),
            heads("attention.self.value"),
        )
        scores = q @ k.transpose(0, 1, 3, 2) * (1.0 / HEAD**0.5) + masked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, WIDTH)
        x = self._norm(
            self._linear(context, p + "attention.output.dense") + x,
            p + "attention.output.LayerNorm",
        )
        hidden = _gelu(self._linear(x, p + "intermediate.dense"))
        return self._norm(
            self._linear(hidden, p + "output.dense") + x, p + "output.LayerNorm"
        )

    def _linear(self, x: Array, name: str) -> Array:
        return x @ self.weights[name + ".weight"].T + self.weights[name + ".bias"]

    def _norm(self, x: Array, name: str) -> Array:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normed = (x - mean) / np.sqrt(var + 1e-12)
        return normed * self.weights[name + ".weight"] + self.weights[name + ".bias"]


def _gelu(x: Array) -> Array:
    # The tanh form: within 1e-3 of the exact one, and numpy has no erf.
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))
