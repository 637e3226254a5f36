"""FastAPI dependencies: who is calling (API keys by role), the store, the settings and the submission metric."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import Counter

from resolver_core.auth import require_role
from resolver_core.settings import SubmissionSettings
from resolver_core.store import PairStore


def get_store(request: Request) -> PairStore:
    return request.app.state.store


def get_settings(request: Request) -> SubmissionSettings:
    return request.app.state.settings


def get_outcomes(request: Request) -> Counter:
    """Submissions counted by outcome (stored, duplicate, invalid): a metric of the app."""
    return request.app.state.submissions


# Admins may submit too.
require_submitter = require_role(
    "submitter", "admin", needs="send a key of SUBMISSION_API_KEYS in the X-API-Key header"
)
require_admin = require_role("admin", needs="this action needs an admin key (SUBMISSION_ADMIN_KEYS) in X-API-Key")

Store = Annotated[PairStore, Depends(get_store)]
Settings = Annotated[SubmissionSettings, Depends(get_settings)]
Submitter = Annotated[str, Depends(require_submitter)]
Admin = Annotated[str, Depends(require_admin)]
Outcomes = Annotated[Counter, Depends(get_outcomes)]
