"""The PostgreSQL store's schema: numbered migrations and the per-dimension HNSW indexes.

Every applied migration is a row of ``schema_migrations`` (``schema_version``
before migration 2; :mod:`~reasoningbank.stores.sql.migrate`); a schema whose
newest row is above :data:`POSTGRES_SCHEMA_VERSION` was written by a newer reasoningbank
and is refused. Migrations run in one transaction under a database-wide advisory
lock, so processes opening a new bank at the same moment apply them once.

Vectors live in one ``embedding`` column without a fixed dimension (scopes may use
different embedders), and an HNSW index needs a fixed one. So each dimension
gets its own partial expression index (pgvector's documented way of indexing
mixed dimensions), created when a batch first stores vectors of that dimension.
"""

from __future__ import annotations

from psycopg import errors, sql

from ..base import StoreError
from ..sql import migrate as migrations
from ..sql.style import PYFORMAT
from .conn import Conn, lock_key

# Where migrations 1 recorded themselves; migration 2 renames it to ``schema_migrations``.
LEGACY_TABLE = "schema_version"

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
    # 2: the table of applied migrations takes the SQLite store's name (both engines share one
    # migration runner, :mod:`~reasoningbank.stores.sql.migrate`). A view keeps the old name
    # readable, so an older reasoningbank opening the schema refuses it as "written by a newer
    # version" instead of starting it over.
    [
        f"ALTER TABLE {LEGACY_TABLE} RENAME TO {migrations.TABLE}",
        f"CREATE VIEW {LEGACY_TABLE} AS SELECT version, applied_at FROM {migrations.TABLE}",
    ],
]

POSTGRES_SCHEMA_VERSION = len(MIGRATIONS)
"""The PostgreSQL schema's version: how many migrations a bank schema has run (not the data model's)."""
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
    """Bring ``schema`` to :data:`POSTGRES_SCHEMA_VERSION`; return the search path its connections use.

    ``conn`` is an autocommit connection; the migrations apply in one transaction.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        vector_schema = _vector_schema(conn, conn.info.dbname)
        path = sql.SQL(", ").join(sql.Identifier(s) for s in dict.fromkeys((schema, vector_schema)))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(path))

        def table() -> str:
            return versions_table(conn, schema)

        if table() == LEGACY_TABLE:  # a new schema starts as migration 1 found it
            conn.execute(CREATE_LEGACY_TABLE)
        migrations.apply(conn, PYFORMAT, MIGRATIONS, subject=f"schema {schema!r}", table=table)
        return path.as_string(conn)


CREATE_LEGACY_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {LEGACY_TABLE} ("
    "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
_HAS_TABLE = "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = %s AND tablename = %s"


def versions_table(conn: Conn, schema: str) -> str:
    """The table of ``schema`` recording its migrations: ``schema_migrations`` from migration 2 on.

    Looked up in ``schema`` itself: another application's ``schema_migrations`` elsewhere on
    the search path is not ours.
    """
    row = conn.execute(_HAS_TABLE, (schema, migrations.TABLE)).fetchone()
    return migrations.TABLE if row is not None else LEGACY_TABLE


def holds_bank(conn: Conn, schema: str) -> bool:
    """Whether ``schema`` exists and records migrations (a bank was made there); creates nothing."""
    return any(conn.execute(_HAS_TABLE, (schema, t)).fetchone() for t in (migrations.TABLE, LEGACY_TABLE))


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
