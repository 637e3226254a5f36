"""SqlitePairStore: the embedded default, one file in DATA_DIR (WAL, synchronous=FULL: durable commits)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from resolver_core.store import migrations
from resolver_core.store.sql import SqlPairStore

DB_FILE_NAME = "pairs.db"
log = logging.getLogger(__name__)


class SqlitePairStore(SqlPairStore):
    """Thread-safe access to pairs.db: one connection per thread, each write its own durable transaction."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Writers queue on this lock instead of on SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = threading.Lock()
        self._migrate()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SqlitePairStore:
        return cls(Path(data_dir) / DB_FILE_NAME)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")  # other processes (the trainer, a second server) wait for it too
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._connection().execute(sql, params).fetchall()

    def _migrate(self) -> None:
        self._connection().execute(migrations.SCHEMA_VERSION_TABLE)
        with self._transaction() as conn:
            applied = conn.execute(migrations.CURRENT_VERSION).fetchone()[0]
            done = migrations.apply_pending(conn.execute, "sqlite", applied)
        if done:
            log.info("store migrated", extra={"store": str(self.db_path), "applied": done})

    def integrity_ok(self) -> bool:
        return self._connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
