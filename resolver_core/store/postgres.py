"""PostgresPairStore: the same store on PostgreSQL (psycopg 3, a connection pool), for teams past one VM."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from resolver_core.store import migrations
from resolver_core.store.base import STATUSES, DuplicatePair, utc_now
from resolver_core.validation import pair_fingerprint

COLUMNS = "id, issue, resolution, submitted_by, created_at, status, source, tags, reviewed_by, reviewed_at"
MIGRATION_LOCK = 0x5EED  # pg_advisory_xact_lock key: one process migrates at a time
log = logging.getLogger(__name__)


def _row_to_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "tags": json.loads(row["tags"])}


class PostgresPairStore:
    """Every call borrows a pooled connection; every write is one transaction, committed before returning."""

    def __init__(self, url: str, max_connections: int = 8) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.url = url
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, kwargs={"row_factory": dict_row}, open=True
        )
        self._pool.wait(timeout=30)
        self._migrate()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def _query(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(migrations.SCHEMA_VERSION_TABLE)
            applied = conn.execute(migrations.CURRENT_VERSION).fetchone()["coalesce"]
            done = migrations.apply_pending(conn.execute, "postgresql", applied)
        if done:
            log.info("store migrated", extra={"store": "postgresql", "applied": done})

    def schema_version(self) -> int:
        return self._query(migrations.CURRENT_VERSION)[0]["coalesce"]

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
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                (issue, resolution, fingerprint, submitted_by, utc_now(), status, source, json.dumps(tags or [])),
            ).fetchone()
            if row is None:
                existing = conn.execute("SELECT id FROM pairs WHERE fingerprint = %s", (fingerprint,)).fetchone()
                raise DuplicatePair(existing["id"])
            total = conn.execute("SELECT COUNT(*) AS n FROM pairs").fetchone()["n"]
        return row["id"], total

    def add_many(self, pairs: list[tuple[str, str]], submitted_by: str, source: str | None = None) -> int:
        added = 0
        with self._transaction() as conn:
            for issue, resolution in pairs:
                row = conn.execute(
                    "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, source)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                    (issue, resolution, pair_fingerprint(issue, resolution), submitted_by, utc_now(), source),
                ).fetchone()
                added += row is not None
        return added

    def get(self, pair_id: int) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {COLUMNS} FROM pairs WHERE id = %s", (pair_id,))
        return _row_to_dict(rows[0]) if rows else None

    def list(self, status: str | None = None, since_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        query = f"SELECT {COLUMNS} FROM pairs WHERE id > %s"
        params: list[Any] = [since_id]
        if status:
            query += " AND status = %s"
            params.append(status)
        query += " ORDER BY id LIMIT %s"
        params.append(limit)
        return [_row_to_dict(row) for row in self._query(query, params)]

    def delete(self, pair_id: int) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM pairs WHERE id = %s", (pair_id,)).rowcount == 1

    def set_status(self, pair_id: int, status: str, reviewed_by: str | None = None) -> bool:
        with self._transaction() as conn:
            query = "UPDATE pairs SET status = %s, reviewed_by = %s, reviewed_at = %s WHERE id = %s"
            return conn.execute(query, (status, reviewed_by, utc_now(), pair_id)).rowcount == 1

    def stats(self) -> dict[str, Any]:
        by_status = {status: 0 for status in STATUSES}
        rows = self._query("SELECT status, COUNT(*) AS n FROM pairs GROUP BY status")
        by_status.update({row["status"]: row["n"] for row in rows})
        newest = self._query("SELECT MAX(id) AS newest FROM pairs")[0]["newest"]
        return {"total": sum(by_status.values()), "by_status": by_status, "newest_id": newest}

    def pairs_with_status(self, status: str = "approved") -> list[dict[str, Any]]:
        return self._query("SELECT id, issue, resolution FROM pairs WHERE status = %s ORDER BY id", (status,))

    def import_recorded(self, sha256: str) -> bool:
        return bool(self._query("SELECT 1 FROM imports WHERE sha256 = %s", (sha256,)))

    def record_import(self, sha256: str, path: str, report: dict[str, Any]) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO imports (sha256, path, imported_at, report) VALUES (%s, %s, %s, %s)",
                (sha256, path, utc_now(), json.dumps(report)),
            )

    def integrity_ok(self) -> bool:
        """PostgreSQL checksums its own pages; here: every row readable, fingerprints unique, statuses valid."""
        row = self._query(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT fingerprint) AS distinct_n, "
            "COUNT(*) FILTER (WHERE NOT status = ANY(%s)) AS bad FROM pairs",
            (list(STATUSES),),
        )[0]
        return row["n"] == row["distinct_n"] and row["bad"] == 0

    def close(self) -> None:
        self._pool.close()
