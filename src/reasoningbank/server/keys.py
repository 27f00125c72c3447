"""API keys: one tenant each, allowed only the banks they name; stored hashed.

A key is ``rbk_<key id>_<secret>``: the id (12 hex digits) finds the row, the
secret (32 random bytes, URL-safe base64) is what makes it unguessable. The
file keeps only ``sha256("<key id>:<token>")``: a stolen ``keys.db`` gives no
usable key, and the token is shown once, when it is made. The token already
holds 256 random bits, so a salt or a slow hash would add nothing; the
comparison is constant-time all the same.

A bank belongs to the tenant whose key first named it: a key for another
tenant can never be granted it, so two tenants cannot share (or collide on)
a bank by choosing the same name. Keys of one tenant may name the same banks
(several agents of one team sharing a memory).

Keys are managed from the CLI (``reasoningbank keys create|list|revoke``),
which opens the same file as the running service: a revocation takes effect at
the service's next request, since every request reads its key's row.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ._db import Database

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
"""What a bank or tenant name may be: it goes into URLs and is the store's scope."""
_NAME_RE = re.compile(NAME_PATTERN)
_TOKEN_RE = re.compile(r"^rbk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
KEYS_FILE = "keys.db"


def parse_token(token: str | None) -> tuple[str, str] | None:
    """``(key id, secret)`` of a well-formed token, else None. The secret is URL-safe base64,
    which may itself hold ``_``: split at the id, never at the last ``_``."""
    match = _TOKEN_RE.match(token or "")
    return (match.group(1), match.group(2)) if match else None


_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE keys (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, "
        "hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)",
        "CREATE TABLE key_banks (key_id TEXT NOT NULL REFERENCES keys(id), bank TEXT NOT NULL, "
        "PRIMARY KEY (key_id, bank))",
        "CREATE TABLE banks (bank TEXT PRIMARY KEY, tenant TEXT NOT NULL, created_at TEXT NOT NULL)",
    ),
)


class KeyManagementError(ValueError):
    """A key cannot be created or revoked as asked (bad name, a bank of another tenant, no such key)."""


@dataclass(frozen=True)
class Principal:
    """Who a request is from: the key, its tenant and the banks it may use."""

    key_id: str
    tenant: str
    banks: frozenset[str]

    def may_use(self, bank: str) -> bool:
        return bank in self.banks


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed: never its token or hash."""

    id: str
    tenant: str
    banks: tuple[str, ...]
    name: str
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def valid_name(name: str) -> bool:
    return bool(_NAME_RE.match(name))


def _digest(key_id: str, token: str) -> str:
    return hashlib.sha256(f"{key_id}:{token}".encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore:
    """The keys of one service, in ``<state dir>/keys.db``."""

    def __init__(self, state_dir: str | Path) -> None:
        self.db = Database(Path(state_dir) / KEYS_FILE, _MIGRATIONS)

    def create(self, tenant: str, banks: Iterable[str], *, name: str = "") -> tuple[KeyInfo, str]:
        """A new key for ``tenant`` allowed ``banks``; returns it and its token (shown only now)."""
        wanted = sorted(set(banks))
        for what, value in [("tenant", tenant), *(("bank", b) for b in wanted)]:
            if not valid_name(value):
                raise KeyManagementError(
                    f"invalid {what} name {value!r}: 1-64 letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit"
                )
        if not wanted:
            raise KeyManagementError("a key needs at least one bank (--bank NAME)")
        key_id = secrets.token_hex(6)
        token = f"rbk_{key_id}_{secrets.token_urlsafe(32)}"
        now = _now()
        with self.db.write() as conn:
            for bank in wanted:
                row = conn.execute("SELECT tenant FROM banks WHERE bank = ?", (bank,)).fetchone()
                if row is not None and row[0] != tenant:
                    raise KeyManagementError(f"bank {bank!r} belongs to another tenant ({row[0]!r})")
            conn.execute(
                "INSERT INTO keys (id, tenant, name, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (key_id, tenant, name, _digest(key_id, token), now),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO banks (bank, tenant, created_at) VALUES (?, ?, ?)",
                [(b, tenant, now) for b in wanted],
            )
            conn.executemany(
                "INSERT INTO key_banks (key_id, bank) VALUES (?, ?)", [(key_id, b) for b in wanted]
            )
        return KeyInfo(key_id, tenant, tuple(wanted), name, now, None), token

    def list(self) -> list[KeyInfo]:
        conn = self.db.conn()
        rows = conn.execute(
            "SELECT id, tenant, name, created_at, revoked_at FROM keys ORDER BY created_at, id"
        ).fetchall()
        return [self._info(conn, row) for row in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        """Revoke a key (kept, marked revoked: the list shows who had access)."""
        now = _now()
        with self.db.write() as conn:
            row = conn.execute(
                "SELECT id, tenant, name, created_at, revoked_at FROM keys WHERE id = ?", (key_id,)
            ).fetchone()
            if row is None:
                raise KeyManagementError(f"no key with id {key_id!r}")
            if row[4] is None:
                conn.execute("UPDATE keys SET revoked_at = ? WHERE id = ?", (now, key_id))
            return self._info(conn, (*row[:4], row[4] or now))

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal of a valid, unrevoked token; None for anything else."""
        parsed = parse_token(token)
        conn = self.db.conn()
        row = None
        if parsed is not None:
            row = conn.execute(
                "SELECT tenant, hash, revoked_at FROM keys WHERE id = ?", (parsed[0],)
            ).fetchone()
        key_id = parsed[0] if parsed else "000000000000"
        stored = row[1] if row is not None else _digest(key_id, "no such key")
        # compare even when there is no row, so a wrong id and a wrong secret take the same time
        ok = hmac.compare_digest(stored, _digest(key_id, token or ""))
        if row is None or not ok or row[2] is not None:
            return None
        banks = conn.execute("SELECT bank FROM key_banks WHERE key_id = ?", (key_id,)).fetchall()
        return Principal(key_id, str(row[0]), frozenset(str(b[0]) for b in banks))

    def owner(self, bank: str) -> str | None:
        """The tenant a bank belongs to, or None if no key ever named it."""
        row = self.db.conn().execute("SELECT tenant FROM banks WHERE bank = ?", (bank,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _info(conn: sqlite3.Connection, row: Sequence[str | None]) -> KeyInfo:
        """A key from its row ``(id, tenant, name, created_at, revoked_at)`` and its banks."""
        key_id, tenant, name, created, revoked = (str(v) if v is not None else None for v in row)
        assert key_id is not None and tenant is not None and created is not None
        banks = conn.execute("SELECT bank FROM key_banks WHERE key_id = ? ORDER BY bank", (key_id,))
        return KeyInfo(key_id, tenant, tuple(str(r[0]) for r in banks), name or "", created, revoked)

    def close(self) -> None:
        self.db.close()
