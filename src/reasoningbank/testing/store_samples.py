"""Sample data for store tests: unit vectors and numbered experiences.

Used by :mod:`reasoningbank.testing.store_conformance` and handy in a backend's
own tests (``make_experience(3, vec=axis(1))``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from ..models import EmbeddingRef, Experience, MemoryItem

MODEL = "conformance-embedder"
DIM = 8
T0 = datetime(2025, 1, 1, tzinfo=UTC)  # experience n is created n seconds after this


def unit(values: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """A float32 unit vector."""
    arr = np.asarray(values, dtype=np.float32)
    out: npt.NDArray[np.float32] = (arr / np.linalg.norm(arr)).astype(np.float32)
    return out


def axis(i: int, dim: int = DIM) -> npt.NDArray[np.float32]:
    v = np.zeros(dim, dtype=np.float32)
    v[i] = 1.0
    return v


def ref(vec: npt.NDArray[np.float32], model: str = MODEL) -> EmbeddingRef:
    return EmbeddingRef(model=model, dim=len(vec), vector=[float(x) for x in vec])


def make_experience(
    n: int,
    *,
    scope: str = "s",
    vec: npt.NDArray[np.float32] | None = None,
    model: str = MODEL,
    task_id: str | None = None,
    items: int = 1,
    exp_id: str | None = None,
) -> Experience:
    """An experience numbered ``n`` (created ``n`` seconds after a fixed epoch)."""
    eid = exp_id or f"e{n}"
    return Experience(
        id=eid,
        scope=scope,
        task_id=task_id or f"task-{n}",
        query=f"query number {n}",
        query_embedding=ref(vec, model) if vec is not None else None,
        items=[
            MemoryItem(
                id=f"{scope}-{eid}-i{j}",
                title=f"Title {n}.{j}",
                content=f"Content of item {j} of experience {n}",
                experience_id=eid,
                created_at=T0 + timedelta(seconds=n),
            )
            for j in range(items)
        ],
        created_at=T0 + timedelta(seconds=n),
    )
