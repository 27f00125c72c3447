"""The seam between the shared SQL store and one database engine.

:class:`~reasoningbank.stores.sql.store.SQLStore` holds every statement and
every read and write once; a :class:`Dialect` supplies what differs between
SQLite and PostgreSQL, and nothing else:

* the driver's spelling of a statement (:attr:`Dialect.style`);
* connections and transactions (:meth:`~Dialect.connection`, :meth:`~Dialect.read`,
  :meth:`~Dialect.write`) and the write lock;
* how a timestamp and a vector are kept in a column;
* where a scope's embedding binding lives, and top-k search;
* the schema: migrations run when the dialect opens the bank; :meth:`~Dialect.schema_version`.

The implementations are :class:`~reasoningbank.stores.sqlite.dialect.SQLiteDialect`
and :class:`~reasoningbank.stores.postgres.dialect.PostgresDialect`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from ...models import Experience
from .style import Style

Hit = tuple[str, float]  # (experience id, cosine score)
Binding = tuple[str, int] | None  # a scope's (embedding model, dimension), None while it has no vectors


@dataclass(frozen=True)
class Search:
    """One search: the ``k`` experiences of ``scope`` nearest ``vector`` (an embedding from ``model``),
    leaving out those of the task ``exclude_task_id``."""

    scope: str
    vector: npt.NDArray[np.float32]
    k: int
    model: str
    exclude_task_id: str | None


class Cursor(Protocol):
    """What the shared store uses of a DB-API cursor (``sqlite3`` and psycopg both fit)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def executemany(self, query: str, params_seq: Iterable[Sequence[Any]], /) -> object: ...

    def close(self) -> None: ...


class Connection(Protocol):
    """What the shared store uses of a connection: ``execute`` and a cursor for ``executemany``."""

    def execute(self, query: str, params: Sequence[Any] = ..., /) -> Cursor: ...

    def cursor(self) -> Cursor: ...


C = TypeVar("C", bound=Connection)  # the engine's connection type


class Dialect(Protocol[C]):
    """One database engine behind :class:`~reasoningbank.stores.sql.store.SQLStore`."""

    style: Style
    shown: str  # the bank as messages and repr show it (a path, or a URL without its password)

    def connection(self) -> contextlib.AbstractContextManager[C]:
        """An autocommit connection for single statements; driver failures come out as StoreError."""
        ...

    def read(self) -> contextlib.AbstractContextManager[C]:
        """A transaction with one consistent snapshot for several SELECTs."""
        ...

    def write(self) -> contextlib.AbstractContextManager[C]:
        """One write transaction: committed when the block ends, nothing kept if it raises."""
        ...

    def write_lock(self, scope: str) -> contextlib.AbstractContextManager[None]:
        """The scope's writer lock across threads and processes (see :meth:`Store.write_lock`)."""
        ...

    def duplicate(self, err: Exception) -> str | None:
        """The driver's account of a UNIQUE violation, or None if ``err`` is none."""
        ...

    def encode_time(self, dt: datetime) -> Any:
        """A timestamp as its column keeps it."""
        ...

    def decode_time(self, value: Any) -> datetime:
        """A timestamp column's value as an aware UTC datetime."""
        ...

    def encode_vector(self, vector: npt.NDArray[np.float32]) -> Any:
        """A float32 vector as the ``embedding`` column keeps it."""
        ...

    def decode_vector(self, value: Any) -> list[float]:
        """An ``embedding`` column's value as floats."""
        ...

    def binding(self, conn: C, scope: str) -> Binding:
        """The scope's embedding binding, for a read."""
        ...

    def lock_scope(self, conn: C, scope: str) -> Binding:
        """The scope's binding inside a write, held against other writers until it commits."""
        ...

    def count_vectors(self, conn: C, scope: str, binding: Binding, delta: int) -> None:
        """Note ``delta`` more (or fewer) vectors in the scope, inside the write that stores them."""
        ...

    def prepare_write(self, by_scope: Mapping[str, Sequence[Experience]]) -> None:
        """Whatever must exist before a batch's write transaction starts (PostgreSQL: vector indexes)."""
        ...

    def search(self, conn: C, query: Search) -> list[Hit]:
        """The top-k ``(id, score)`` of the query's scope, best first, ties newest first, inside :meth:`read`.

        Raises :class:`~reasoningbank.stores.base.EmbeddingMismatchError` if the query's model
        or vector length differ from the scope's binding (also when ``k`` is 0); no hits if
        the scope has no vectors.
        """
        ...

    def schema_version(self, conn: C) -> int:
        """The newest migration applied to the bank."""
        ...

    def close(self) -> None:
        """Release every connection (and lock file or pool). Closing again does nothing."""
        ...
