"""Inputs a fuzz of the spec found harmful, each answered with its documented 4xx; the spec tells the truth."""

from __future__ import annotations

import httpx
import pytest

from tests.fuzz import assert_errors_use_the_error_body
from tests.submission.conftest import SubmissionServer

TOO_BIG = 2**63  # one past SQLite's largest integer
PAIR = {"issue": "Build failed due to missing dependency", "resolution": "Add package X to requirements.txt"}


@pytest.mark.parametrize(
    ("method", "path", "params", "field"),
    [
        ("GET", f"/pairs/{TOO_BIG}", {}, "pair_id"),
        ("DELETE", f"/pairs/{TOO_BIG}", {}, "pair_id"),
        ("PATCH", f"/pairs/{TOO_BIG}", {}, "pair_id"),
        ("GET", "/pairs/0", {}, "pair_id"),
        ("GET", "/pairs", {"since_id": TOO_BIG}, "since_id"),
    ],
)
def test_ids_sqlite_cannot_hold_get_422_naming_the_field(
    submission_server: SubmissionServer, method: str, path: str, params: dict, field: str
) -> None:
    with submission_server.client(submission_server.admin_key) as client:
        body = {"status": "pending"} if method == "PATCH" else None
        response = client.request(method, path, params=params, json=body)
    assert response.status_code == 422 and response.json()["field"] == field


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b'{"issue": "Build failed \xff\xfe", "resolution": "Pin it"}', "application/json", 400, "body"),
        (b"[" * 10_000 + b"]" * 10_000, "application/json", 400, "body"),
        (b"issue=Build+failed&resolution=Pin+it", "application/x-www-form-urlencoded", 400, "body"),
        (b'{"issue": NaN, "resolution": "Pin the version"}', "application/json", 422, "issue"),
        (b'{"issue": "Build failed again", "resolution": Infinity}', "application/json", 422, "resolution"),
    ],
    ids=["invalid-utf8", "10000-deep", "form-encoded", "nan", "infinity"],
)
def test_malformed_bodies_get_4xx_and_store_nothing(
    submission_server: SubmissionServer, body: bytes, content_type: str, status: int, field: str
) -> None:
    with submission_server.client(submission_server.key) as client:
        response = client.post("/submit", content=body, headers={"Content-Type": content_type})
        assert response.status_code == status and response.json()["field"] == field
        assert client.get("/stats").json()["total"] == 0


def test_the_largest_id_is_just_not_found(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        assert client.get(f"/pairs/{TOO_BIG - 1}").status_code == 404


def test_a_chunked_body_over_the_limit_gets_413_and_stores_nothing(submission_server: SubmissionServer) -> None:
    def chunks():  # no Content-Length: httpx sends Transfer-Encoding: chunked
        yield b'{"issue": "'
        for _ in range(100):
            yield b"Build failed " * 100
        yield b'", "resolution": "Pin the version"}'

    json_type = {"Content-Type": "application/json"}
    with submission_server.client(submission_server.key) as client:
        response = client.post("/submit", content=chunks(), headers=json_type)
        assert response.status_code == 413 and response.json()["field"] == "body"
        assert client.get("/stats").json()["total"] == 0
        parts = [b'{"issue": "Docker push denied", ', b'"resolution": "Log in"}']
        small = client.post("/submit", content=iter(parts), headers=json_type)
        assert small.status_code == 201  # a chunked body under the limit is read whole


def test_a_wrong_method_gets_405_with_every_allowed_method(submission_server: SubmissionServer) -> None:
    response = httpx.put(f"{submission_server.url}/pairs/1", json=PAIR)
    assert response.status_code == 405 and response.json()["error"]
    assert response.headers["allow"] == "DELETE, GET, PATCH"


def test_text_longer_than_the_limit_before_trimming_is_refused(submission_server: SubmissionServer) -> None:
    with submission_server.client(submission_server.key) as client:
        padded = {"issue": PAIR["issue"] + " " * 300, "resolution": PAIR["resolution"]}
        response = client.post("/submit", json=padded)
        assert response.status_code == 422 and response.json()["field"] == "issue"


def test_the_spec_declares_every_error_with_the_one_error_body_and_the_limits(
    submission_server: SubmissionServer,
) -> None:
    spec = httpx.get(f"{submission_server.url}/openapi.json").json()
    assert_errors_use_the_error_body(spec)
    submit = spec["paths"]["/submit"]["post"]
    assert set(submit["responses"]) == {"201", "400", "401", "409", "413", "422"}
    issue = spec["components"]["schemas"]["SubmitRequest"]["properties"]["issue"]
    assert (issue["minLength"], issue["maxLength"], issue["pattern"]) == (5, 200, r"[^\W\d_]")
    pair_id = next(p for p in spec["paths"]["/pairs/{pair_id}"]["get"]["parameters"] if p["name"] == "pair_id")
    assert pair_id["schema"]["maximum"] == TOO_BIG - 1
    assert set(spec["components"]["securitySchemes"]) == {"APIKeyHeader", "HTTPBearer"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's {detail} body is never sent
