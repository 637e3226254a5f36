"""What both OpenAPI specs share: the one error body, the table of error statuses, and limits from settings.

Every route declares the error statuses it can return from one table, so a generated client knows each of them
and their body. Limits that come from settings (text lengths, the token cap) are written into the spec when the
app is built, from the same settings the handlers enforce — the spec is the contract, not a sketch of it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

MAX_ID = 2**63 - 1  # SQLite's INTEGER: larger ids cannot exist, so they are refused with 422 like any bad value
MAX_SEED = 2**63 - 1
# A letter: a word character that is neither a digit nor "_" (the validator uses the same expression).
LETTER_PATTERN = r"[^\W\d_]"


class FieldProblem(BaseModel):
    field: str | None
    error: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx of both services: a message, the offending field (null when no one field is to blame)."""

    error: str = Field(description="What is wrong, in words.")
    field: str | None = Field(description="The request field at fault (body, issue, X-API-Key, …), or null.")
    details: list[FieldProblem] | None = Field(None, description="422: every invalid field, not just the first.")
    existing_id: int | None = Field(None, description="409: the id of the pair already stored.")


ERROR_STATUSES: dict[int, str] = {
    400: "The body is not valid JSON, not a JSON object, or not UTF-8 (a log: gzip that cannot be decompressed).",
    401: "Missing or invalid API key.",
    403: "The action is disabled on this server.",
    404: "No such resource.",
    409: "Conflict with the current state (duplicate pair, reload already running).",
    413: "The request body is over the size limit (with or without Content-Length; a log: after decompression, or "
    "inflating beyond the gzip ratio cap).",
    415: "The body's Content-Type or Content-Encoding is not one the route takes, or the body is binary.",
    422: "A field is missing or invalid; `field` names it, `details` lists every problem.",
    503: "Busy (queue full) or not ready; retry shortly.",
    504: "No answer within the request timeout.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can fail with these statuses, from the shared table."""
    return {status: {"model": ErrorBody, "description": ERROR_STATUSES[status]} for status in statuses}


def constrain_schemas(
    app: FastAPI, constraints: dict[str, dict[str, dict[str, Any]]], keys_optional: bool = False
) -> None:
    """Serve the spec with `constraints` (component → property → JSON Schema keywords) merged in.

    Nullable properties (`anyOf` with null) get the keywords on their non-null branch. `keys_optional`: the
    server runs without caller keys, so every operation outside the admin tag also accepts no key."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = spec.get("components", {}).get("schemas", {})
            for component, properties in constraints.items():
                for name, keywords in properties.items():
                    _merge(components[component]["properties"][name], keywords)
            if keys_optional:
                _allow_anonymous(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _merge(schema: dict[str, Any], keywords: dict[str, Any]) -> None:
    branches = [branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"]
    (branches[0] if branches else schema).update(keywords)


KEYED_TAGS = {"admin", "export"}  # operations that need their role's key even when callers need none


def _allow_anonymous(spec: dict[str, Any]) -> None:
    for operations in spec["paths"].values():
        for operation in operations.values():
            if "security" in operation and not KEYED_TAGS & set(operation.get("tags", [])):
                operation["security"].insert(0, {})  # OpenAPI's "no credentials needed"


def text_limits(min_length: int, max_length: int) -> dict[str, Any]:
    """What `validation.clean_text` enforces, as far as JSON Schema can say it (trimming, control characters and
    repeated characters are checked too: 422)."""
    return {"minLength": min_length, "maxLength": max_length, "pattern": LETTER_PATTERN}
