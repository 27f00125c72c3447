"""How a database row holds an experience or an item, for every SQL store.

An experience row keeps the experience as JSON without its items and vector
(those live in their own columns and table, so that items can be superseded
and vectors searched without rewriting the JSON); an item row keeps the item's
JSON next to the columns queries filter on. SQLite and PostgreSQL share these
functions so that both stores read back exactly what the other would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ...models import EmbeddingRef, Experience, MemoryItem, item_hash

# What a row's JSON leaves out: kept in other columns and tables.
_NOT_IN_JSON = frozenset({"items", "query_embedding"})


def experience_json(exp: Experience) -> str:
    """The JSON an experience row keeps: everything but items and the query vector."""
    return exp.model_dump_json(exclude=set(_NOT_IN_JSON))


def item_columns(item: MemoryItem) -> tuple[str, int, str | None, str]:
    """``(hash, version, superseded_by, json)`` of an item row."""
    return item_hash(item.title, item.content), item.version, item.superseded_by, item.model_dump_json()


def aware(dt: datetime) -> datetime:
    """``dt`` with a time zone (naive datetimes are taken as UTC, as :func:`_shared.timestamp` does)."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def assemble(
    js: str, items: Sequence[MemoryItem], model: str | None, dim: int | None, vector: Sequence[float] | None
) -> Experience:
    """The experience a row holds, given its items and its vector (None when it has none)."""
    data: dict[str, Any] = json.loads(js)
    data["items"] = list(items)
    if vector is not None and model is not None and dim is not None:
        data["query_embedding"] = EmbeddingRef(model=model, dim=dim, vector=list(vector))
    return Experience.model_validate(data)
