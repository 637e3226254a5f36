"""API keys and roles, shared by both services: one key ring per role, one dependency that checks a role.

A key is configured as `name:key` in a role's variable (e.g. SUBMISSION_API_KEYS); the handler receives the
holder's name, which is what the stores record as "who"."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from resolver_core.http import ApiError


class KeyRing:
    """API keys → holder names. Lookups compare digests in constant time against every key, no early exit."""

    def __init__(self, keys: dict[str, str]) -> None:
        self._entries = [(hashlib.sha256(key.encode()).digest(), name) for key, name in keys.items()]

    def __bool__(self) -> bool:
        return bool(self._entries)

    def holder(self, presented: str | None) -> str | None:
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode()).digest()
        found = None
        for key_digest, name in self._entries:
            if hmac.compare_digest(digest, key_digest):
                found = name
        return found


class Roles:
    """The key rings of one service, by role name (app.state.roles)."""

    def __init__(self, rings: dict[str, dict[str, str]]) -> None:
        self._rings = {role: KeyRing(keys) for role, keys in rings.items()}

    def configured(self, role: str) -> bool:
        return bool(self._rings[role])

    def holder(self, key: str | None, roles: tuple[str, ...]) -> str | None:
        """The holder's name when the key belongs to one of `roles` (every ring is checked: constant time)."""
        names = [self._rings[role].holder(key) for role in roles]
        return next((name for name in names if name is not None), None)


_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (name:key in settings).")
_BEARER = HTTPBearer(auto_error=False, description="The same API key as `Authorization: Bearer <key>`.")


def presented_key(
    key: Annotated[str | None, Security(_KEY_HEADER)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
) -> str | None:
    """The key from X-API-Key, or from `Authorization: Bearer <key>` (both declared in the specs)."""
    if key:
        return key
    return bearer.credentials.strip() if bearer and bearer.credentials.strip() else None


PresentedKey = Annotated[str | None, Depends(presented_key)]


def require_role(
    *roles: str,
    needs: str,
    open_unless: str | None = None,
    disabled: str | None = None,
) -> Callable[[Request, str | None], str | None]:
    """A dependency: the holder's name of a key with one of `roles`, else 401 saying what is needed (`needs`).

    open_unless=role: anyone may call (name None) while that role has no keys. disabled=message: 403 while the
    first role has no keys (the feature is switched off until keys are configured)."""

    def dependency(request: Request, key: PresentedKey) -> str | None:
        configured: Roles = request.app.state.roles
        if open_unless is not None and not configured.configured(open_unless):
            return None
        if disabled is not None and not configured.configured(roles[0]):
            raise ApiError(403, disabled, None)
        name = configured.holder(key, roles)
        if name is None:
            raise ApiError(401, f"missing or invalid API key: {needs}", "X-API-Key")
        return name

    return dependency
