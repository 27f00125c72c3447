"""HashEmbedder: a deterministic fake embedder for tests (no model, no network)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .base import Vectors, l2_normalise

_TOKEN = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """A deterministic fake: hashed bag of words and character trigrams.

    Texts sharing words get similar vectors, so retrieval tests behave like a
    real (if crude) embedder, with no model and no network.
    """

    def __init__(self, dim: int = 64, name: str = "hash-embedder") -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        self.dim = dim
        self.name = f"{name}-{dim}"

    def _vec(self, text: str) -> npt.NDArray[np.float32]:
        v = np.zeros(self.dim, dtype=np.float32)
        words = _TOKEN.findall(text.lower())
        feats = words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        for f in feats:
            h = hashlib.blake2b(f.encode(), digest_size=8).digest()
            idx = int.from_bytes(h[:4], "little") % self.dim
            sign = 1.0 if h[4] & 1 else -1.0
            v[idx] += sign
        return v

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(np.stack([self._vec(t) for t in texts]))

    def embed_query(self, text: str) -> Vectors:
        vec: Vectors = self.embed_documents([text])[0]
        return vec
