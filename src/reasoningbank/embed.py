"""The embedder seam: texts in, L2-normalised float32 vectors out.

Real implementations: :mod:`reasoningbank.embed_local` (sentence-transformers,
offline) and :mod:`reasoningbank.embed_litellm` (hosted models). The
deterministic :class:`HashEmbedder` ships for tests.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

# The paper embeds the query side with an instruction prefix (PAPER.md 6.2).
PAPER_QUERY_INSTRUCTION = (
    "Given prior agent task queries, analyse the intent of the current query and "
    "select the prior queries whose experience could help solve it."
)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors of a fixed dimension.

    ``name`` identifies the model; a bank refuses vectors from a different name.
    ``embed_documents`` embeds stored texts; ``embed_query`` embeds a search
    query (optionally instruction-prefixed, as in the paper).
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


def l2_normalise(mat: npt.ArrayLike) -> Vectors:
    """Row-wise L2 normalisation; zero rows stay zero."""
    arr = np.asarray(mat, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vectors = (arr / norms).astype(np.float32)
    return out


def instruct_query(text: str, instruction: str = PAPER_QUERY_INSTRUCTION) -> str:
    """The paper's instruction-prefixed query text."""
    return f"Instruct: {instruction}\nQuery: {text}"


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
