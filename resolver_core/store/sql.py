"""The pair store's queries, once, for both SQL engines: a subclass supplies connections, the placeholder style,
its migration lock and its integrity check (resolver_core/store/sqlite.py, postgres.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from resolver_core.store.base import STATUSES, DuplicatePair, utc_now
from resolver_core.validation import pair_fingerprint

COLUMNS = "id, issue, resolution, submitted_by, created_at, status, source, tags, reviewed_by, reviewed_at"


def _row_to_dict(row: Any) -> dict[str, Any]:
    pair = dict(row)
    pair["tags"] = json.loads(pair["tags"])
    return pair


class SqlPairStore:
    """PairStore over a DB-API-like connection whose `execute` returns a cursor with rows addressable by name.
    Queries are written with `?`; `placeholder` replaces it for engines that use another style."""

    placeholder = "?"

    def _transaction(self) -> AbstractContextManager[Any]:
        """A connection inside one durable write transaction (committed on exit, rolled back on error)."""
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _run(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(self._sql(sql), tuple(params))

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._rows(self._sql(sql), tuple(params))

    def schema_version(self) -> int:
        return self._query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_version")[0]["version"]

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
            row = self._run(
                conn,
                "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, status, source, tags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                (issue, resolution, fingerprint, submitted_by, utc_now(), status, source, json.dumps(tags or [])),
            ).fetchone()
            if row is None:
                existing = self._run(conn, "SELECT id FROM pairs WHERE fingerprint = ?", (fingerprint,)).fetchone()
                raise DuplicatePair(existing["id"])
            total = self._run(conn, "SELECT COUNT(*) AS n FROM pairs").fetchone()["n"]
        return row["id"], total

    def add_many(self, pairs: list[tuple[str, str]], submitted_by: str, source: str | None = None) -> int:
        added = 0
        with self._transaction() as conn:
            for issue, resolution in pairs:
                row = self._run(
                    conn,
                    "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, source)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                    (issue, resolution, pair_fingerprint(issue, resolution), submitted_by, utc_now(), source),
                ).fetchone()
                added += row is not None
        return added

    def get(self, pair_id: int) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {COLUMNS} FROM pairs WHERE id = ?", (pair_id,))
        return _row_to_dict(rows[0]) if rows else None

    def list(self, status: str | None = None, since_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        query = f"SELECT {COLUMNS} FROM pairs WHERE id > ?"
        params: list[Any] = [since_id]
        if status:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY id LIMIT ?"
        params.append(limit)
        return [_row_to_dict(row) for row in self._query(query, params)]

    def delete(self, pair_id: int) -> bool:
        with self._transaction() as conn:
            return self._run(conn, "DELETE FROM pairs WHERE id = ?", (pair_id,)).rowcount == 1

    def set_status(self, pair_id: int, status: str, reviewed_by: str | None = None) -> bool:
        with self._transaction() as conn:
            query = "UPDATE pairs SET status = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ?"
            return self._run(conn, query, (status, reviewed_by, utc_now(), pair_id)).rowcount == 1

    def stats(self) -> dict[str, Any]:
        by_status = {status: 0 for status in STATUSES}
        by_status.update(
            {row["status"]: row["n"] for row in self._query("SELECT status, COUNT(*) AS n FROM pairs GROUP BY status")}
        )
        newest = self._query("SELECT MAX(id) AS newest FROM pairs")[0]["newest"]
        return {"total": sum(by_status.values()), "by_status": by_status, "newest_id": newest}

    def pairs_with_status(self, status: str = "approved") -> list[dict[str, Any]]:
        rows = self._query("SELECT id, issue, resolution FROM pairs WHERE status = ? ORDER BY id", (status,))
        return [dict(row) for row in rows]

    def import_recorded(self, sha256: str) -> bool:
        return bool(self._query("SELECT 1 AS found FROM imports WHERE sha256 = ?", (sha256,)))

    def record_import(self, sha256: str, path: str, report: dict[str, Any]) -> None:
        with self._transaction() as conn:
            self._run(
                conn,
                "INSERT INTO imports (sha256, path, imported_at, report) VALUES (?, ?, ?, ?)",
                (sha256, path, utc_now(), json.dumps(report)),
            )
