"""The one place the inference API turns service errors into HTTP statuses (JSON bodies and stream events)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from inference.errors import AnswerTimedOut, ModelSwapping, NoModelLoaded, ReloadRunning, ServerBusy, ServiceError
from resolver_core.http import ApiError, error_response

STATUS: dict[type[ServiceError], int] = {
    NoModelLoaded: 503,
    ServerBusy: 503,
    ModelSwapping: 503,
    AnswerTimedOut: 504,
    ReloadRunning: 409,
}


def as_api_error(error: ServiceError) -> ApiError:
    return ApiError(STATUS.get(type(error), 500), error.message, error.field)


def add_service_errors(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        error = as_api_error(exc)
        return error_response(error.status, error.message, error.field)
