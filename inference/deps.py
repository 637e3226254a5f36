"""FastAPI dependencies: the served model and who is calling (optional API keys, admin keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from inference.service import ModelService
from resolver_core.auth import require_role
from resolver_core.settings import InferenceSettings


def get_service(request: Request) -> ModelService:
    return request.app.state.service


def get_settings(request: Request) -> InferenceSettings:
    return request.app.state.settings


# With RESOLVE_API_KEYS set, /resolve, /v1 and /feedback need a key (admins' keys work too).
require_caller = require_role(
    "caller", "admin", needs="send X-API-Key or Authorization: Bearer <key>", open_unless="caller"
)
require_admin = require_role(
    "admin",
    needs="this action needs an admin key (INFERENCE_ADMIN_KEYS) in X-API-Key",
    disabled="hot reload is disabled: set INFERENCE_ADMIN_KEYS=name:key to enable it",
)


Service = Annotated[ModelService, Depends(get_service)]
Settings = Annotated[InferenceSettings, Depends(get_settings)]
Caller = Annotated[str | None, Depends(require_caller)]
Admin = Annotated[str, Depends(require_admin)]
