"""The pair store's queries, once, for both SQL engines: a subclass supplies connections, the placeholder style,
its migration lock and its integrity check (resolver_core/store/sqlite.py, postgres.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

from resolver_core.store.base import (
    STATUSES,
    DuplicatePair,
    FeedbackItem,
    FeedbackOutcome,
    FeedbackPair,
    PairRecord,
    StoreStats,
    TrainingPair,
    utc_now,
)
from resolver_core.validation import pair_fingerprint

COLUMNS = (
    "id, issue, resolution, submitted_by, created_at, status, source, tags, reviewed_by, reviewed_at, rejections, "
    "answer_id, model_version, verdict, model_answer, feedback_comment, log_excerpt"
)
FEEDBACK_COLUMNS = ("answer_id", "model_version", "verdict", "model_answer", "feedback_comment")


def _row_to_record(row: Any) -> PairRecord:
    pair = dict(row)
    pair["tags"] = json.loads(pair["tags"])
    provenance = {name: pair.pop(name) for name in FEEDBACK_COLUMNS}
    provenance["comment"] = provenance.pop("feedback_comment")
    pair["feedback"] = provenance if provenance["answer_id"] else None
    return cast(PairRecord, pair)


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
        log_excerpt: str | None = None,
    ) -> tuple[int, int]:
        fingerprint = pair_fingerprint(issue, resolution)
        with self._transaction() as conn:
            row = self._run(
                conn,
                "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, status, source, tags,"
                " log_excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                (
                    issue,
                    resolution,
                    fingerprint,
                    submitted_by,
                    utc_now(),
                    status,
                    source,
                    json.dumps(tags or []),
                    log_excerpt,
                ),
            ).fetchone()
            if row is None:
                existing = self._run(conn, "SELECT id FROM pairs WHERE fingerprint = ?", (fingerprint,)).fetchone()
                raise DuplicatePair(existing["id"])
            total = self._run(conn, "SELECT COUNT(*) AS n FROM pairs").fetchone()["n"]
        return row["id"], total

    def add_many(self, pairs: list[tuple[str, str, str | None]], submitted_by: str, source: str | None = None) -> int:
        added = 0
        with self._transaction() as conn:
            for issue, resolution, log_excerpt in pairs:
                row = self._run(
                    conn,
                    "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, source, log_excerpt)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
                    (
                        issue,
                        resolution,
                        pair_fingerprint(issue, resolution),
                        submitted_by,
                        utc_now(),
                        source,
                        log_excerpt,
                    ),
                ).fetchone()
                added += row is not None
        return added

    def get(self, pair_id: int) -> PairRecord | None:
        rows = self._query(f"SELECT {COLUMNS} FROM pairs WHERE id = ?", (pair_id,))
        return _row_to_record(rows[0]) if rows else None

    def list(self, status: str | None = None, since_id: int = 0, limit: int = 100) -> list[PairRecord]:
        query = f"SELECT {COLUMNS} FROM pairs WHERE id > ?"
        params: list[Any] = [since_id]
        if status:
            query += " AND status = ?"
            params.append(status)
        query += " ORDER BY id LIMIT ?"
        params.append(limit)
        return [_row_to_record(row) for row in self._query(query, params)]

    def delete(self, pair_id: int) -> bool:
        with self._transaction() as conn:
            return self._run(conn, "DELETE FROM pairs WHERE id = ?", (pair_id,)).rowcount == 1

    def update_pair(
        self,
        pair_id: int,
        reviewed_by: str,
        status: str | None = None,
        issue: str | None = None,
        resolution: str | None = None,
    ) -> bool:
        with self._transaction() as conn:
            row = self._run(conn, "SELECT issue, resolution, status FROM pairs WHERE id = ?", (pair_id,)).fetchone()
            if row is None:
                return False
            issue, resolution = issue or row["issue"], resolution or row["resolution"]
            fingerprint = pair_fingerprint(issue, resolution)
            other = self._run(
                conn, "SELECT id FROM pairs WHERE fingerprint = ? AND id <> ?", (fingerprint, pair_id)
            ).fetchone()
            if other is not None:
                raise DuplicatePair(other["id"])
            self._run(
                conn,
                "UPDATE pairs SET issue = ?, resolution = ?, fingerprint = ?, status = ?, reviewed_by = ?, "
                "reviewed_at = ? WHERE id = ?",
                (issue, resolution, fingerprint, status or row["status"], reviewed_by, utc_now(), pair_id),
            )
        return True

    def cursor(self, name: str) -> int:
        rows = self._query("SELECT value FROM cursors WHERE name = ?", (name,))
        return int(rows[0]["value"]) if rows else 0

    def apply_feedback(self, items: list[FeedbackItem], cursor: str, position: int) -> list[FeedbackOutcome]:
        outcomes = []
        with self._transaction() as conn:
            for item in items:
                outcome = self._apply_one(conn, item)
                outcomes.append(outcome)
                if outcome.outcome != "already_collected":
                    self._run(
                        conn,
                        "INSERT INTO feedback_collected VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            item.answer_id,
                            item.seq,
                            item.verdict,
                            outcome.outcome,
                            outcome.pair_id,
                            item.invalid,
                            utc_now(),
                        ),
                    )
            self._run(
                conn,
                "INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (cursor, position, utc_now()),
            )
        return outcomes

    def _apply_one(self, conn: Any, item: FeedbackItem) -> FeedbackOutcome:
        seen = self._run(conn, "SELECT 1 AS seen FROM feedback_collected WHERE answer_id = ?", (item.answer_id,))
        if seen.fetchone() is not None:
            return FeedbackOutcome(item.answer_id, "already_collected")
        if item.pair is not None:
            return self._add_feedback_pair(conn, item.answer_id, item.verdict, item.pair)
        if item.flag_pair_ids:
            marks = ", ".join("?" * len(item.flag_pair_ids))
            query = f"UPDATE pairs SET rejections = rejections + 1 WHERE id IN ({marks})"
            flagged = self._run(conn, query, item.flag_pair_ids).rowcount
            return FeedbackOutcome(item.answer_id, "flagged" if flagged else "invalid")
        return FeedbackOutcome(item.answer_id, "invalid")

    def _add_feedback_pair(self, conn: Any, answer_id: str, verdict: str, pair: FeedbackPair) -> FeedbackOutcome:
        fingerprint = pair_fingerprint(pair.issue, pair.resolution)
        row = self._run(
            conn,
            "INSERT INTO pairs (issue, resolution, fingerprint, submitted_by, created_at, status, source, answer_id,"
            " model_version, verdict, model_answer, feedback_comment, log_excerpt) VALUES (?, ?, ?, ?, ?, 'pending',"
            " 'feedback', ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
            (
                pair.issue,
                pair.resolution,
                fingerprint,
                pair.submitted_by,
                utc_now(),
                answer_id,
                pair.model_version,
                verdict,
                pair.model_answer,
                pair.comment,
                pair.log_excerpt,
            ),
        ).fetchone()
        if row is not None:
            return FeedbackOutcome(answer_id, "pending", row["id"])
        existing = self._run(conn, "SELECT id FROM pairs WHERE fingerprint = ?", (fingerprint,)).fetchone()
        return FeedbackOutcome(answer_id, "duplicate", existing["id"])

    def stats(self) -> StoreStats:
        by_status = {status: 0 for status in STATUSES}
        by_status.update(
            {row["status"]: row["n"] for row in self._query("SELECT status, COUNT(*) AS n FROM pairs GROUP BY status")}
        )
        row = self._query(
            "SELECT MAX(id) AS newest, SUM(CASE WHEN source = 'feedback' THEN 1 ELSE 0 END) AS from_feedback, "
            "SUM(CASE WHEN rejections > 0 THEN 1 ELSE 0 END) AS flagged FROM pairs"
        )[0]
        return StoreStats(
            total=sum(by_status.values()),
            by_status=by_status,
            newest_id=row["newest"],
            from_feedback=int(row["from_feedback"] or 0),
            flagged=int(row["flagged"] or 0),
        )

    def pairs_with_status(self, status: str = "approved") -> list[TrainingPair]:
        rows = self._query(
            "SELECT id, issue, resolution, source, log_excerpt FROM pairs WHERE status = ? ORDER BY id", (status,)
        )
        return [cast(TrainingPair, dict(row)) for row in rows]

    def import_recorded(self, sha256: str) -> bool:
        return bool(self._query("SELECT 1 AS found FROM imports WHERE sha256 = ?", (sha256,)))

    def record_import(self, sha256: str, path: str, report: dict[str, Any]) -> None:
        with self._transaction() as conn:
            self._run(
                conn,
                "INSERT INTO imports (sha256, path, imported_at, report) VALUES (?, ?, ?, ?)",
                (sha256, path, utc_now(), json.dumps(report)),
            )
