"""FastAPI dependencies: who is calling (API keys) and the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from resolver_core.http import ApiError, PresentedKey
from resolver_core.settings import SubmissionSettings
from resolver_core.store import PairStore


def get_store(request: Request) -> PairStore:
    return request.app.state.store


def get_settings(request: Request) -> SubmissionSettings:
    return request.app.state.settings


def require_submitter(request: Request, key: PresentedKey) -> str:
    """Name of the key's holder; admins may submit too. 401 otherwise."""
    name = request.app.state.submitter_keys.holder(key) or request.app.state.admin_keys.holder(key)
    if name is None:
        raise ApiError(401, "missing or invalid API key: send it in the X-API-Key header", "X-API-Key")
    return name


def require_admin(request: Request, key: PresentedKey) -> str:
    name = request.app.state.admin_keys.holder(key)
    if name is None:
        raise ApiError(401, "this action needs an admin key (SUBMISSION_ADMIN_KEYS) in X-API-Key", "X-API-Key")
    return name


Store = Annotated[PairStore, Depends(get_store)]
Settings = Annotated[SubmissionSettings, Depends(get_settings)]
Submitter = Annotated[str, Depends(require_submitter)]
Admin = Annotated[str, Depends(require_admin)]
