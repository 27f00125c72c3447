"""What the SQL stores share: one store class, its statements, and the dialect seam.

:class:`~reasoningbank.stores.sql.store.SQLStore` holds every read and write
once; a :class:`~reasoningbank.stores.sql.dialect.Dialect` supplies an engine
(:mod:`~reasoningbank.stores.sqlite`, :mod:`~reasoningbank.stores.postgres`).
"""

from __future__ import annotations

from .dialect import Dialect
from .store import SQLStore

__all__ = ["Dialect", "SQLStore"]
