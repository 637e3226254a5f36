"""One SQLite file shared by a process's threads, durably: used by the pair store (VM1) and VM2's feedback store."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCKED_RETRY_S = 30.0  # as long as the connection's own busy timeout


def _use_wal(conn: sqlite3.Connection) -> None:
    """WAL mode (it persists in the file). Several processes opening a new file at once can find it locked while one
    of them switches the mode, and SQLite answers that at once instead of through its busy handler: retry."""
    deadline = time.monotonic() + LOCKED_RETRY_S
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SqliteFile:
    """A connection per thread (WAL, synchronous=FULL: a committed write survives a crash; foreign keys on) and
    write transactions that queue on a lock, then BEGIN IMMEDIATE (other processes wait for it too)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Writers queue on this lock instead of on SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._write_lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            _use_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction: committed on exit, rolled back on error."""
        conn = self.connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
