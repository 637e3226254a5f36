"""Service errors are mapped to HTTP statuses in one place (inference/http_errors.py), each of them."""

from __future__ import annotations

import inspect

from inference import errors
from inference.http_errors import STATUS, as_api_error


def test_every_service_error_is_mapped_to_a_status_in_one_place() -> None:
    raised = {cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.ServiceError)}
    assert raised - {errors.ServiceError} == set(STATUS)
    error = as_api_error(errors.ReloadRunning("a reload of 'latest' is already running", "version"))
    assert (error.status, error.field) == (409, "version") and "already running" in error.message
    assert as_api_error(errors.AnswerTimedOut("no answer within 1s")).status == 504
