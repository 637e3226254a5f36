"""Schema migrations: a database from before them is brought forward with its rows intact, on both backends, and
stores opening at the same moment migrate it once."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from resolver_core.store import DB_FILE_NAME, open_store
from resolver_core.store.migrations import LATEST, MIGRATIONS

OLD_ROW = ("Docker push denied", "Log in to the registry", "fp-old", "alice", "2026-11-20T10:00:00.000000Z")
INSERT_OLD = "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at) VALUES ({})"


def _old_sqlite_database(data_dir: Path) -> None:
    """pairs.db as the store wrote it before migrations existed: version 1's tables, no schema_version."""
    data_dir.mkdir(parents=True)
    with sqlite3.connect(data_dir / DB_FILE_NAME) as conn:
        conn.executescript(MIGRATIONS[0].sqlite)
        conn.execute(INSERT_OLD.format(", ".join("?" * 5)), OLD_ROW)


def _old_postgres_database(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in filter(None, (s.strip() for s in MIGRATIONS[0].postgresql.split(";"))):
            conn.execute(statement)
        conn.execute(INSERT_OLD.format(", ".join(["%s"] * 5)), OLD_ROW)


def test_an_old_database_is_migrated_with_its_rows(database_url: str, tmp_path: Path) -> None:
    if database_url:
        _old_postgres_database(database_url)
    else:
        _old_sqlite_database(tmp_path / "data")
    store = open_store(database_url, tmp_path / "data")
    try:
        assert store.schema_version() == LATEST
        (old,) = store.list()
        assert (old["issue"], old["submitted_by"], old["reviewed_by"]) == ("Docker push denied", "alice", None)
        assert (old["rejections"], old["feedback"], store.cursor("vm2")) == (0, None, 0)
        assert store.update_pair(old["id"], "root", status="rejected")
        assert store.get(old["id"])["reviewed_by"] == "root"
        new_id, count = store.add("npm ci fails with ERESOLVE", "Align the react versions", "bob")
        assert new_id > old["id"] and count == 2
    finally:
        store.close()


def test_stores_opening_together_migrate_once(database_url: str, tmp_path: Path) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(database_url, tmp_path / "data"), range(4)))
    try:
        assert {store.schema_version() for store in stores} == {LATEST}
        assert stores[0].add("Docker push denied", "Log in to the registry", "alice")[1] == 1
    finally:
        for store in stores:
            store.close()
