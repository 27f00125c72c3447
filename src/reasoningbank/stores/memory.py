"""A thread-safe in-memory :class:`~reasoningbank.stores.base.Store` for tests and scratch work.

One lock guards the data (every call holds it briefly); :meth:`InMemoryStore.write_lock`
hands out a separate re-entrant lock per scope, so a read-decide-write block
excludes the other blocks of its scope without holding up readers or other scopes.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..models import Experience, MemoryItem, RetrievedExperience, UsageEvent, item_hash
from . import _shared
from .base import NotFoundError, StoreError


@dataclass
class _Scope:
    experiences: dict[str, Experience] = field(default_factory=dict)  # insertion order
    order: dict[str, tuple[float, int]] = field(default_factory=dict)
    item_owner: dict[str, str] = field(default_factory=dict)  # item id -> experience id
    usage: list[UsageEvent] = field(default_factory=list)
    cache: tuple[list[str], list[str], _shared.Matrix] | None = None


class InMemoryStore:
    """Everything in a dict guarded by one lock; values are copied in and out."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._scopes: dict[str, _Scope] = {}
        self._seq = 0
        self._closed = False
        self._write_locks: dict[str, threading.RLock] = {}

    # -- helpers -----------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("InMemoryStore is closed")

    def _scope(self, scope: str) -> _Scope:
        return self._scopes.get(scope) or _Scope()

    def _binding(self, sc: _Scope) -> tuple[str, int] | None:
        for exp in sc.experiences.values():
            if exp.query_embedding is not None:
                return (exp.query_embedding.model, exp.query_embedding.dim)
        return None

    def _view(self, exp: Experience, include_superseded: bool) -> Experience:
        items = exp.items if include_superseded else _shared.current_items(exp.items)
        return exp.model_copy(update={"items": list(items)}, deep=True)

    def _sorted(self, sc: _Scope) -> list[Experience]:
        return sorted(sc.experiences.values(), key=lambda e: sc.order[e.id])

    # -- writes ------------------------------------------------------------
    @contextmanager
    def write_lock(self, scope: str) -> Iterator[None]:
        """Hold the scope's writer lock (re-entrant: the same thread may nest blocks)."""
        with self._lock:
            self._check_open()
            lock = self._write_locks.setdefault(scope, threading.RLock())
        with lock:
            self._check_open()
            yield

    def add(self, experience: Experience) -> None:
        self.add_many([experience])

    def add_many(self, experiences: Sequence[Experience]) -> None:
        self._check_open()
        batch = _shared.prepare_batch(experiences, deep_copy=True)
        with self._lock:
            self._check_open()
            by_scope: dict[str, list[Experience]] = {}
            for exp in batch:
                by_scope.setdefault(exp.scope, []).append(exp)
            for name, exps in by_scope.items():
                sc = self._scope(name)
                _shared.check_binding(name, self._binding(sc), exps)
                for exp in exps:
                    if exp.id in sc.experiences:
                        raise StoreError(f"experience {exp.id!r} already exists in scope {name!r}")
                    for it in exp.items:
                        if it.id in sc.item_owner:
                            raise StoreError(f"item id {it.id!r} already exists in scope {name!r}")
            for name, exps in by_scope.items():
                sc = self._scopes.setdefault(name, _Scope())
                for exp in exps:
                    self._seq += 1
                    sc.experiences[exp.id] = exp
                    sc.order[exp.id] = (_shared.timestamp(exp.created_at), self._seq)
                    for it in exp.items:
                        sc.item_owner[it.id] = exp.id
                sc.cache = None

    def delete(self, scope: str, experience_id: str) -> None:
        with self._lock:
            self._check_open()
            sc = self._scopes.get(scope)
            if sc is None or experience_id not in sc.experiences:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            exp = sc.experiences.pop(experience_id)
            del sc.order[experience_id]
            for it in exp.items:
                sc.item_owner.pop(it.id, None)
            gone = {it.id for it in exp.items}
            sc.usage = [e for e in sc.usage if e.item_id not in gone]
            sc.cache = None
            if not sc.experiences and not sc.usage:
                del self._scopes[scope]

    def supersede_item(self, scope: str, item_id: str, new_item: MemoryItem) -> MemoryItem:
        with self._lock:
            self._check_open()
            sc = self._scopes.get(scope)
            owner = sc.item_owner.get(item_id) if sc is not None else None
            if sc is None or owner is None:
                raise NotFoundError(f"no item {item_id!r} in scope {scope!r}")
            if new_item.id in sc.item_owner:
                raise StoreError(f"item id {new_item.id!r} already exists in scope {scope!r}")
            exp = sc.experiences[owner]
            old = next(it for it in exp.items if it.id == item_id)
            stored = _shared.next_version(scope, old, new_item)
            items = [
                it.model_copy(update={"superseded_by": stored.id}) if it.id == item_id else it
                for it in exp.items
            ]
            items.append(stored)
            sc.experiences[owner] = exp.model_copy(update={"items": items})
            sc.item_owner[stored.id] = owner
            return stored.model_copy(deep=True)

    def record_usage(self, scope: str, events: Sequence[UsageEvent]) -> None:
        with self._lock:
            self._check_open()
            sc = self._scopes.setdefault(scope, _Scope())
            sc.usage.extend(e.model_copy() for e in events)

    # -- reads -------------------------------------------------------------
    def usage(self, scope: str, item_ids: Sequence[str]) -> builtins.list[UsageEvent]:
        with self._lock:
            self._check_open()
            wanted = set(item_ids)
            found = [e.model_copy() for e in self._scope(scope).usage if e.item_id in wanted]
            return sorted(found, key=lambda e: e.created_at)

    def get(self, scope: str, experience_id: str, *, include_superseded: bool = False) -> Experience:
        with self._lock:
            self._check_open()
            exp = self._scope(scope).experiences.get(experience_id)
            if exp is None:
                raise NotFoundError(f"no experience {experience_id!r} in scope {scope!r}")
            return self._view(exp, include_superseded)

    def list(
        self, scope: str, *, limit: int | None = None, offset: int = 0, include_superseded: bool = False
    ) -> list[Experience]:
        self._check_open()
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must be >= 0")
        with self._lock:
            self._check_open()  # again: close() may have run since
            rows = self._sorted(self._scope(scope))
            end = None if limit is None else offset + limit
            return [self._view(e, include_superseded) for e in rows[offset:end]]

    def count(self, scope: str) -> int:
        with self._lock:
            self._check_open()
            return len(self._scope(scope).experiences)

    def count_items(self, scope: str, *, include_superseded: bool = False) -> int:
        with self._lock:
            self._check_open()
            exps = self._scope(scope).experiences.values()
            if include_superseded:
                return sum(len(e.items) for e in exps)
            return sum(len(_shared.current_items(e.items)) for e in exps)

    def scopes(self) -> builtins.list[str]:
        with self._lock:
            self._check_open()
            return sorted(self._scopes)

    def embedding_model(self, scope: str) -> tuple[str, int] | None:
        with self._lock:
            self._check_open()
            return self._binding(self._scope(scope))

    def has_item_hash(self, scope: str, content_hash: str) -> bool:
        with self._lock:
            self._check_open()
            for exp in self._scope(scope).experiences.values():
                for it in _shared.current_items(exp.items):
                    if item_hash(it.title, it.content) == content_hash:
                        return True
            return False

    def search(
        self,
        scope: str,
        vector: npt.NDArray[np.float32],
        k: int,
        *,
        model: str,
        exclude_task_id: str | None = None,
    ) -> builtins.list[RetrievedExperience]:
        self._check_open()
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        with self._lock:
            self._check_open()
            sc = self._scope(scope)
            q = _shared.query_vector(scope, vector, model, self._binding(sc))
            if q is None or k == 0:
                return []
            if sc.cache is None:
                with_vec = [e for e in self._sorted(sc) if e.query_embedding is not None]
                mat = np.stack([_shared.vector_of(e.query_embedding) for e in with_vec if e.query_embedding])
                ids_ = [e.id for e in with_vec]
                sc.cache = (ids_, [e.task_id for e in with_vec], _shared.normalise_rows(mat))
            ids, task_ids, mat = sc.cache
            scores = mat @ q
            mask = None
            if exclude_task_id is not None:
                mask = np.array([t != exclude_task_id for t in task_ids], dtype=bool)
            hits = _shared.top_k(scores, mask, k)
            return [
                RetrievedExperience(
                    experience=self._view(sc.experiences[ids[i]], False), score=float(scores[i])
                )
                for i in hits
            ]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._scopes.clear()

    def __enter__(self) -> InMemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
