"""The submission API (FastAPI): the app, its state and background work; the routes are in routes.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Counter

from resolver_core.auth import Roles
from resolver_core.http import HttpMetrics, service_app
from resolver_core.openapi import constrain_schemas, text_limits
from resolver_core.pairs_file import PAIRS_FILE_NAME
from resolver_core.settings import SubmissionSettings
from resolver_core.store import PairStore, store_for
from resolver_core.web import add_pages
from submission import routes
from submission.feedback_collection import collect_periodically
from submission.pairs_files import import_pairs_file

log = logging.getLogger(__name__)
PAGES = Path(__file__).parent / "pages"


def import_pairs_file_once(store: PairStore, settings: SubmissionSettings) -> None:
    """Import DATA_DIR/issues_resolutions.json if present and not imported before; report rejected rows."""
    path = Path(settings.data_dir) / PAIRS_FILE_NAME
    if not path.is_file():
        return
    report = import_pairs_file(
        store,
        path,
        settings.submission_min_length,
        settings.submission_max_length,
        max_log_excerpt=settings.submission_max_log_excerpt,
    )
    if report.skipped_already_imported:
        log.info("pairs file already imported", extra={"path": str(path), "sha256": report.sha256})
        return
    log.info(
        "pairs file imported",
        extra={
            "path": str(path),
            "added": report.added,
            "duplicates": report.duplicates,
            "rejected": len(report.rejected),
        },
    )
    for row in report.rejected:
        log.warning("seed row rejected", extra=row)


@asynccontextmanager
async def _collecting_feedback(app: FastAPI) -> AsyncIterator[None]:
    """With FEEDBACK_COLLECT_INTERVAL_S set, collect VM2's feedback on a timer (as `make collect-feedback`)."""
    settings: SubmissionSettings = app.state.settings
    task = None
    if settings.feedback_collect_interval_s > 0:
        task = asyncio.create_task(collect_periodically(app.state.store, settings))
    yield
    if task is not None:
        task.cancel()


def create_app(settings: SubmissionSettings) -> FastAPI:
    settings.require_keys()
    store = store_for(settings)
    import_pairs_file_once(store, settings)
    metrics = HttpMetrics("submission")
    app = service_app(
        "ci-resolver submission API",
        "Add validated CI/CD issue→resolution pairs to the training dataset (VM1).",
        metrics,
        settings.submission_max_body_bytes,
        lifespan=_collecting_feedback,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.roles = Roles({"submitter": settings.submitter_keys(), "admin": settings.admin_keys()})
    app.state.submissions = Counter(
        "submission_pairs_total", "Submissions by outcome", ["outcome"], registry=metrics.registry
    )
    app.include_router(routes.router)
    add_pages(app, PAGES / "team.html", [PAGES / "team.js"])
    text = text_limits(settings.submission_min_length, settings.submission_max_length)
    constrain_schemas(
        app, {"SubmitRequest": {"issue": text, "resolution": text}, "PairUpdate": {"issue": text, "resolution": text}}
    )
    return app
