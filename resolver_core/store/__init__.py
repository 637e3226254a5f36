"""The store of record for issue→resolution pairs: one interface (PairStore), SQLite or PostgreSQL behind it.

Everything that opens a store calls `open_store`: DATABASE_URL empty = SQLite at DATA_DIR/pairs.db (the
embedded default); `postgresql://user[:password]@host:port/db` = PostgreSQL. Migrations run on open."""

from __future__ import annotations

from pathlib import Path

from resolver_core.settings import CommonSettings, ConfigError
from resolver_core.store.base import (
    STATUSES,
    DuplicatePair,
    PairRecord,
    PairStatus,
    PairStore,
    StoreStats,
    TrainingPair,
)
from resolver_core.store.sqlite import DB_FILE_NAME, SqlitePairStore

__all__ = [
    "DB_FILE_NAME",
    "STATUSES",
    "DuplicatePair",
    "PairRecord",
    "PairStatus",
    "PairStore",
    "SqlitePairStore",
    "StoreStats",
    "TrainingPair",
    "open_store",
    "store_for",
]
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(database_url: str, data_dir: Path) -> PairStore:
    if not database_url or database_url.startswith("sqlite:"):
        path = database_url.removeprefix("sqlite:///") if database_url else Path(data_dir) / DB_FILE_NAME
        return SqlitePairStore(Path(path))
    if database_url.startswith(POSTGRES_SCHEMES):
        from resolver_core.store.postgres import PostgresPairStore

        return PostgresPairStore(database_url)
    scheme = database_url.split(":", 1)[0]
    raise ConfigError(f"DATABASE_URL: unsupported scheme {scheme!r}; use postgresql://… or leave it empty for SQLite")


def store_for(settings: CommonSettings) -> PairStore:
    """The store a process's settings name (DATABASE_URL, else DATA_DIR)."""
    return open_store(settings.database_url.get_secret_value(), settings.data_dir)
