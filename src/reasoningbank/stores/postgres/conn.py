"""The PostgreSQL store's connections: its URL, its pools, lock keys and error translation.

psycopg, psycopg_pool and pgvector are an optional extra; importing this module
without them raises an ``ImportError`` that names the extra, so a plain install
of reasoningbank keeps working and a ``postgresql://`` URL fails in one clear line.

The URL is a libpq ``postgresql://`` URL plus options of the store itself,
removed before libpq sees them (it refuses unknown ones):

* ``schema`` — the PostgreSQL schema holding the bank's tables (default
  ``reasoningbank``): a database shared with other applications keeps them
  apart, and one database can hold several independent banks;
* ``pool_min_size`` / ``pool_max_size`` — the connection pool's bounds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._urls import mask_url
from ..base import StoreError

try:
    import psycopg
    import psycopg_pool
    from pgvector.psycopg import register_vector
except ImportError as _err:  # pragma: no cover - exercised by a test that hides psycopg
    raise ImportError(
        "the PostgreSQL store needs the 'postgres' extra (psycopg, psycopg-pool, pgvector): "
        f"pip install 'reasoningbank[postgres]' (missing module: {_err.name})"
    ) from _err

Conn = psycopg.Connection[Any]
Pool = psycopg_pool.ConnectionPool[Conn]

DEFAULT_SCHEMA = "reasoningbank"
SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 10
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_OWN_OPTIONS = ("schema", "pool_min_size", "pool_max_size")


@dataclass(frozen=True)
class Target:
    """What a store URL names: the libpq conninfo, the schema and the pool bounds."""

    conninfo: str
    schema: str
    min_size: int
    max_size: int
    shown: str  # the URL with any password masked, for messages and repr


def _int_option(options: dict[str, str], name: str, default: int) -> int:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"store URL option {name}={raw!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"store URL option {name}={value} must be at least 1")
    return value


def parse_url(url: str, *, min_size: int = 1, max_size: int = 8) -> Target:
    """Split a ``postgresql://`` URL into libpq's part and the store's own options."""
    text = url.strip()
    if not text.startswith(SCHEMES):
        raise ValueError(f"not a PostgreSQL URL: {mask_url(text)!r} (expected postgresql://...)")
    parts = urlsplit(text)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    own = {k: v for k, v in pairs if k in _OWN_OPTIONS}
    rest = [(k, v) for k, v in pairs if k not in _OWN_OPTIONS]
    schema = own.get("schema", DEFAULT_SCHEMA)
    if not _IDENT.fullmatch(schema):
        raise ValueError(
            f"store URL option schema={schema!r} is not a plain identifier (letters, digits, _; at most 63)"
        )
    lo = _int_option(own, "pool_min_size", min_size)
    hi = _int_option(own, "pool_max_size", max(max_size, lo))
    if hi < lo:
        raise ValueError(f"store URL: pool_max_size={hi} is below pool_min_size={lo}")
    conninfo = urlunsplit(parts._replace(query=urlencode(rest, safe="/")))
    return Target(conninfo=conninfo, schema=schema, min_size=lo, max_size=hi, shown=mask_url(text))


def lock_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for ``parts`` (a collision only serialises more)."""
    digest = hashlib.blake2b("\x00".join(("reasoningbank", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def connect(target: Target) -> Conn:
    """One autocommit connection outside any pool (for migrations), errors as :class:`StoreError`."""
    try:
        return psycopg.connect(target.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as err:
        raise StoreError(f"cannot connect to PostgreSQL at {target.shown}: {_first_line(err)}") from err


def make_pool(
    target: Target,
    search_path: str,
    *,
    min_size: int,
    max_size: int,
    reset: Callable[[Conn], None] | None = None,
) -> Pool:
    """An open pool of autocommit connections on the bank's schema, with pgvector's types loaded."""

    def configure(conn: Conn) -> None:
        # TimeZone UTC: timestamps come back in UTC, as the other stores return them.
        conn.execute(
            "SELECT set_config('search_path', %s, false), set_config('TimeZone', 'UTC', false)",
            (search_path,),
        )
        register_vector(conn)

    pool: Pool = psycopg_pool.ConnectionPool(
        target.conninfo,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
        min_size=min_size,
        max_size=max_size,
        open=False,
        configure=configure,
        # A connection broken since its last use (a server restart) is replaced, not handed out.
        check=psycopg_pool.ConnectionPool.check_connection,
        reset=reset,
        name="reasoningbank",
    )
    try:
        pool.open(wait=min_size > 0, timeout=CONNECT_TIMEOUT_S + 5)
    except psycopg_pool.PoolTimeout as err:
        pool.close()
        raise StoreError(f"cannot open a connection pool to PostgreSQL at {target.shown}: {err}") from err
    return pool


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


@contextmanager
def translated(shown: str) -> Iterator[None]:
    """Turn driver failures (server gone, pool exhausted, text PostgreSQL refuses) into :class:`StoreError`.

    Integrity errors are handled where they happen, where the message can name the id.
    """
    try:
        yield
    except psycopg.DataError as err:
        raise StoreError(f"PostgreSQL refused a value: {_first_line(err)}") from err
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout, psycopg.InterfaceError) as err:
        raise StoreError(f"PostgreSQL at {shown}: {_first_line(err)}") from err


__all__ = ["Conn", "Pool", "Target", "connect", "lock_key", "make_pool", "parse_url", "psycopg"]
