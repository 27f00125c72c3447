"""The PostgreSQL store's schema: numbered migrations and the per-dimension HNSW indexes.

Every applied migration is a row of ``schema_version``; a schema whose newest
row is above :data:`SCHEMA_VERSION` was written by a newer reasoningbank and is
refused. Migrations run in one transaction under a database-wide advisory
lock, so processes opening a new bank at the same moment apply them once.

Vectors live in one ``vector`` column without a fixed dimension (scopes may use
different embedders), and an HNSW index needs a fixed one. So each dimension
gets its own partial expression index (pgvector's documented way of indexing
mixed dimensions), created when a batch first stores vectors of that dimension.
"""

from __future__ import annotations

from psycopg import errors, sql

from .conn import Conn, lock_key
from ..base import StoreError

# Each migration is a list of statements, applied in one transaction. Never edit a
# released migration: append a new one.
MIGRATIONS: list[list[str]] = [
    [
        # One row per scope: its embedding binding and vector count. Writers lock the
        # row (SELECT ... FOR UPDATE), so two first batches cannot bind a scope to two
        # models, and search reads the binding and count with one key lookup.
        """CREATE TABLE scopes (
            scope TEXT PRIMARY KEY,
            emb_model TEXT,
            emb_dim INTEGER,
            vectors BIGINT NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE experiences (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            emb_model TEXT,
            emb_dim INTEGER,
            embedding vector,
            json TEXT NOT NULL,
            UNIQUE (scope, id),
            CHECK ((embedding IS NULL) = (emb_dim IS NULL))
        )""",
        "CREATE INDEX experiences_order ON experiences (scope, created_at, seq)",
        "CREATE INDEX experiences_task ON experiences (scope, task_id)",
        # JSON is kept as TEXT, not JSONB: JSONB refuses \u0000, which a trajectory may hold.
        """CREATE TABLE items (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            experience_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            version INTEGER NOT NULL,
            superseded_by TEXT,
            json TEXT NOT NULL,
            UNIQUE (scope, id),
            FOREIGN KEY (scope, experience_id) REFERENCES experiences (scope, id) ON DELETE CASCADE
        )""",
        "CREATE INDEX items_experience ON items (scope, experience_id, seq)",
        "CREATE INDEX items_hash ON items (scope, hash) WHERE superseded_by IS NULL",
        """CREATE TABLE item_usage (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            scope TEXT NOT NULL,
            item_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            shown BOOLEAN NOT NULL,
            label TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX item_usage_item ON item_usage (scope, item_id, seq)",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
HNSW_MAX_DIM = 2000  # pgvector's limit for indexing the vector type; larger ones are searched exactly
_MIGRATION_LOCK = lock_key("migrate")


def _vector_schema(conn: Conn, database: str) -> str:
    """The schema holding pgvector's types, installing the extension if the database lacks it."""
    row = conn.execute(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector'"
    ).fetchone()
    if row is not None:
        return str(row[0])
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except errors.InsufficientPrivilege as err:
        raise StoreError(
            f"the pgvector extension is not installed in database {database!r} and this user may not "
            "install it: ask its owner to run CREATE EXTENSION vector"
        ) from err
    except (errors.UndefinedFile, errors.FeatureNotSupported) as err:
        raise StoreError(
            f"the PostgreSQL server of database {database!r} has no pgvector extension to install: "
            f"install pgvector on the server ({str(err).strip()})"
        ) from err
    return _vector_schema(conn, database)


def migrate(conn: Conn, schema: str) -> str:
    """Bring ``schema`` to :data:`SCHEMA_VERSION`; return the search path its connections use.

    ``conn`` is an autocommit connection; the migrations apply in one transaction.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        vector_schema = _vector_schema(conn, conn.info.dbname)
        path = sql.SQL(", ").join(sql.Identifier(s) for s in dict.fromkeys((schema, vector_schema)))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(path))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = schema_version(conn)
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"schema {schema!r} was written by a newer version of reasoningbank (store schema "
                f"version {current}; this version knows up to {SCHEMA_VERSION}); upgrade reasoningbank"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for stmt in MIGRATIONS[version - 1]:
                conn.execute(stmt)  # fixed statements above
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        return path.as_string(conn)


def schema_version(conn: Conn) -> int:
    """The newest migration applied to the schema on ``conn``'s search path (0 for a new one)."""
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row else 0


def hnsw_index_name(dim: int) -> str:
    return f"experiences_hnsw_{dim}"


def ensure_hnsw(conn: Conn, dim: int) -> bool:
    """Create the HNSW index of ``dim``-dimensional vectors if missing; False if it cannot have one.

    Runs in its own transaction, under the migration lock (two processes creating
    the same index at once would otherwise collide on its name).
    """
    if not 0 < dim <= HNSW_MAX_DIM:
        return False
    name = hnsw_index_name(dim)
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    if row is not None and row[0] is not None:
        return True
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON experiences USING hnsw "
                "((embedding::vector({})) vector_cosine_ops) WHERE emb_dim = {}"
            ).format(sql.Identifier(name), sql.Literal(dim), sql.Literal(dim))
        )
    return True
