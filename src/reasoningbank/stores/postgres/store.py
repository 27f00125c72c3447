"""A shared store on PostgreSQL with pgvector, for many agents on many machines.

Open it with a URL (``open_store("postgresql://user@host/db")``); see
:mod:`~reasoningbank.stores.postgres.conn` for the options the URL may carry
(``schema``, ``pool_min_size``, ``pool_max_size``). It needs the ``postgres``
extra (psycopg 3, psycopg-pool, pgvector).

:class:`PostgresStore` is the shared :class:`~reasoningbank.stores.sql.store.SQLStore`
on :class:`~reasoningbank.stores.postgres.dialect.PostgresDialect`:

* Numbered migrations recorded in ``schema_migrations``
  (:mod:`~reasoningbank.stores.postgres.schema`), applied once under an advisory lock.
* A pool of connections shared by the threads of a process; every multi-statement
  write is one transaction, every multi-statement read one repeatable-read
  snapshot.
* Every statement names the scope: a scope is a hard tenant partition.
* Each write locks its scope's row in ``scopes``, which holds the scope's
  embedding binding and vector count, so concurrent writers of one scope never
  bind it to two models.
* ``search`` is exact for small scopes and goes through an HNSW index (cosine)
  for large ones (:mod:`~reasoningbank.stores.postgres.search`).
* :meth:`PostgresStore.write_lock` serialises a scope's writers across every
  process using the database, with a session advisory lock.
"""

from __future__ import annotations

from ..sql.store import SQLStore
from . import search as _search
from .conn import Conn
from .dialect import PostgresDialect


class PostgresStore(SQLStore[Conn]):
    """A :class:`~reasoningbank.stores.base.Store` in a PostgreSQL schema.

    ``exact_search_max``: scopes with at most this many vectors are searched
    exactly, larger ones through the HNSW index, whose candidate list is
    ``ef_search`` long (longer: better recall, slower). With ``create=False`` a schema
    holding no bank raises :class:`~reasoningbank.stores.base.BankNotFoundError` and
    nothing is created.
    """

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        exact_search_max: int = _search.DEFAULT_EXACT_MAX,
        ef_search: int = _search.DEFAULT_EF_SEARCH,
        create: bool = True,
    ) -> None:
        self._pg = PostgresDialect(
            url,
            min_size=min_size,
            max_size=max_size,
            exact_search_max=exact_search_max,
            ef_search=ef_search,
            create=create,
        )
        self.schema = self._pg.target.schema
        super().__init__(self._pg)

    @property
    def exact_search_max(self) -> int:
        """Scopes with at most this many vectors are searched exactly."""
        return self._pg.exact_search_max

    @property
    def ef_search(self) -> int:
        """The HNSW candidate list's length for larger scopes."""
        return self._pg.ef_search
