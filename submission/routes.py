"""The submission API's routes: thin handlers over the pair store (resolver_core.store)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParameter

from resolver_core.http import ApiError
from resolver_core.openapi import MAX_ID, error_responses
from resolver_core.settings import SubmissionSettings
from resolver_core.store import DuplicatePair, PairRecord
from resolver_core.validation import clean_pair
from resolver_core.versions import version_summaries
from submission.deps import Admin, Outcomes, Settings, Store, Submitter
from submission.log_excerpts import checked_excerpt
from submission.schemas import (
    Deleted,
    Pair,
    PairPage,
    PairUpdate,
    SeedPair,
    Stats,
    Status,
    SubmitRequest,
    SubmitResponse,
    VersionSummary,
)

log = logging.getLogger(__name__)
router = APIRouter()
PairId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The pair's id.")]


@router.post(
    "/submit",
    status_code=201,
    response_model=SubmitResponse,
    tags=["pairs"],
    responses=error_responses(400, 401, 409, 413, 422),
)
def submit(
    body: SubmitRequest, store: Store, settings: Settings, submitter: Submitter, outcomes: Outcomes
) -> SubmitResponse:
    """Add one issue→resolution pair. 409 with the existing id when the pair is already known."""
    try:
        issue, resolution = clean_pair(
            body.issue, body.resolution, settings.submission_min_length, settings.submission_max_length
        )
        log_excerpt = checked_excerpt(body.log_excerpt, settings.submission_max_log_excerpt)
    except ValueError:
        outcomes.labels("invalid").inc()
        raise
    status = settings.submission_default_status
    try:
        pair_id, count = store.add(issue, resolution, submitter, status, body.source, body.tags, log_excerpt)
    except DuplicatePair as duplicate:
        outcomes.labels("duplicate").inc()
        raise ApiError(
            409,
            f"this pair is already stored as id {duplicate.existing_id}",
            "issue",
            existing_id=duplicate.existing_id,
        ) from None
    outcomes.labels("stored").inc()
    log.info("pair stored", extra={"pair_id": pair_id, "submitted_by": submitter, "status": status})
    return SubmitResponse(id=pair_id, count=count, status=status, submitted_by=submitter)


@router.get("/pairs", response_model=PairPage, tags=["pairs"], responses=error_responses(401, 422))
def list_pairs(
    store: Store,
    _: Submitter,
    status: Status | None = None,
    since_id: int = Query(0, ge=0, le=MAX_ID, description="Only pairs with a larger id (keyset pagination)."),
    limit: int = Query(100, ge=1, le=1000),
) -> PairPage:
    items = store.list(status, since_id, limit)
    next_since_id = items[-1]["id"] if len(items) == limit else None
    return PairPage(items=[Pair(**item) for item in items], next_since_id=next_since_id)


@router.get("/pairs/{pair_id}", response_model=Pair, tags=["pairs"], responses=error_responses(401, 404, 422))
def get_pair(store: Store, _: Submitter, pair_id: PairId) -> Pair:
    pair = store.get(pair_id)
    if pair is None:
        raise ApiError(404, f"no pair with id {pair_id}", "pair_id")
    return Pair(**pair)


@router.delete("/pairs/{pair_id}", response_model=Deleted, tags=["admin"], responses=error_responses(401, 404, 422))
def delete_pair(store: Store, admin: Admin, pair_id: PairId) -> Deleted:
    if not store.delete(pair_id):
        raise ApiError(404, f"no pair with id {pair_id}", "pair_id")
    log.info("pair deleted", extra={"pair_id": pair_id, "by": admin})
    return Deleted(deleted=pair_id)


@router.patch(
    "/pairs/{pair_id}",
    response_model=Pair,
    tags=["admin"],
    responses=error_responses(400, 401, 404, 409, 413, 422),
)
def review(update: PairUpdate, store: Store, settings: Settings, admin: Admin, pair_id: PairId) -> Pair:
    """Review a pair: approve, hold (pending) or reject it, and/or edit its text; only approved pairs are
    trained on. 409 when the edit makes it a duplicate of another pair."""
    issue, resolution = _edited_text(update, store.get(pair_id), pair_id, settings)
    try:
        if not store.update_pair(pair_id, admin, update.status, issue, resolution):
            raise ApiError(404, f"no pair with id {pair_id}", "pair_id")
    except DuplicatePair as duplicate:
        message = f"the edited pair is already stored as id {duplicate.existing_id}"
        raise ApiError(409, message, "issue", existing_id=duplicate.existing_id) from None
    edited = [name for name in ("issue", "resolution") if getattr(update, name) is not None]
    log.info("pair reviewed", extra={"pair_id": pair_id, "status": update.status, "edited": edited, "by": admin})
    return Pair(**store.get(pair_id))  # type: ignore[arg-type]


@router.get("/stats", response_model=Stats, tags=["pairs"], responses=error_responses(401))
def stats(store: Store, _: Submitter) -> Stats:
    return Stats(**store.stats())


@router.get("/export", response_model=list[SeedPair], tags=["pairs"], responses=error_responses(401, 422))
def export(store: Store, _: Submitter, status: Status = "approved") -> list[dict[str, str]]:
    """The dataset in the seed's issues_resolutions.json format."""
    return [{"issue": p["issue"], "resolution": p["resolution"]} for p in store.pairs_with_status(status)]


@router.get("/versions", response_model=list[VersionSummary], tags=["models"], responses=error_responses(401))
def versions(settings: Settings, _: Submitter) -> list[dict]:
    """The model versions in MODELS_DIR, newest first, with their evaluation figures and aliases."""
    return version_summaries(Path(settings.models_dir))


@router.get("/healthz", tags=["ops"])
def healthz(store: Store) -> dict[str, object]:
    return {"status": "ok", "pairs": store.stats()["total"]}


def _edited_text(
    update: PairUpdate, pair: PairRecord | None, pair_id: int, settings: SubmissionSettings
) -> tuple[str | None, str | None]:
    """The validated new texts (None = unchanged); 404 for no pair, 422 for an empty update or bad text."""
    if pair is None:
        raise ApiError(404, f"no pair with id {pair_id}", "pair_id")
    if update.status is None and update.issue is None and update.resolution is None:
        raise ApiError(422, "send at least one of status, issue, resolution", "status")
    if update.issue is None and update.resolution is None:
        return None, None
    issue, resolution = clean_pair(
        pair["issue"] if update.issue is None else update.issue,
        pair["resolution"] if update.resolution is None else update.resolution,
        settings.submission_min_length,
        settings.submission_max_length,
    )
    return issue, resolution
