"""SqlitePairStore: the embedded default, one file in DATA_DIR (WAL, synchronous=FULL: durable commits)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from resolver_core.sqlite_file import SqliteFile
from resolver_core.store import migrations
from resolver_core.store.sql import SqlPairStore

DB_FILE_NAME = "pairs.db"
log = logging.getLogger(__name__)


class SqlitePairStore(SqlPairStore):
    """Thread-safe access to pairs.db: one connection per thread, each write its own durable transaction."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._db = SqliteFile(self.db_path)
        self._migrate()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SqlitePairStore:
        return cls(Path(data_dir) / DB_FILE_NAME)

    def _connection(self) -> sqlite3.Connection:
        return self._db.connection()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._db.transaction()

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
        self._db.close()
