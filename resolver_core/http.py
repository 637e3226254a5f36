"""HTTP pieces both APIs share: the JSON error shape, the body size limit and request metrics (keys: auth.py)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolver_core.validation import FieldError


class ApiError(Exception):
    """Raised by handlers; rendered as {"error": message, "field": field} with the given status."""

    def __init__(self, status: int, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.extra = status, message, field, extra


def error_response(status: int, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "field": field, **extra}, status_code=status)


def _field_of(location: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "request body is not valid JSON", "body")
    first = errors[0]
    field = _field_of(first.get("loc", ()))
    details = [{"field": _field_of(e.get("loc", ())), "error": e.get("msg", "")} for e in errors]
    message = first.get("msg", "invalid value")
    if first.get("type") == "missing":
        message = "is required"
    elif first.get("type") == "model_attributes_type":
        return error_response(400, "request body must be a JSON object", "body")
    return error_response(422, f"{field or 'body'}: {message}", field, details=details)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.field, **exc.extra)

    @app.exception_handler(FieldError)
    async def _field_error(_: Request, exc: FieldError) -> JSONResponse:
        return error_response(422, f"{exc.field} {exc.message}", exc.field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's only 400: the body could not be decoded (bad UTF-8, too deep)
            return error_response(400, "request body is not valid JSON (undecodable bytes or nested too deep)", "body")
        response = error_response(exc.status_code, str(exc.detail), None)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route's methods; the path may have several
            response.headers["Allow"] = ", ".join(_methods_of(request))
        return response

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:  # the server logs the traceback itself
        return error_response(500, "internal error (logged on the server)", None)

    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]


def _methods_of(request: Request) -> list[str]:
    """Every method the spec declares for this path (the spec is the list of what is served)."""
    path = request.url.path
    paths = request.app.openapi()["paths"]
    matching = [operations for template, operations in paths.items() if compile_path(template)[0].match(path)]
    return sorted({method.upper() for operations in matching for method in operations})


def service_app(
    title: str,
    description: str,
    metrics: HttpMetrics,
    max_body_bytes: int,
    lifespan: Any = None,
    streamed_paths: frozenset[str] = frozenset(),
) -> FastAPI:
    """A FastAPI app with what every service has: the JSON error shape, request metrics, the body size limit
    (except on `streamed_paths`, whose handlers read the body as a stream under limits of their own)."""
    app = FastAPI(title=title, version="1.0", description=description, lifespan=lifespan)
    install_error_handlers(app)
    metrics.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, streamed_paths=streamed_paths)
    return app


class BodySizeLimit:
    """Pure ASGI middleware: 413 for bodies over `max_bytes`, whether Content-Length is declared or not.

    The body (small by construction) is read here in full before the app runs, so an oversized chunked body is
    refused before any handler sees it; the app then receives it as one message."""

    def __init__(self, app: ASGIApp, max_bytes: int, streamed_paths: frozenset[str] = frozenset()) -> None:
        self.app, self.max_bytes, self.streamed_paths = app, max_bytes, streamed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streamed_paths:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        body = await self._read_body(receive)
        if body is None:
            await self._reject(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it grows past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client went away; the app will see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"request body exceeds {self.max_bytes} bytes", "body")
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then whatever the connection says next (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class HttpMetrics:
    """Request count and latency per route, in a registry of the app's own (several apps can live in one process)."""

    def __init__(self, namespace: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            namespace=namespace,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            namespace=namespace,
            registry=self.registry,
        )

    def install(self, app: FastAPI) -> None:
        @app.middleware("http")
        async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = getattr(request.scope.get("route"), "path", "unmatched")
            self.latency.labels(request.method, route).observe(time.perf_counter() - started)
            self.requests.labels(request.method, route, str(response.status_code)).inc()
            return response

        @app.get("/metrics", include_in_schema=False)
        def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
