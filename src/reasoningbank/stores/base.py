"""The store seam: experiences, their items and query vectors, partitioned by scope.

Every store must pass :mod:`reasoningbank.testing.store_conformance`.
Contract highlights:

* ``scope`` is a hard partition: no method ever returns or touches data of
  another scope.
* ``add`` is atomic: the experience, its items and its vector are stored
  together or not at all.
* A scope is bound to the embedding model of its first vector; a vector from
  another model or dimension raises :class:`EmbeddingMismatchError` and
  stores nothing.
* Items are never edited in place: :meth:`Store.supersede_item` adds a new
  version and marks the old one superseded; superseded items are not returned
  by ``search`` / ``get`` items lists unless ``include_superseded`` is asked.
* A store is a context manager that closes it; a closed store refuses every
  call but ``close`` with :class:`StoreError`.
* :meth:`Store.write_lock` serialises read-decide-write sequences (is this
  item a duplicate? is it still current?) of one scope across threads and
  processes: each write is atomic on its own, but a decision read before it
  is not, without the lock.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Sequence
from typing import Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..models import Experience, MemoryItem, RetrievedExperience, UsageEvent


class StoreError(RuntimeError):
    """Base class of store errors."""


class EmbeddingMismatchError(StoreError):
    """A vector's model or dimension differs from the one the scope is bound to."""


class BankNotFoundError(StoreError):
    """There is no bank where a store opened with ``create=False`` looked (a read never creates one)."""


class NotFoundError(StoreError, KeyError):
    """No such experience or item in this scope."""


@runtime_checkable
class Store(Protocol):
    def add(self, experience: Experience) -> None:
        """Store an experience (with items and ``query_embedding``) atomically."""
        ...

    def add_many(self, experiences: Sequence[Experience]) -> None:
        """Store several experiences in one atomic transaction (all or nothing)."""
        ...

    def get(self, scope: str, experience_id: str, *, include_superseded: bool = False) -> Experience:
        """Return one experience; raise :class:`NotFoundError` if absent."""
        ...

    def list(
        self, scope: str, *, limit: int | None = None, offset: int = 0, include_superseded: bool = False
    ) -> list[Experience]:
        """Experiences of a scope, oldest first."""
        ...

    def delete(self, scope: str, experience_id: str) -> None:
        """Delete an experience with its items; raise :class:`NotFoundError` if absent."""
        ...

    def count(self, scope: str) -> int: ...

    def count_items(self, scope: str, *, include_superseded: bool = False) -> int: ...

    def scopes(self) -> builtins.list[str]: ...

    def embedding_model(self, scope: str) -> tuple[str, int] | None:
        """The (model, dim) the scope is bound to, or None if it has no vectors."""
        ...

    def search(
        self,
        scope: str,
        vector: npt.NDArray[np.float32],
        k: int,
        *,
        model: str,
        exclude_task_id: str | None = None,
    ) -> builtins.list[RetrievedExperience]:
        """Top-k experiences by cosine similarity of their query vector, best first.

        Equal scores go newest first (the reverse of :meth:`list` order), so a
        repeated query is shown the latest experience of its kind, not the first.

        Raises :class:`EmbeddingMismatchError` if ``model``/``len(vector)``
        differ from the scope's binding. Experiences whose ``task_id`` equals
        ``exclude_task_id`` are skipped (leave-one-out guard).
        """
        ...

    def has_item_hash(self, scope: str, content_hash: str) -> bool:
        """True if a current (non-superseded) item with this :func:`~..models.item_hash` exists."""
        ...

    def supersede_item(self, scope: str, item_id: str, new_item: MemoryItem) -> MemoryItem:
        """Store ``new_item`` as the next version of ``item_id``; return it as stored."""
        ...

    def record_usage(self, scope: str, events: Sequence[UsageEvent]) -> None:
        """Append usage events (an item shown, or not shown, to a task, with the task's
        judged outcome) atomically."""
        ...

    def usage(self, scope: str, item_ids: Sequence[str]) -> builtins.list[UsageEvent]:
        """The usage events of these items, oldest first."""
        ...

    def write_lock(self, scope: str) -> contextlib.AbstractContextManager[None]:
        """A lock for a read-decide-write sequence on ``scope``, across threads and processes.

        While one block holds it, no other writer of that scope, in any thread or
        process using the same store, can enter its own ``write_lock`` block: it waits
        (a store may give up after a long wait with :class:`StoreError`). Reads inside
        the block see the latest committed state, including the writes of the blocks
        that held the lock before. ``add``, ``add_many``, ``supersede_item`` and
        ``record_usage`` may be called inside, from the thread that holds the block;
        each stays atomic on its own, and every write made inside is committed when the
        block ends normally (if it raises, a store may keep or roll back the writes made
        inside; callers must not count on either). A block may hold the lock of a whole store, not just the
        scope's, and the same thread may nest blocks of one scope.

        Why: consolidation decides from the current items that a new item is not a
        duplicate, then writes it. Two processes deciding at once both write it; the
        lock makes decision and write one step.
        """
        ...

    def close(self) -> None:
        """Release the store. Closing again does nothing; any other call on a closed
        store raises :class:`StoreError`."""
        ...

    def __enter__(self) -> Self:
        """The store itself: ``with open_store(url) as store:`` closes it when the block ends."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the store (also when the block raised; the exception propagates)."""
        ...
