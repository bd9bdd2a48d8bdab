"""MinHash signatures of word shingles, and their LSH band keys.

Every hash here is the same in every process, on every machine and under every numpy
release: signatures are stored in the dedupe tables and compared with signatures
computed later, maybe by another worker after an upgrade. So no ``hash()`` (salted per
process) and no numpy random generator (numpy does not promise its streams across
versions): the hash parameters are blake2b digests of fixed labels.

The hash family is multiply-add-shift, ``((a * x + b) mod 2**64) >> 32`` with 64-bit
``a`` (odd) and ``b`` and 32-bit ``x``: strongly universal, and numpy computes it with
wrapping uint64 arithmetic, without the modulo a prime field needs.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray

Hashes = NDArray[np.uint64]

#: The signature of a text without words: no shingle ever lowered a row.
EMPTY_ROW = 2**32 - 1

# Keys the hash parameters; changing it changes every signature (and so forgets the
# near-duplicates of everything already in the index).
_SEED = b"newsline.dedupe.v1"
# Shingles per block of the MinHash product, so that a very long text does not
# allocate a (shingles x permutations) matrix all at once (2048 x 120 x 8 B = 2 MB).
_BLOCK = 2048


def shingle_hashes(words: Sequence[str], *, size: int) -> Hashes:
    """32-bit hashes of the ``size``-word shingles of ``words`` (one for a short text).

    Each word is hashed once (crc32, measured faster than hashing each joined shingle
    string); a shingle's hash combines its words' with a multiply-shift vector hash.
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    hashed = map(zlib.crc32, map(str.encode, words))
    tokens = np.fromiter(hashed, np.uint64, len(words))
    width = min(size, len(tokens))
    count = len(tokens) - width + 1
    weights = _constants("shingle", width)
    combined: Hashes = tokens[:count] * weights[0]
    for offset in range(1, width):
        combined += tokens[offset : offset + count] * weights[offset]
    combined >>= np.uint64(32)
    return combined


def minhash(shingles: Hashes, *, num_perm: int) -> Hashes:
    """The MinHash signature: per permutation, the least hash of any shingle."""
    signature = np.full(num_perm, EMPTY_ROW, dtype=np.uint64)
    multipliers, offsets = _permutations(num_perm)
    for start in range(0, len(shingles), _BLOCK):
        block = shingles[start : start + _BLOCK, np.newaxis] * multipliers
        block += offsets
        block >>= np.uint64(32)
        np.minimum(signature, block.min(axis=0), out=signature)
    return signature


def band_keys(signature: Hashes, *, bands: int, rows: int) -> tuple[str, ...]:
    """One LSH bucket key per band: ``"<band>:<digest of the band's rows>"``."""
    packed = signature.astype("<u4")
    return tuple(
        f"{band}:{_digest(packed[band * rows : (band + 1) * rows].tobytes())}"
        for band in range(bands)
    )


def estimate_jaccard(first: Hashes, second: Hashes) -> float:
    """The share of equal rows: an unbiased estimate of the shingle sets' Jaccard."""
    if first.shape != second.shape:
        raise ValueError("signatures of different lengths cannot be compared")
    return int(np.count_nonzero(first == second)) / first.size


def pack_signature(signature: Sequence[int]) -> str:
    """A signature as compact text (base64 of little-endian uint32), for JSON stores."""
    rows = np.asarray(signature, dtype="<u4")
    return base64.b64encode(rows.tobytes()).decode("ascii")


def unpack_signature(packed: str) -> Hashes:
    """The inverse of ``pack_signature``."""
    rows = np.frombuffer(base64.b64decode(packed), dtype="<u4")
    return rows.astype(np.uint64)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


@cache
def _permutations(num_perm: int) -> tuple[Hashes, Hashes]:
    multipliers = _constants("multiplier", num_perm) | np.uint64(1)  # odd: a bijection
    multipliers.setflags(write=False)
    return multipliers, _constants("offset", num_perm)


@cache
def _constants(purpose: str, count: int) -> Hashes:
    """``count`` fixed pseudo-random 64-bit numbers, the same everywhere."""
    digests = b"".join(
        hashlib.blake2b(f"{purpose}:{i}".encode(), digest_size=8, key=_SEED).digest()
        for i in range(count)
    )
    constants = np.frombuffer(digests, dtype="<u8").astype(np.uint64)
    constants.setflags(write=False)  # shared by every caller through the cache
    return constants
