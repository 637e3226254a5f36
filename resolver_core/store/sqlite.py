"""SqlitePairStore: the embedded default, one file in DATA_DIR (WAL, synchronous=FULL: durable commits)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from resolver_core.store import migrations
from resolver_core.store.base import STATUSES, DuplicatePair, utc_now
from resolver_core.validation import pair_fingerprint

DB_FILE_NAME = "pairs.db"
COLUMNS = "id, issue, resolution, submitted_by, created_at, status, source, tags, reviewed_by, reviewed_at"
log = logging.getLogger(__name__)


def _row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    pair = dict(row)
    pair["tags"] = json.loads(pair["tags"])
    return pair


class SqlitePairStore:
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

    def _migrate(self) -> None:
        self._connection().execute(migrations.SCHEMA_VERSION_TABLE)
        with self._transaction() as conn:
            applied = conn.execute(migrations.CURRENT_VERSION).fetchone()[0]
            done = migrations.apply_pending(conn.execute, "sqlite", applied)
        if done:
            log.info("store migrated", extra={"store": str(self.db_path), "applied": done})

    def schema_version(self) -> int:
        return self._connection().execute(migrations.CURRENT_VERSION).fetchone()[0]

    def add(
        self,
        issue: str,
        resolution: str,
        submitted_by: str,
        status: str = "approved",
        source: str | None = None,
        tags: list[str] | None = None,
    ) -> tuple[int, int]:
        fingerprint = pair_fingerprint(issue, resolution)
        with self._transaction() as conn:
            row = conn.execute(
                "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, status, source, tags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                (issue, resolution, fingerprint, submitted_by, utc_now(), status, source, json.dumps(tags or [])),
            ).fetchone()
            if row is None:
                existing = conn.execute("SELECT id FROM pairs WHERE fingerprint = ?", (fingerprint,)).fetchone()
                raise DuplicatePair(existing["id"])
            total = conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]
        return row["id"], total

    def add_many(self, pairs: list[tuple[str, str]], submitted_by: str, source: str | None = None) -> int:
        added = 0
        with self._transaction() as conn:
            for issue, resolution in pairs:
                row = conn.execute(
                    "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, source)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                    (issue, resolution, pair_fingerprint(issue, resolution), submitted_by, utc_now(), source),
                ).fetchone()
                added += row is not None
        return added

    def get(self, pair_id: int) -> dict[str, Any] | None:
        row = self._connection().execute(f"SELECT {COLUMNS} FROM pairs WHERE id = ?", (pair_id,)).fetchone()
        return _row_to_dict(row) if row else None

    def list(self, status: str | None = None, since_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        query = f"SELECT {COLUMNS} FROM pairs WHERE id > ?"
        params: list[Any] = [since_id]
        if status:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY id LIMIT ?"
        params.append(limit)
        return [_row_to_dict(row) for row in self._connection().execute(query, params)]

    def delete(self, pair_id: int) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM pairs WHERE id = ?", (pair_id,)).rowcount == 1

    def set_status(self, pair_id: int, status: str, reviewed_by: str | None = None) -> bool:
        with self._transaction() as conn:
            query = "UPDATE pairs SET status = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?"
            return conn.execute(query, (status, reviewed_by, utc_now(), pair_id)).rowcount == 1

    def stats(self) -> dict[str, Any]:
        conn = self._connection()
        by_status = {status: 0 for status in STATUSES}
        by_status.update({row[0]: row[1] for row in conn.execute("SELECT status, COUNT(*) FROM pairs GROUP BY 1")})
        newest = conn.execute("SELECT MAX(id) FROM pairs").fetchone()[0]
        return {"total": sum(by_status.values()), "by_status": by_status, "newest_id": newest}

    def pairs_with_status(self, status: str = "approved") -> list[dict[str, Any]]:
        rows = self._connection().execute(
            "SELECT id, issue, resolution FROM pairs WHERE status = ? ORDER BY id", (status,)
        )
        return [dict(row) for row in rows]

    def import_recorded(self, sha256: str) -> bool:
        return self._connection().execute("SELECT 1 FROM imports WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def record_import(self, sha256: str, path: str, report: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO imports (sha256, path, imported_at, report) VALUES (?, ?, ?, ?)",
                (sha256, path, utc_now(), json.dumps(report)),
            )

    def integrity_ok(self) -> bool:
        return self._connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
