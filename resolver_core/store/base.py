"""The pair store's interface: what the services need from the store of record, whatever engine holds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypedDict, get_args

PairStatus = Literal["approved", "pending", "rejected"]  # only approved pairs are trained on
STATUSES: tuple[str, ...] = get_args(PairStatus)


class FeedbackProvenance(TypedDict):
    """Where a pair made from a developer's verdict on VM2 came from."""

    answer_id: str
    model_version: str | None
    verdict: str | None
    model_answer: str | None
    comment: str | None


class PairRecord(TypedDict):
    """A stored pair with its provenance: what `get` and `list` return, whatever engine holds it."""

    id: int
    issue: str
    resolution: str
    submitted_by: str
    created_at: str
    status: PairStatus
    source: str | None
    tags: list[str]
    reviewed_by: str | None
    reviewed_at: str | None
    rejections: int  # how many answers built on this pair developers rejected
    log_excerpt: str | None
    feedback: FeedbackProvenance | None  # set for pairs made from feedback on VM2


class TrainingPair(TypedDict):
    """What export and training read of a pair."""

    id: int
    issue: str
    resolution: str
    source: str | None
    log_excerpt: str | None


class StoreStats(TypedDict):
    total: int
    by_status: dict[str, int]
    newest_id: int | None
    from_feedback: int
    flagged: int


class DuplicatePair(Exception):
    def __init__(self, existing_id: int) -> None:
        super().__init__(f"duplicate of pair {existing_id}")
        self.existing_id = existing_id


@dataclass(frozen=True)
class FeedbackPair:
    """A pending pair made from a developer's verdict on VM2, with where it came from."""

    issue: str
    resolution: str
    submitted_by: str
    model_version: str
    model_answer: str
    comment: str | None
    log_excerpt: str | None = None  # an answer to a whole log: the quoted failure lines (redacted on VM2)


@dataclass(frozen=True)
class FeedbackItem:
    """One verdict pulled from VM2, already turned into what the store does with it."""

    answer_id: str
    seq: int
    verdict: str
    pair: FeedbackPair | None = None  # corrected / accepted: a pending pair to review
    flag_pair_ids: tuple[int, ...] = ()  # rejected: the known pairs the answer was based on
    invalid: str | None = None  # why no pair could be made (e.g. the question is longer than pairs may be)


@dataclass(frozen=True)
class FeedbackOutcome:
    answer_id: str
    outcome: str  # pending | duplicate | flagged | invalid | already_collected
    pair_id: int | None = None


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PairStore(Protocol):
    """Validated issue→resolution pairs with provenance. Every write is one durable transaction: once a call
    returns, the change survives a crash. Implementations: SqlitePairStore, PostgresPairStore."""

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
        """Insert an already validated pair; return (id, total count). Raise DuplicatePair for a known pair."""
        ...

    def add_many(self, pairs: list[tuple[str, str, str | None]], submitted_by: str, source: str | None = None) -> int:
        """Insert validated (issue, resolution, log excerpt or None) in one transaction, skipping known ones; return
        how many were new."""
        ...

    def get(self, pair_id: int) -> PairRecord | None: ...

    def list(self, status: str | None = None, since_id: int = 0, limit: int = 100) -> list[PairRecord]:
        """Pairs with id > since_id in id order (keyset pagination), optionally of one status."""
        ...

    def delete(self, pair_id: int) -> bool: ...

    def update_pair(
        self,
        pair_id: int,
        reviewed_by: str,
        status: str | None = None,
        issue: str | None = None,
        resolution: str | None = None,
    ) -> bool:
        """Review a pair: new status and/or edited (validated) text. False: no such pair; DuplicatePair: the edit
        makes it equal to another pair."""
        ...

    def apply_feedback(self, items: list[FeedbackItem], cursor: str, position: int) -> list[FeedbackOutcome]:
        """Apply one page of collected feedback and move `cursor` to `position`, in one transaction; items
        collected before (by answer id) are skipped, so collecting twice stores nothing twice."""
        ...

    def cursor(self, name: str) -> int:
        """A collection cursor's position (0 before the first collection)."""
        ...

    def stats(self) -> StoreStats:
        """How many pairs, by status, the newest id, how many came from feedback and how many are flagged."""
        ...

    def pairs_with_status(self, status: str = "approved") -> list[TrainingPair]:
        """Every pair of one status, in id order: what export and training read."""
        ...

    def import_recorded(self, sha256: str) -> bool:
        """Was a pairs file with this content imported before?"""
        ...

    def record_import(self, sha256: str, path: str, report: dict[str, Any]) -> None: ...

    def schema_version(self) -> int:
        """The last migration applied (resolver_core.store.migrations)."""
        ...

    def integrity_ok(self) -> bool: ...

    def close(self) -> None: ...
