"""What can go wrong while answering, in the service's words; inference/http_errors.py alone gives them statuses."""

from __future__ import annotations


class ServiceError(Exception):
    """Something the caller can act on (retry, wait, ask differently); not a bug."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NoModelLoaded(ServiceError):
    """The server is up and no version is loaded yet."""


class ServerBusy(ServiceError):
    """The engine's queue is full."""


class ModelSwapping(ServiceError):
    """A reload retired the engine between choosing it and submitting to it, twice."""


class AnswerTimedOut(ServiceError):
    """No answer within INFERENCE_REQUEST_TIMEOUT_S."""


class ReloadRunning(ServiceError):
    """A reload was asked while another one runs."""
