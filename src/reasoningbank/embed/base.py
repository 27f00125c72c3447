"""The Embedder protocol and the vector helpers every embedder shares."""

from __future__ import annotations

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
