"""VM2's own record of what it answered and what developers said about it (DATA_DIR/feedback.db, SQLite).

VM2 keeps this itself so nothing is lost while VM1 is down; VM1 pulls the feedback (GET /feedback/export) with
a cursor, the `seq` of the last feedback it holds. Retention is bounded: answers nobody gave feedback on are
dropped after FEEDBACK_RETENTION_DAYS (or beyond FEEDBACK_MAX_ANSWERS, oldest first); feedback is dropped only
once it is that old *and* VM1 has collected it (VM1 asking for after=N acknowledges every seq ≤ N)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resolver_core.sqlite_file import SqliteFile
from resolver_core.store.base import utc_now

FEEDBACK_DB_NAME = "feedback.db"
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_ts REAL NOT NULL,
    model_version TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    known_fix INTEGER NOT NULL,
    answer_source TEXT NOT NULL,
    based_on TEXT NOT NULL,
    similar TEXT NOT NULL,
    caller TEXT
);
CREATE INDEX IF NOT EXISTS answers_created ON answers (created_ts);
CREATE TABLE IF NOT EXISTS feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL UNIQUE REFERENCES answers (id) ON DELETE CASCADE,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected', 'corrected')),
    correction TEXT,
    comment TEXT,
    given_by TEXT,
    created_at TEXT NOT NULL,
    created_ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS export_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
# Version 2: answers to whole logs keep the log's hash, the failure's fingerprint and the redacted signature (never
# the log itself).
LOG_COLUMNS = ("log_sha256", "log_fingerprint", "log_signature")
LOG_INDEX = "CREATE INDEX IF NOT EXISTS answers_log_fingerprint ON answers (log_fingerprint, created_ts)"
EXPORT_COLUMNS = (
    "f.seq, f.answer_id, f.verdict, f.correction, f.comment, f.given_by, f.created_at, a.question, a.answer, "
    "a.model_version, a.known_fix, a.answer_source, a.based_on, a.log_signature AS log_excerpt"
)
INSERT_ANSWER = (
    "INSERT INTO answers (id, created_at, created_ts, model_version, question, answer, known_fix, answer_source, "
    "based_on, similar, caller, log_sha256, log_fingerprint, log_signature) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class LogEvidence:
    sha256: str
    fingerprint: str
    signature: str  # the quoted blocks' lines, redacted


@dataclass(frozen=True)
class AnswerRecord:
    model_version: str
    question: str
    answer: str
    known_fix: bool
    answer_source: str
    based_on: list[int]
    similar: list[tuple[int, float]]  # (pair id, score) of the evidence shown
    caller: str | None
    log: LogEvidence | None = None  # an answer to a whole job log


class UnknownAnswer(LookupError):
    pass


class FeedbackExists(Exception):
    def __init__(self, seq: int) -> None:
        super().__init__(f"feedback already given (seq {seq})")
        self.seq = seq


def new_answer_id() -> str:
    return "ans_" + secrets.token_hex(12)  # unguessable: feedback on an answer needs its id


class FeedbackStore:
    """Thread-safe; every write one durable transaction (WAL, synchronous=FULL)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = SqliteFile(self.path)
        conn = self._db.connection()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} has schema {version}, newer than this server's {SCHEMA_VERSION}")
        conn.executescript(SCHEMA)
        present = {row[1] for row in conn.execute("PRAGMA table_info(answers)")}
        for column in LOG_COLUMNS:
            if column not in present:
                conn.execute(f"ALTER TABLE answers ADD COLUMN {column} TEXT")
        conn.execute(LOG_INDEX)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        return cls(Path(data_dir) / FEEDBACK_DB_NAME)

    def record_answer(self, record: AnswerRecord) -> str:
        answer_id = new_answer_id()
        row = (
            answer_id,
            utc_now(),
            time.time(),
            record.model_version,
            record.question,
            record.answer,
            int(record.known_fix),
            record.answer_source,
            json.dumps(record.based_on),
            json.dumps([[pair_id, round(score, 4)] for pair_id, score in record.similar]),
            record.caller,
            *((record.log.sha256, record.log.fingerprint, record.log.signature) if record.log else (None,) * 3),
        )
        with self._db.transaction() as conn:
            conn.execute(INSERT_ANSWER, row)
        return answer_id

    def recurrences(self, since_ts: float, limit: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Log answers since `since_ts` counted per failure fingerprint (most frequent first) and per known pair."""
        conn = self._db.connection()
        rows = conn.execute(
            "SELECT log_fingerprint AS fingerprint, COUNT(*) AS count, MIN(created_at) AS first_seen, "
            "MAX(created_at) AS last_seen, MAX(created_ts) AS latest FROM answers "
            "WHERE log_fingerprint IS NOT NULL AND created_ts >= ? GROUP BY log_fingerprint "
            "ORDER BY count DESC, latest DESC LIMIT ?",
            (since_ts, limit),
        ).fetchall()
        fingerprints = [self._recurrence(conn, dict(row)) for row in rows]
        per_pair: dict[str, int] = {}
        for (based_on,) in conn.execute(
            "SELECT based_on FROM answers WHERE log_fingerprint IS NOT NULL AND created_ts >= ?", (since_ts,)
        ):
            for pair_id in json.loads(based_on)[:1]:
                per_pair[str(pair_id)] = per_pair.get(str(pair_id), 0) + 1
        return fingerprints, per_pair

    def times_seen(self, fingerprint: str, since_ts: float) -> int:
        """Log answers with this failure fingerprint since `since_ts`."""
        row = (
            self._db.connection()
            .execute(
                "SELECT COUNT(*) FROM answers WHERE log_fingerprint = ? AND created_ts >= ?", (fingerprint, since_ts)
            )
            .fetchone()
        )
        return int(row[0])

    @staticmethod
    def _recurrence(conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any]:
        latest = conn.execute(
            "SELECT based_on, question FROM answers WHERE log_fingerprint = ? ORDER BY created_ts DESC LIMIT 1",
            (row["fingerprint"],),
        ).fetchone()
        based_on = json.loads(latest["based_on"])
        row.pop("latest")
        return {**row, "known_pair": based_on[0] if based_on else None, "signature_line": latest["question"]}

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        """One recorded answer with the verdict given on it (None: no feedback yet)."""
        row = (
            self._db.connection()
            .execute(
                "SELECT a.*, f.verdict FROM answers a LEFT JOIN feedback f ON f.answer_id = a.id WHERE a.id = ?",
                (answer_id,),
            )
            .fetchone()
        )
        return dict(row) if row else None

    def add_feedback(
        self, answer_id: str, verdict: str, correction: str | None, comment: str | None, given_by: str | None
    ) -> tuple[int, str]:
        """Store one verdict on an answer; (seq, created_at). UnknownAnswer / FeedbackExists change nothing."""
        created_at = utc_now()
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                raise UnknownAnswer(answer_id)
            existing = conn.execute("SELECT seq FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
            if existing is not None:
                raise FeedbackExists(existing["seq"])
            cursor = conn.execute(
                "INSERT INTO feedback (answer_id, verdict, correction, comment, given_by, created_at, created_ts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (answer_id, verdict, correction, comment, given_by, created_at, time.time()),
            )
        return int(cursor.lastrowid), created_at  # type: ignore[arg-type]

    def export(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Feedback with seq > after, oldest first, each with its question and answer; acknowledges ≤ after."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO export_state VALUES ('acknowledged', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
                (after,),
            )
        rows = self._db.connection().execute(
            f"SELECT {EXPORT_COLUMNS} FROM feedback f JOIN answers a ON a.id = f.answer_id "
            "WHERE f.seq > ? ORDER BY f.seq LIMIT ?",
            (after, limit),
        )
        return [_exported(row) for row in rows]

    def prune(self, retention_days: float, max_answers: int) -> dict[str, int]:
        """Apply the retention rules (see the module's doc); how many answers and feedback rows went."""
        cutoff = time.time() - retention_days * 86400
        with self._db.transaction() as conn:
            acknowledged = conn.execute("SELECT value FROM export_state WHERE name = 'acknowledged'").fetchone()
            feedback = conn.execute(
                "DELETE FROM feedback WHERE created_ts < ? AND seq <= ?",
                (cutoff, acknowledged[0] if acknowledged else 0),
            ).rowcount
            unreviewed = "id NOT IN (SELECT answer_id FROM feedback)"
            answers = conn.execute(f"DELETE FROM answers WHERE created_ts < ? AND {unreviewed}", (cutoff,)).rowcount
            answers += conn.execute(
                f"DELETE FROM answers WHERE {unreviewed} AND id IN (SELECT id FROM answers WHERE {unreviewed} "
                "ORDER BY created_ts DESC LIMIT -1 OFFSET ?)",
                (max_answers,),
            ).rowcount
        return {"answers": answers, "feedback": feedback}

    def counts(self) -> dict[str, int]:
        conn = self._db.connection()
        verdicts = dict(conn.execute("SELECT verdict, COUNT(*) FROM feedback GROUP BY verdict").fetchall())
        answers = conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        return {"answers": answers, **{v: verdicts.get(v, 0) for v in ("accepted", "rejected", "corrected")}}

    def close(self) -> None:
        self._db.close()


def _exported(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    item["known_fix"] = bool(item["known_fix"])
    item["based_on"] = json.loads(item["based_on"])
    return item
