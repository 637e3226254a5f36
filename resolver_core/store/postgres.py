"""PostgresPairStore: the same store on PostgreSQL (psycopg 3, a connection pool), for teams past one VM."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from resolver_core.store import migrations
from resolver_core.store.base import STATUSES
from resolver_core.store.sql import SqlPairStore

MIGRATION_LOCK = 0x5EED  # pg_advisory_xact_lock key: one process migrates at a time
log = logging.getLogger(__name__)


class PostgresPairStore(SqlPairStore):
    """Every call borrows a pooled connection; every write is one transaction, committed before returning."""

    placeholder = "%s"

    def __init__(self, url: str, max_connections: int = 8) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, kwargs={"row_factory": dict_row}, open=True
        )
        self._pool.wait(timeout=30)
        self._migrate()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
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

    def integrity_ok(self) -> bool:
        """PostgreSQL checksums its own pages; here: every row readable, fingerprints unique, statuses valid."""
        row = self._query(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT fingerprint) AS distinct_n, "
            "COUNT(*) FILTER (WHERE NOT status = ANY(?)) AS bad FROM pairs",
            (list(STATUSES),),
        )[0]
        return row["n"] == row["distinct_n"] and row["bad"] == 0

    def close(self) -> None:
        self._pool.close()
