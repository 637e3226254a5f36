"""PairStore: the SQLite store of record for issue→resolution pairs (WAL, durable commits)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from resolver_core import seed_format
from resolver_core.validation import FieldError, clean_pair, pair_fingerprint

STATUSES = ("approved", "pending", "rejected")
DB_FILE_NAME = "pairs.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS pairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue TEXT NOT NULL,
    resolution TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    submitted_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'approved' CHECK (status IN ('approved', 'pending', 'rejected')),
    source TEXT,
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS pairs_status_id ON pairs (status, id);
CREATE TABLE IF NOT EXISTS imports (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    report TEXT NOT NULL
);
"""

COLUMNS = "id, issue, resolution, submitted_by, created_at, status, source, tags"


class DuplicatePair(Exception):
    def __init__(self, existing_id: int) -> None:
        super().__init__(f"duplicate of pair {existing_id}")
        self.existing_id = existing_id


@dataclass
class ImportReport:
    path: str
    sha256: str
    added: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    skipped_already_imported: bool = False


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _row_to_dict(row: sqlite3.Row) -> dict[str, Any]:
    pair = dict(row)
    pair["tags"] = json.loads(pair["tags"])
    return pair


class PairStore:
    """Thread-safe access to pairs.db: one connection per thread, each write its own durable transaction."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Writers queue on this lock instead of on SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = threading.Lock()
        self._connection().executescript(SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PairStore:
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
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def add(
        self,
        issue: str,
        resolution: str,
        submitted_by: str,
        status: str = "approved",
        source: str | None = None,
        tags: list[str] | None = None,
    ) -> tuple[int, int]:
        """Insert an already validated pair; return (id, total count). Raise DuplicatePair for a known pair."""
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

    def get(self, pair_id: int) -> dict[str, Any] | None:
        row = self._connection().execute(f"SELECT {COLUMNS} FROM pairs WHERE id = ?", (pair_id,)).fetchone()
        return _row_to_dict(row) if row else None

    def list(self, status: str | None = None, since_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Pairs with id > since_id in id order (keyset pagination), optionally of one status."""
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

    def set_status(self, pair_id: int, status: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("UPDATE pairs SET status = ? WHERE id = ?", (status, pair_id)).rowcount == 1

    def stats(self) -> dict[str, Any]:
        conn = self._connection()
        by_status = {status: 0 for status in STATUSES}
        by_status.update({row[0]: row[1] for row in conn.execute("SELECT status, COUNT(*) FROM pairs GROUP BY 1")})
        newest = conn.execute("SELECT MAX(id) FROM pairs").fetchone()[0]
        return {"total": sum(by_status.values()), "by_status": by_status, "newest_id": newest}

    def pairs_with_status(self, status: str = "approved") -> list[dict[str, Any]]:
        """Every pair of one status, in id order: what export and training read."""
        rows = self._connection().execute(
            "SELECT id, issue, resolution FROM pairs WHERE status = ? ORDER BY id", (status,)
        )
        return [dict(row) for row in rows]

    def export_seed_file(self, path: Path, status: str = "approved") -> int:
        pairs = self.pairs_with_status(status)
        seed_format.write_pairs(path, pairs)
        return len(pairs)

    def add_many(self, pairs: list[tuple[str, str]], submitted_by: str, source: str | None = None) -> int:
        """Insert validated pairs in one transaction, skipping known ones; return how many were new."""
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

    def import_seed_file(
        self, path: Path, min_length: int, max_length: int, submitted_by: str = "seed-import"
    ) -> ImportReport:
        """Import a seed file once (keyed by its sha256) in one transaction; invalid rows are reported."""
        raw = Path(path).read_bytes()
        report = ImportReport(path=str(path), sha256=hashlib.sha256(raw).hexdigest())
        if self._connection().execute("SELECT 1 FROM imports WHERE sha256 = ?", (report.sha256,)).fetchone():
            report.skipped_already_imported = True
            return report
        valid: list[tuple[str, str]] = []
        for index, row in enumerate(seed_format.read_pairs(Path(path))):
            try:
                if not isinstance(row, dict):
                    raise FieldError("item", "must be an object with issue and resolution")
                valid.append(clean_pair(row.get("issue"), row.get("resolution"), min_length, max_length))
            except FieldError as error:
                report.rejected.append({"index": index, "field": error.field, "error": error.message})
        report.added = self.add_many(valid, submitted_by, source=f"import:{Path(path).name}")
        report.duplicates = len(valid) - report.added
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO imports (sha256, path, imported_at, report) VALUES (?, ?, ?, ?)",
                (report.sha256, str(path), utc_now(), json.dumps(report.__dict__)),
            )
        return report

    def integrity_ok(self) -> bool:
        return self._connection().execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
