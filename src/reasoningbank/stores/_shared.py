"""Logic shared by the store backends: validation, vectors, top-k, superseding.

:class:`~reasoningbank.stores.memory.InMemoryStore` and the SQL stores
(:class:`~reasoningbank.stores.sql.store.SQLStore` and its dialects) use these
helpers so that they behave identically (the conformance suite checks that they do).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from ..models import EmbeddingRef, Experience, MemoryItem
from .base import EmbeddingMismatchError, StoreError

Matrix = npt.NDArray[np.float32]


def timestamp(dt: datetime) -> float:
    """Seconds since the epoch, for ordering; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def vector_of(ref: EmbeddingRef) -> npt.NDArray[np.float32]:
    """The stored vector as float32; refuses a ``dim`` that disagrees with the vector."""
    arr = np.asarray(ref.vector, dtype=np.float32)
    if arr.ndim != 1 or arr.shape[0] != ref.dim:
        raise EmbeddingMismatchError(
            f"embedding of model {ref.model!r} declares dim={ref.dim} but its vector has {arr.size} values"
        )
    if not np.all(np.isfinite(arr)):
        raise EmbeddingMismatchError(f"embedding of model {ref.model!r} holds NaN or infinite values")
    return arr


def as_float32_ref(ref: EmbeddingRef) -> EmbeddingRef:
    """The reference as it is stored: values rounded to float32 (what SQLite keeps)."""
    return EmbeddingRef(model=ref.model, dim=ref.dim, vector=vector_of(ref).tolist())


def check_binding(
    scope: str, bound: tuple[str, int] | None, experiences: Iterable[Experience]
) -> tuple[str, int] | None:
    """Check the vectors of ``experiences`` against the scope's binding.

    Returns the binding after the batch (the first vector binds an unbound
    scope). Raises :class:`EmbeddingMismatchError` naming the offender.
    """
    for exp in experiences:
        ref = exp.query_embedding
        if ref is None:
            continue
        vector_of(ref)
        if bound is None:
            bound = (ref.model, ref.dim)
        elif (ref.model, ref.dim) != bound:
            raise EmbeddingMismatchError(
                f"experience {exp.id!r}: scope {scope!r} is bound to embedding model "
                f"{bound[0]!r} (dim {bound[1]}), got {ref.model!r} (dim {ref.dim})"
            )
    return bound


def prepare_batch(experiences: Sequence[Experience], *, deep_copy: bool = False) -> list[Experience]:
    """Validate a batch and return the experiences to store.

    Item ``experience_id`` is stamped with the owning experience when empty; an
    item naming another experience, duplicate ids inside the batch and
    duplicate item ids raise ``ValueError``/:class:`StoreError`. With
    ``deep_copy`` the result shares nothing with the caller's objects and its
    vectors are rounded to float32 (what a store that keeps them in memory
    needs); otherwise only changed parts are copied.
    """
    out: list[Experience] = []
    seen: set[tuple[str, str]] = set()
    seen_items: set[tuple[str, str]] = set()
    for exp in experiences:
        if not isinstance(exp, Experience):
            raise TypeError(f"expected an Experience, got {type(exp).__name__}")
        if not exp.scope.strip():
            raise ValueError(f"experience {exp.id!r}: scope must not be empty")
        key = (exp.scope, exp.id)
        if key in seen:
            raise StoreError(f"experience {exp.id!r} appears twice in the batch for scope {exp.scope!r}")
        seen.add(key)
        items: list[MemoryItem] = []
        for item in exp.items:
            if item.experience_id is not None and item.experience_id != exp.id:
                raise ValueError(
                    f"item {item.id!r} of experience {exp.id!r} names another experience "
                    f"({item.experience_id!r})"
                )
            ikey = (exp.scope, item.id)
            if ikey in seen_items:
                raise StoreError(f"item id {item.id!r} appears twice in scope {exp.scope!r}")
            seen_items.add(ikey)
            if item.experience_id is None or deep_copy:
                item = item.model_copy(update={"experience_id": exp.id}, deep=deep_copy)
            items.append(item)
        emb = exp.query_embedding
        if emb is not None:
            vector_of(emb)
            if deep_copy:
                emb = as_float32_ref(emb)
        update = {"items": items, "query_embedding": emb}
        out.append(exp.model_copy(update=update, deep=deep_copy))
    return out


def current_items(items: Iterable[MemoryItem]) -> list[MemoryItem]:
    return [it for it in items if it.superseded_by is None]


def next_version(scope: str, old: MemoryItem, new_item: MemoryItem) -> MemoryItem:
    """The stored form of ``new_item`` as the successor of ``old``."""
    if old.superseded_by is not None:
        raise StoreError(
            f"item {old.id!r} in scope {scope!r} is already superseded by {old.superseded_by!r}; "
            "supersede the current version instead"
        )
    if new_item.id == old.id:
        raise StoreError(f"the new version of item {old.id!r} must have a different id")
    return new_item.model_copy(
        update={"version": old.version + 1, "experience_id": old.experience_id, "superseded_by": None},
        deep=True,
    )


def normalise_rows(mat: Matrix) -> Matrix:
    """Unit rows (zero rows stay zero), so a dot product is the cosine."""
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Matrix = (mat / norms).astype(np.float32, copy=False)
    return out


def query_vector(
    scope: str, vector: npt.NDArray[np.float32], model: str, bound: tuple[str, int] | None
) -> npt.NDArray[np.float32] | None:
    """The unit query vector, or None if the scope has no vectors yet."""
    arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    if bound is None:
        return None
    if (model, arr.shape[0]) != bound:
        raise EmbeddingMismatchError(
            f"search in scope {scope!r}: the scope is bound to embedding model {bound[0]!r} "
            f"(dim {bound[1]}), the query is from {model!r} (dim {arr.shape[0]})"
        )
    norm = float(np.linalg.norm(arr))
    out: npt.NDArray[np.float32] = arr / norm if norm > 0 else arr
    return out


def top_k(scores: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_] | None, k: int) -> list[int]:
    """Indices of the ``k`` best scores, best first; equal scores go newest (last stored) first.

    Newest first matters when queries repeat: identical past queries tie exactly,
    and the newest of them carries the bank's latest lesson for that query. Had
    the oldest won, a repeated task would be shown its first experience forever
    and the memory would never evolve for it.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if mask is not None:
        scores = np.where(mask, scores, -np.inf).astype(np.float32)
        avail = int(mask.sum())
    else:
        avail = scores.shape[0]
    k = min(k, avail)
    if k == 0:
        return []
    n = scores.shape[0]
    if k < n:
        # Every index scoring at least the k-th best, so ties at the cut are all candidates.
        kth = np.partition(scores, n - k)[n - k]
        cand = np.flatnonzero(scores >= kth)
    else:
        cand = np.arange(n)
    order = np.lexsort((-cand, -scores[cand]))[:k]
    return [int(i) for i in cand[order]]
