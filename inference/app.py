"""The inference API (FastAPI): /resolve, the OpenAI-compatible /v1, operations and hot reload."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from inference import client_download, feedback_routes, log_routes, openai_routes, routes
from inference.feedback_store import FeedbackStore
from inference.http_errors import add_service_errors
from inference.metrics import InferenceMetrics
from inference.service import ModelService
from resolver_core.auth import Roles
from resolver_core.http import HttpMetrics, service_app
from resolver_core.openapi import MAX_SEED, constrain_schemas, text_limits
from resolver_core.settings import ConfigError, InferenceSettings
from resolver_core.web import add_pages

PAGES = Path(__file__).parent / "pages"


def create_app(settings: InferenceSettings, service: ModelService, http_metrics: HttpMetrics) -> FastAPI:
    """`service` already holds a loaded version: the server only starts listening once the model is verified."""
    app = service_app(
        "ci-resolver inference API",
        "Answers CI/CD failures with the team's known fixes, from a pinned model version (VM2).",
        http_metrics,
        settings.inference_max_body_bytes,
        lifespan=_retention,
        streamed_paths=frozenset({"/resolve/log"}),
    )
    app.state.settings = settings
    app.state.service = service
    app.state.feedback = _feedback_store(settings)
    app.state.roles = Roles(
        {"caller": settings.resolve_keys(), "admin": settings.admin_keys(), "feedback-export": settings.export_keys()}
    )
    add_service_errors(app)
    app.include_router(routes.router)
    app.include_router(log_routes.router)
    app.include_router(openai_routes.router)
    app.include_router(feedback_routes.router)
    app.include_router(client_download.router)
    add_pages(app, PAGES / "ask.html", [PAGES / "ask.js"])
    constrain_schemas(app, _limits(settings), keys_optional=not app.state.roles.configured("caller"))
    return app


def _feedback_store(settings: InferenceSettings) -> FeedbackStore:
    try:
        return FeedbackStore.in_data_dir(settings.data_dir)
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(
            f"DATA_DIR {settings.data_dir}: cannot keep answers and feedback there ({error}); make it a writable "
            "folder (compose.vm2.yml: VM2_DATA_DIR)"
        ) from None


@asynccontextmanager
async def _retention(app: FastAPI) -> AsyncIterator[None]:
    task = asyncio.create_task(feedback_routes.prune_periodically(app.state.feedback, app.state.settings))
    yield
    task.cancel()
    log_routes.close_extractor()
    app.state.feedback.close()


def _limits(settings: InferenceSettings) -> dict[str, dict[str, dict]]:
    """The limits the handlers enforce from settings, for the spec."""
    tokens = {"maximum": settings.inference_max_new_tokens}
    seed = {"maximum": MAX_SEED}  # the spec model turns large integer bounds into floats (2**63 - 1 → 2**63)
    return {
        "ResolveRequest": {
            "issue": text_limits(settings.inference_min_length, settings.inference_max_length),
            "max_new_tokens": tokens,
            "seed": seed,
        },
        "ChatCompletionRequest": {"max_tokens": tokens, "max_completion_tokens": tokens, "seed": seed},
        "FeedbackRequest": {
            "correction": text_limits(settings.inference_min_length, settings.feedback_max_length),
            "comment": text_limits(1, settings.feedback_comment_max_length),
        },
    }


def build(settings: InferenceSettings) -> tuple[FastAPI, ModelService]:
    """Load and verify MODEL_VERSION, then the app around it (VersionRefusedError if it must not be served)."""
    http_metrics = HttpMetrics("inference")
    service = ModelService(settings, InferenceMetrics(http_metrics.registry))
    service.load(settings.model_version)
    return create_app(settings, service, http_metrics), service
