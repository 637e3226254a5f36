"""FastAPI dependencies: the served model and who is calling (optional API keys, admin keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from inference.service import ModelService
from resolver_core.http import ApiError, PresentedKey
from resolver_core.settings import InferenceSettings


def get_service(request: Request) -> ModelService:
    return request.app.state.service


def get_settings(request: Request) -> InferenceSettings:
    return request.app.state.settings


def require_caller(request: Request, key: PresentedKey) -> str | None:
    """With RESOLVE_API_KEYS set, a key (X-API-Key or Authorization: Bearer) is required; the holder's name."""
    ring = request.app.state.resolve_keys
    if not ring:
        return None
    name = ring.holder(key) or request.app.state.admin_keys.holder(key)
    if name is None:
        raise ApiError(401, "missing or invalid API key: send X-API-Key or Authorization: Bearer <key>", "X-API-Key")
    return name


def require_admin(request: Request, key: PresentedKey) -> str:
    ring = request.app.state.admin_keys
    if not ring:
        raise ApiError(403, "hot reload is disabled: set INFERENCE_ADMIN_KEYS=name:key to enable it", None)
    name = ring.holder(key)
    if name is None:
        raise ApiError(401, "this action needs an admin key (INFERENCE_ADMIN_KEYS) in X-API-Key", "X-API-Key")
    return name


Service = Annotated[ModelService, Depends(get_service)]
Settings = Annotated[InferenceSettings, Depends(get_settings)]
Caller = Annotated[str | None, Depends(require_caller)]
Admin = Annotated[str, Depends(require_admin)]
