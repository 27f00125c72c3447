"""How a database driver spells the parts of a statement the SQL stores write once.

The shared statements (:mod:`~reasoningbank.stores.sql.rows`) are written with
``?`` for each bound value. A :class:`Style` renders them for one driver:
``sqlite3`` takes them as they are, psycopg wants ``%s`` (and a literal ``%``
doubled). It also says how a list of ids is matched (SQLite: ``IN (?, ?, ...)``
in chunks below its limit on bound values; PostgreSQL: ``= ANY(%s)`` with the
list as one array value), which value of ``LIMIT`` means none, and how a read
locks the rows it returns for the rest of the transaction.

Nothing here needs a driver, so the tests check the PostgreSQL text without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Members = list[tuple[str, tuple[Any, ...]]]  # (condition, its bound values), one per chunk of ids


@dataclass(frozen=True)
class Style:
    """One driver's spelling: bound values, id lists, "no limit" and row locks."""

    name: str
    mark: str  # a bound value: "?" (qmark) or "%s" (format)
    chunk: int | None  # ids per ``IN (...)``; None: the whole list is one array value (``= ANY``)
    no_limit: int | None  # the LIMIT value that means every row
    for_update: str  # appended to a SELECT that locks its rows until the transaction ends

    def render(self, text: str) -> str:
        """``text`` (written with ``?`` marks and no other ``?``) in this driver's spelling."""
        if self.mark == "?":
            return text
        return text.replace("%", "%%").replace("?", self.mark)

    def members(self, column: str, ids: Sequence[Any]) -> Members:
        """Conditions ``column`` is one of ``ids``, rendered, with their values (none for no ids).

        Each condition holds one chunk: a statement run once per condition, with its
        results joined, covers every id.
        """
        if not ids:
            return []
        if self.chunk is None:
            return [(self.render(f"{column} = ANY(?)"), (list(ids),))]
        out: Members = []
        for start in range(0, len(ids), self.chunk):
            part = tuple(ids[start : start + self.chunk])
            out.append((self.render(f"{column} IN ({','.join('?' * len(part))})"), part))
        return out


# sqlite3: qmark values, at most 500 per IN (below SQLite's limit on bound values); LIMIT -1 is none.
QMARK = Style(name="sqlite", mark="?", chunk=500, no_limit=-1, for_update="")
# psycopg: format values, arrays with ANY; LIMIT NULL is none; FOR UPDATE locks the rows read.
PYFORMAT = Style(name="postgresql", mark="%s", chunk=None, no_limit=None, for_update=" FOR UPDATE")
