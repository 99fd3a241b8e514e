"""Where the data lives: a SQLite file by default, PostgreSQL when ``DATABASE_URL`` says so.

Two kinds of access, on purpose. Piccolo (async) owns the schema, the migrations and ordinary queries. The
scoring hot path goes through a plain DB-API connection (``sqlite3`` or ``psycopg``) held by :class:`Database`,
writing a whole batch per ``executemany``: Piccolo builds SQL in Python at ~80 µs a row, the driver at ~2 µs.
SQL in this package is written once with ``?`` placeholders; :meth:`Database.sql` adapts it to the dialect.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from engine.settings import settings

__all__ = [
    "Database",
    "DatabaseConfig",
    "open_database",
    "piccolo_engine",
    "reconnected",
    "resolve_url",
    "use_database",
]

#: PostgreSQL advisory lock key held while migrating (an arbitrary constant of Plaudit's).
_MIGRATION_LOCK = 0x504C_4D49
#: Piccolo's engine is one per process: a thread pointing it elsewhere while another migrates on it would
#: take that migration's statements out of its transaction. Held while pointing it and while migrating.
_PICCOLO = threading.RLock()

# SQLite allows 32766 parameters per statement since 3.32; stay well under it and under PostgreSQL's 65535.
MAX_PARAMS = 900


def resolve_url(url: str | None) -> str:
    """The database URL: the argument, else ``DATABASE_URL``, else the embedded SQLite file."""
    return url or settings().database_url


def _dialect(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme in ("postgres", "postgresql"):
        return "postgres"
    if scheme == "sqlite":
        return "sqlite"
    raise ValueError(
        f"DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:///FILE or postgresql://…"
    )


def _sqlite_path(url: str) -> str:
    # sqlite:///relative.sqlite and sqlite:////absolute/path.sqlite, as SQLAlchemy spells them.
    return url.removeprefix("sqlite:///") or "plaudit.sqlite"


def piccolo_engine(url: str) -> Engine:
    """A Piccolo engine for the URL (used for migrations and ordinary queries)."""
    if _dialect(url) == "postgres":
        return PostgresEngine(config={"dsn": url}, log_queries=False)
    return SQLiteEngine(path=_sqlite_path(url))


def use_database(url: str) -> None:
    """Point Piccolo (its config module and every table class) at ``url`` in this process."""
    from piccolo.apps.migrations.tables import Migration

    from engine.storage import piccolo_conf
    from engine.storage.tables import ALL_TABLES

    with _PICCOLO:
        current = piccolo_conf.DB
        if _dialect(url) == "sqlite":
            if isinstance(current, SQLiteEngine) and current.path == _sqlite_path(url):
                return
        elif isinstance(current, PostgresEngine) and current.config.get("dsn") == url:
            return
        db = piccolo_engine(url)
        piccolo_conf.DB = db
        tables: tuple[type[Table], ...] = (*ALL_TABLES, Migration)
        for table in tables:
            table._meta.refresh_db()  # Piccolo's documented way: the engine again from piccolo_conf


@dataclass(frozen=True)
class DatabaseConfig:
    """How to connect; ``url`` defaults to ``DATABASE_URL`` or the embedded SQLite file."""

    url: str | None = None
    #: Create or update the schema on open. The embedded default does; a scaled deployment runs
    #: ``plaudit db migrate`` once instead.
    migrate: bool = True
    #: SQLite: wait this long for a lock held by another process before failing.
    busy_timeout_ms: int = 10_000


@dataclass
class Database:
    """One DB-API connection for the hot path, with the few dialect differences in one place."""

    url: str
    dialect: str
    conn: Any
    #: Shared by the writers of one process (intake and scoring), taken for the length of a transaction:
    #: waiting on it wakes at once, where SQLite's busy handler sleeps in steps of up to 100 ms.
    write_lock: threading.Lock | None = field(default=None, repr=False)
    _in_tx: bool = field(default=False, repr=False)

    # -- SQL text -----------------------------------------------------------------------------------------
    def sql(self, query: str) -> str:
        """``?`` placeholders as the driver wants them."""
        return query.replace("?", "%s") if self.dialect == "postgres" else query

    @property
    def greatest(self) -> str:
        return "GREATEST" if self.dialect == "postgres" else "MAX"

    # -- values -------------------------------------------------------------------------------------------
    def ts(self, value: datetime) -> Any:
        """A timestamp as this driver stores it (SQLite: Piccolo's text form in UTC, which sorts by time)."""
        value = value.astimezone(UTC)
        return value if self.dialect == "postgres" else str(value)

    @staticmethod
    def read_ts(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(value)

    def json_value(self, text: str) -> Any:
        return text

    # -- statements ---------------------------------------------------------------------------------------
    def execute(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self.sql(query), params)

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run ``query`` once per row in one call; returns how many rows it changed."""
        rows = list(rows)
        if not rows:
            return 0
        if self.dialect == "postgres":
            with self.conn.cursor() as cur:
                cur.executemany(self.sql(query), rows)
                return max(cur.rowcount, 0)
        before = self.conn.total_changes
        self.conn.executemany(query, rows)
        return self.conn.total_changes - before

    def query(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(query, params).fetchall())

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        key: Sequence[str] = (),
        on_conflict: str = "DO NOTHING",
    ) -> int:
        """INSERT many rows; with a unique ``key``, a row whose key exists gets ``on_conflict`` (``DO NOTHING`` or
        ``DO UPDATE SET …``). Returns the rows changed.

        On PostgreSQL the rows travel by COPY (psycopg formats them in C), into the table itself or, when
        there is a key, into a temporary staging table first and from there in ONE set-wise
        ``INSERT … SELECT … ORDER BY key ON CONFLICT``: several times faster than a pipelined executemany of
        per-row statements. In key order, two transactions inserting overlapping keys take their row locks in
        the same order and cannot deadlock.
        """
        if not rows:
            return 0
        if self.dialect != "postgres":
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            return self.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks}) {_conflict(key, on_conflict)}',
                rows,
            )
        with self.conn.cursor() as cur:
            self._copy_insert(cur, table, columns, rows, key, on_conflict)
            return max(cur.rowcount, 0)

    def insert_rows_returning(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        key: Sequence[str],
        returning: str,
    ) -> list[tuple[Any, ...]]:
        """:meth:`insert_rows` (``DO NOTHING`` on ``key``) returning ``returning`` of the rows it inserted.
        PostgreSQL only: SQLite's executemany cannot return rows (ask the table afterwards instead: there it
        is an indexed look-up)."""
        if self.dialect != "postgres":
            raise NotImplementedError("insert_rows_returning needs PostgreSQL")
        if not rows:
            return []
        with self.conn.cursor() as cur:
            self._copy_insert(cur, table, columns, rows, key, f"DO NOTHING RETURNING {returning}")
            return list(cur.fetchall())

    def _copy_insert(
        self,
        cur: Any,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        key: Sequence[str],
        on_conflict: str,
    ) -> None:
        names = ", ".join(columns)
        target = self._staging(cur, table, names) if key else table
        with cur.copy(f'COPY "{target}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        if not key:
            return
        # ORDER BY the key, not ctid: COPY does not keep rows in ctid order.
        cur.execute(
            f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{target}" '
            f"ORDER BY {', '.join(key)} {_conflict(key, on_conflict)}"
        )
        # Emptied for the next use in this transaction (a temporary table lives as long as the connection).
        with self.conn.cursor() as clear:
            clear.execute(f'DELETE FROM "{target}"')

    def _staging(self, cur: Any, table: str, names: str) -> str:
        """A temporary table (of this connection) with ``table``'s columns and no constraints."""
        name = f"_stage_{table}"
        # Every time, not once per connection: a rolled-back transaction takes a table it created with it.
        cur.execute(
            f'CREATE TEMP TABLE IF NOT EXISTS "{name}" AS SELECT {names} FROM "{table}" WITH NO DATA'
        )
        return name

    def _chunks_in(self, query: str, values: Sequence[Any], prefix: Sequence[Any]) -> Iterator[Any]:
        if not values:
            return
        if self.dialect == "postgres":
            # One array parameter: one statement whatever the count, and one text for psycopg to prepare.
            yield self.execute(query.replace("IN ({in})", "= ANY(?)"), [*prefix, list(values)])
            return
        for start in range(0, len(values), MAX_PARAMS):
            chunk = values[start : start + MAX_PARAMS]
            yield self.execute(
                query.format(**{"in": ",".join("?" * len(chunk))}), [*prefix, *chunk]
            )

    def query_in(
        self, query: str, values: Sequence[Any], prefix: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows of ``query`` whose single ``IN ({in})`` takes ``values``, in chunks the driver accepts."""
        return [row for cur in self._chunks_in(query, values, prefix) for row in cur.fetchall()]

    def execute_in(self, query: str, values: Sequence[Any], prefix: Sequence[Any] = ()) -> int:
        """Run a statement whose single ``IN ({in})`` takes ``values``, in chunks; returns the rows changed."""
        return sum(max(cur.rowcount, 0) for cur in self._chunks_in(query, values, prefix))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One transaction; nested use joins the outer one. Rolled back on any exception."""
        if self._in_tx:
            yield self
            return
        self._in_tx = True
        if self.write_lock is not None:
            self.write_lock.acquire()
        try:
            if self.dialect == "postgres":
                with self.conn.transaction():
                    yield self
            else:
                # IMMEDIATE takes the write lock up front: two writers never deadlock upgrading read locks.
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
        finally:
            self._in_tx = False
            if self.write_lock is not None:
                self.write_lock.release()

    # -- life cycle ---------------------------------------------------------------------------------------
    def migrate(self) -> str:
        """Run Piccolo's migrations for this database; returns what Piccolo printed."""
        from piccolo.apps.migrations.commands.forwards import run_forwards

        printed = io.StringIO()
        # Several processes starting at once (API replicas, workers) migrate one after the other: the
        # session lock on this connection is held while Piccolo reads its migration table and migrates on
        # its own connections. Threads of one process share Piccolo's engine, so they queue up here first.
        with _PICCOLO:
            use_database(self.url)
            if self.dialect == "postgres":
                self.execute("SELECT pg_advisory_lock(?)", [_MIGRATION_LOCK])
            try:
                with contextlib.redirect_stdout(printed):
                    result = asyncio.run(run_forwards(app_name="plaudit"))
            finally:
                if self.dialect == "postgres":
                    self.execute("SELECT pg_advisory_unlock(?)", [_MIGRATION_LOCK])
        if not result.success:
            raise RuntimeError(f"migration failed: {result.message}\n{printed.getvalue()}")
        return printed.getvalue()

    def close(self) -> None:
        self.conn.close()

    @property
    def lost(self) -> bool:
        """The connection cannot be used again (PostgreSQL restarted or dropped it): open a new one.

        psycopg marks a connection ``broken`` once a statement failed for a lost server; the caller that saw
        that failure answers it (503, a retried job), and the next caller gets a fresh connection.
        """
        return bool(getattr(self.conn, "closed", False) or getattr(self.conn, "broken", False))


def _connect(url: str, config: DatabaseConfig) -> Any:
    if _dialect(url) == "postgres":
        import psycopg

        return psycopg.connect(url, autocommit=True)
    conn = sqlite3.connect(
        _sqlite_path(url),
        isolation_level=None,
        check_same_thread=False,
        timeout=config.busy_timeout_ms / 1000,
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "PRAGMA synchronous=NORMAL"
    )  # WAL + NORMAL: durable at checkpoints, safe from corruption
    conn.execute(
        "PRAGMA cache_size=-262144"
    )  # up to 256 MiB: the per-employee indexes stay in memory
    conn.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint every ~40 MiB of WAL instead of 4 MiB: a page changed by many batches is copied back once.
    conn.execute("PRAGMA wal_autocheckpoint=10000")
    conn.execute(f"PRAGMA busy_timeout={int(config.busy_timeout_ms)}")
    return conn


def open_database(config: DatabaseConfig | str | None = None) -> Database:
    """Connect (and by default migrate) the database named by the config, ``DATABASE_URL`` or the default."""
    if not isinstance(config, DatabaseConfig):
        config = DatabaseConfig(url=config)
    url = resolve_url(config.url)
    db = Database(url=url, dialect=_dialect(url), conn=_connect(url, config))
    use_database(url)
    if config.migrate:
        db.migrate()
    return db


def reconnected(db: Database | None, config: DatabaseConfig) -> Database:
    """``db`` while it works, else a new connection: what a long-lived thread calls before each unit of work,
    so it carries on by itself after PostgreSQL restarted or failed over. Raises while the server is down
    (the caller answers 503 or pauses, and calls again)."""
    if db is not None and not db.lost:
        return db
    if db is not None:
        with contextlib.suppress(Exception):
            db.close()
    return open_database(config)


def _conflict(key: Sequence[str], on_conflict: str) -> str:
    return f"ON CONFLICT ({', '.join(key)}) {on_conflict}" if key else ""
