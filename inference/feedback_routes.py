"""Feedback on answers: every answer is recorded with an id, developers post a verdict, VM1 pulls the verdicts.

POST /feedback (a caller's key when RESOLVE_API_KEYS is set) and GET /feedback/export (FEEDBACK_EXPORT_KEYS)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from decoding.answer import Answer
from inference.deps import Caller, Service, Settings
from inference.feedback_store import AnswerRecord, FeedbackExists, FeedbackStore, LogEvidence, UnknownAnswer
from inference.schemas import (
    MAX_ANSWER_ID_LENGTH,
    FeedbackPage,
    FeedbackReceipt,
    FeedbackRequest,
    RecordedAnswer,
    RecordedEvidence,
    RecordedLog,
)
from joblog import redact
from resolver_core.auth import require_role
from resolver_core.http import ApiError
from resolver_core.openapi import MAX_ID, error_responses
from resolver_core.retrieval import Similar
from resolver_core.settings import InferenceSettings
from resolver_core.validation import FieldError, clean_text

log = logging.getLogger(__name__)
router = APIRouter(tags=["feedback"])
PRUNE_EVERY_S = 3600.0

require_exporter = require_role(
    "feedback-export",
    needs="this needs a key of FEEDBACK_EXPORT_KEYS (VM1's VM2_FEEDBACK_KEY) in X-API-Key",
    disabled="feedback export is disabled: set FEEDBACK_EXPORT_KEYS=name:key on VM2 to enable it",
)
Exporter = Annotated[str, Depends(require_exporter)]


def feedback_store(request: Request) -> FeedbackStore:
    return request.app.state.feedback


Store = Annotated[FeedbackStore, Depends(feedback_store)]


async def record_answer(
    request: Request,
    question: str,
    answer: Answer,
    version: str,
    similar: list[Similar],
    caller: str | None,
    log_evidence: LogEvidence | None = None,
) -> str | None:
    """Record an answer (off the event loop); its id, or None when the record could not be written (logged)."""
    store: FeedbackStore = request.app.state.feedback
    settings: InferenceSettings = request.app.state.settings
    question = redact(question)  # a pasted error may hold a token: never kept, logged or exported as sent
    record = AnswerRecord(
        version,
        question,
        answer.text,
        answer.known_fix,
        answer.source,
        answer.based_on,
        [(s.id, s.score) for s in similar],
        caller,
        log_evidence,
    )
    try:
        answer_id = await asyncio.to_thread(store.record_answer, record)
    except sqlite3.Error as error:
        log.error("answer not recorded: feedback on it is impossible", extra={"error": str(error)})
        return None
    extra = {"answer_id": answer_id, "model_version": version, "known_fix": answer.known_fix, "caller": caller}
    if settings.log_questions:
        extra["question"] = question
    log.info("answered", extra=extra)
    return answer_id


def _checked(body: FeedbackRequest, settings: InferenceSettings) -> tuple[str | None, str | None]:
    """The trimmed correction and comment, or a 422 naming the field."""
    correction = None
    if body.verdict == "corrected":
        if body.correction is None:
            raise FieldError("correction", "is required with verdict 'corrected' (the fix that worked)")
        correction = clean_text(
            body.correction, "correction", settings.inference_min_length, settings.feedback_max_length
        )
    elif body.correction is not None:
        raise FieldError("correction", f"is only accepted with verdict 'corrected' (got {body.verdict!r})")
    comment = None
    if body.comment is not None and body.comment.strip():
        comment = clean_text(body.comment, "comment", 1, settings.feedback_comment_max_length)
    return correction, comment


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackReceipt,
    responses=error_responses(400, 401, 404, 409, 413, 422),
)
async def give_feedback(body: FeedbackRequest, store: Store, settings: Settings, caller: Caller) -> FeedbackReceipt:
    """Say whether an answer helped: accepted, rejected, or corrected with the fix that worked (once per answer).

    The training team reviews corrections and accepted answers before any version learns from them."""
    correction, comment = _checked(body, settings)
    try:
        seq, created_at = await asyncio.to_thread(
            store.add_feedback, body.answer_id, body.verdict, correction, comment, caller
        )
    except UnknownAnswer:
        raise ApiError(404, "no answer with this id (unknown, or older than the retention)", "answer_id") from None
    except FeedbackExists as exists:
        raise ApiError(409, f"feedback on this answer was already given (seq {exists.seq})", "answer_id") from None
    log.info("feedback", extra={"answer_id": body.answer_id, "verdict": body.verdict, "seq": seq, "by": caller})
    return FeedbackReceipt(
        seq=seq, answer_id=body.answer_id, verdict=body.verdict, given_by=caller, created_at=created_at
    )


@router.get(
    "/answers/{answer_id}", response_model=RecordedAnswer, tags=["feedback"], responses=error_responses(401, 404, 422)
)
async def recorded_answer(
    answer_id: Annotated[str, Path(max_length=MAX_ANSWER_ID_LENGTH, description="The answer's `answer_id`.")],
    store: Store,
    service: Service,
    _: Caller,
) -> RecordedAnswer:
    """An answer as recorded, with its evidence and the verdict on it (VM2's page opens it at /?answer=<id>, the
    link the CI integrations print)."""
    row = await asyncio.to_thread(store.answer, answer_id)
    if row is None:
        raise ApiError(404, "no answer with this id (unknown, or older than the retention)", "answer_id")
    known = service.current.similar
    similar = [_evidence(known.pair(pair_id), pair_id, score) for pair_id, score in json.loads(row["similar"])]
    log = None
    if row["log_fingerprint"]:
        log = RecordedLog(sha256=row["log_sha256"], fingerprint=row["log_fingerprint"], signature=row["log_signature"])
    return RecordedAnswer(
        answer_id=row["id"],
        created_at=row["created_at"],
        model_version=row["model_version"],
        issue=row["question"],
        resolution=row["answer"],
        known_fix=bool(row["known_fix"]),
        answer_source=row["answer_source"],
        based_on=json.loads(row["based_on"]),
        similar=similar,
        log=log,
        verdict=row["verdict"],
    )


def _evidence(pair: dict | None, pair_id: int, score: float) -> RecordedEvidence:
    issue, resolution = (pair["issue"], pair["resolution"]) if pair else (None, None)
    return RecordedEvidence(id=pair_id, score=score, issue=issue, resolution=resolution)


@router.get("/feedback/export", response_model=FeedbackPage, tags=["export"], responses=error_responses(401, 403, 422))
async def export_feedback(
    store: Store,
    _: Exporter,
    after: int = Query(0, ge=0, le=MAX_ID, description="Only feedback with a larger seq (VM1's cursor)."),
    limit: int = Query(100, ge=1, le=1000),
) -> FeedbackPage:
    """Feedback in seq order with the question and answer it is about (VM1's `make collect-feedback` pulls this).

    Asking for `after=N` acknowledges that the caller holds every seq ≤ N (retention may then drop them)."""
    items = await asyncio.to_thread(store.export, after, limit)
    return FeedbackPage(items=items, next_after=items[-1]["seq"] if items else after)  # type: ignore[arg-type]


async def prune_periodically(store: FeedbackStore, settings: InferenceSettings) -> None:
    """Apply retention at start and every hour (a background task of the app)."""
    while True:
        try:
            removed = await asyncio.to_thread(
                store.prune, settings.feedback_retention_days, settings.feedback_max_answers
            )
            if any(removed.values()):
                log.info("feedback retention applied", extra=removed)
        except sqlite3.Error as error:
            log.error("feedback retention failed", extra={"error": str(error)})
        await asyncio.sleep(PRUNE_EVERY_S)
