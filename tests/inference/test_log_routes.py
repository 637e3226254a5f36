"""POST /resolve/log on a real server: a whole job log in, the known fix and the quoted lines out; what it refuses;
what it keeps (never the log, never a secret); how often a failure came back."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from joblog.cleaning import ANSI
from joblog.wrapping import wrap_excerpt
from resolver_core.wording import QUOTED_BONUS
from tests.inference.conftest import Vm2
from tests.servers import RunningServer
from tests.vm2 import EXPORT_KEY, PYTEST_FAILURE, vm2_server

MAX_LOG_BYTES = 2_000_000
SECRETS = ("ghp_" + "Q" * 36, "glpat-" + "w" * 20, "AKIA" + "ABCDEFGHIJKLMNOP", "hunter2hunter2")


@pytest.fixture(scope="module")
def log_server(vm2: Vm2, tmp_path_factory) -> tuple[RunningServer, Path]:
    data_dir = tmp_path_factory.mktemp("vm2-logs")
    settings = {
        "DATA_DIR": str(data_dir),
        "LOG_QUESTIONS": "true",
        "INFERENCE_MAX_LOG_BYTES": str(MAX_LOG_BYTES),
        "INFERENCE_ANSWER_POLICY": "version",
    }
    with vm2_server(vm2, tmp_path_factory.mktemp("inference-logs"), **settings) as running:
        yield running, data_dir


def post_log(server: RunningServer, data: bytes, **headers: str) -> httpx.Response:
    headers = {"Content-Type": "text/plain", **headers}
    return httpx.post(f"{server.base_url}/resolve/log", content=data, headers=headers, timeout=120)


def made_log(excerpt: str, seed: int, size: int = 200_000) -> bytes:
    return wrap_excerpt(excerpt, "python", seed, size).data


def test_a_known_failure_buried_in_a_whole_log_gets_its_known_pair_and_the_lines_it_matched(log_server, vm2):
    server, _ = log_server
    data = made_log(PYTEST_FAILURE, seed=1)
    response = post_log(server, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["similar"][0]["issue"] == vm2.pairs[2]["issue"]  # "pytest fails with ModuleNotFoundError ..."
    assert body["known_fix"] is True and body["based_on"] == [body["similar"][0]["id"]]
    assert body["answer_id"].startswith("ans_") and body["model_version"] == vm2.version
    log = body["log"]
    assert log["bytes"] == len(data) and log["lines"] == data.count(b"\n")
    assert re.fullmatch(r"[0-9a-f]{64}", log["sha256"]) and re.fullmatch(r"[0-9a-f]{16}", log["fingerprint"])
    original = ANSI.sub("", data.decode()).split("\n")
    quoted = [line for block in log["signature"] for line in block["lines"]]
    assert any("No module named 'app'" in line["text"] for line in log["signature"][0]["lines"])
    for line in quoted:
        assert line["text"] in original[line["number"] - 1]
    assert sum(len(line["text"]) for line in quoted) <= 4000


def test_a_failure_the_team_never_saw_gets_a_suggestion_not_a_known_fix(log_server):
    server, _ = log_server
    never_seen = "! LaTeX Error: File `tikz-cd.sty' not found.\nl.12 \\usepackage{tikz-cd}\nNo pages of output."
    body = post_log(server, made_log(never_seen, seed=7)).json()
    assert body["known_fix"] is False and body["based_on"] == []
    assert "tikz-cd.sty" in body["log"]["signature"][0]["lines"][0]["text"]


def test_gzip_by_header_or_by_magic_bytes_reads_as_the_same_log(log_server):
    server, _ = log_server
    data = made_log(PYTEST_FAILURE, seed=2)
    plain = post_log(server, data).json()["log"]
    by_header = post_log(server, gzip.compress(data), **{"Content-Encoding": "gzip"}).json()["log"]
    by_magic = post_log(server, gzip.compress(data), **{"Content-Type": "application/octet-stream"}).json()["log"]
    seen = [summary.pop("recent")["count"] for summary in (plain, by_header, by_magic)]
    assert plain == by_header == by_magic
    assert seen[1:] == [seen[0] + 1, seen[0] + 2]  # the same failure, counted each time it is sent


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        (b'{"issue": "x"}', {"Content-Type": "application/json"}, 415, "Content-Type"),
        (b"\x00\x01\x02\x03" * 4096, {}, 415, "body"),
        (b"error: x\n", {"Content-Encoding": "br"}, 415, "Content-Encoding"),
        (b"   \n\n", {}, 422, "body"),
        (b"+ make test\nmake: *** [Makefile:3: test] Error 1\nFinished: FAILURE\n", {}, 422, "body"),
        (b"\x1f\x8b\x08\x00garbage", {}, 400, "body"),
        (gzip.compress(b"error: truncated\n" * 10)[:-12], {}, 400, "body"),
    ],
)
def test_what_cannot_be_taken_gets_a_4xx_naming_what_is_wrong(log_server, body, headers, status, field):
    server, _ = log_server
    response = post_log(server, body, **headers)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field and response.json()["error"]


def test_logs_over_the_limit_and_gzip_bombs_are_refused_without_inflating_them(log_server):
    server, _ = log_server
    too_big = post_log(server, b"x" * (MAX_LOG_BYTES + 1))
    assert too_big.status_code == 413 and "INFERENCE_MAX_LOG_BYTES" in too_big.json()["error"]
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB inflated from ~64 KB
    refused = post_log(server, bomb)
    assert refused.status_code == 413, refused.text
    assert post_log(server, made_log(PYTEST_FAILURE, seed=3)).status_code == 200  # and the server still answers


def test_the_json_routes_keep_their_own_body_limit(log_server):
    server, _ = log_server
    response = httpx.post(f"{server.base_url}/resolve", json={"issue": "x" * 70_000}, timeout=30)
    assert response.status_code == 413


def test_no_secret_and_no_raw_log_reaches_the_database_the_server_log_or_the_export(log_server):
    server, data_dir = log_server
    failure = (
        f"fatal: could not read from https://ci:{SECRETS[0]}@github.com/acme/api.git: Authentication failed\n"
        f"  export GITLAB_TOKEN={SECRETS[1]} AWS_ACCESS_KEY_ID={SECRETS[2]} DB_PASSWORD={SECRETS[3]}\n"
        "Error: git fetch failed with exit status 128"
    )
    first_line = "Syncing repository: acme/api (checkout marker 7f3a9c)"  # far from the failure: never quoted
    response = post_log(server, first_line.encode() + b"\n" + made_log(failure, seed=4))
    assert response.status_code == 200, response.text
    answer_id = response.json()["answer_id"]
    verdict = {"answer_id": answer_id, "verdict": "corrected", "correction": "Rotate the CI deploy token."}
    assert httpx.post(f"{server.base_url}/feedback", json=verdict, timeout=30).status_code == 201
    export = httpx.get(f"{server.base_url}/feedback/export", headers={"X-API-Key": EXPORT_KEY}, timeout=30)
    exported = [item for item in export.json()["items"] if item["answer_id"] == answer_id]
    assert exported and "Authentication failed" in exported[0]["log_excerpt"]
    database = b"".join(path.read_bytes() for path in data_dir.glob("feedback.db*"))
    places = {"reply": response.text, "export": export.text, "server log": server.log(), "database": database}
    for place, content in places.items():
        text = content.decode(errors="replace") if isinstance(content, bytes) else content
        for secret in SECRETS:
            assert secret not in text, f"{secret[:8]}… reached the {place}"
        assert first_line not in text, f"the raw log reached the {place}"
    row = (
        sqlite3.connect(data_dir / "feedback.db")
        .execute("SELECT log_sha256, log_fingerprint, question FROM answers WHERE id = ?", (answer_id,))
        .fetchone()
    )
    assert row[0] == response.json()["log"]["sha256"] and row[1] == response.json()["log"]["fingerprint"]


def test_the_same_failure_in_two_runs_is_counted_as_one_recurring_failure(log_server):
    server, _ = log_server
    first = post_log(server, made_log(PYTEST_FAILURE, seed=5)).json()["log"]
    again = post_log(server, made_log(PYTEST_FAILURE.replace(":126:", ":131:"), seed=6)).json()["log"]
    assert first["fingerprint"] == again["fingerprint"]
    page = httpx.get(f"{server.base_url}/log-recurrences", params={"days": 7}, timeout=30).json()
    counted = {item["fingerprint"]: item for item in page["fingerprints"]}
    assert counted[first["fingerprint"]]["count"] >= 2
    assert "No module named 'app'" in counted[first["fingerprint"]]["signature_line"]
    assert sum(page["known_pairs"].values()) >= 2
    metrics = httpx.get(f"{server.base_url}/metrics", timeout=30).text
    assert "inference_log_answers_total" in metrics


def test_a_log_pasted_into_a_chat_client_is_read_like_a_whole_log(log_server, vm2):
    server, data_dir = log_server
    pasted = "\n".join([f"\x1b[32mStep {i}/30 : RUN pip install -r requirements-{i}.txt\x1b[0m" for i in range(30)])
    pasted += "\n" + PYTEST_FAILURE + "\n##[error]Process completed with exit code 1."
    body = {"model": vm2.version, "messages": [{"role": "user", "content": pasted}]}
    plain = httpx.post(f"{server.base_url}/v1/chat/completions", json=body, timeout=120)
    assert plain.status_code == 200, plain.text
    reply = plain.json()
    assert reply["known_fix"] is True and reply["based_on"]
    streamed = httpx.post(f"{server.base_url}/v1/chat/completions", json={**body, "stream": True}, timeout=120)
    events = [line.removeprefix("data: ") for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert json.loads(events[-2])["based_on"] == reply["based_on"] and events[-1] == "[DONE]"
    row = (
        sqlite3.connect(data_dir / "feedback.db")
        .execute("SELECT question, log_fingerprint FROM answers WHERE id = ?", (reply["answer_id"],))
        .fetchone()
    )
    assert "No module named 'app'" in row[0] and row[1]
    verdicts_only = "##[error]Process completed with exit code 1.\nFinished: FAILURE\n" * 20
    nothing = {**body, "messages": [{"role": "user", "content": verdicts_only}]}
    refused = httpx.post(f"{server.base_url}/v1/chat/completions", json=nothing, timeout=60)
    assert refused.status_code == 422 and refused.json()["field"] == "messages"


def test_the_server_answers_logs_with_the_version_s_log_threshold(log_server, vm2):
    server, _ = log_server
    recorded = json.loads((vm2.models_dir / vm2.version / "manifest.json").read_text())["grounding"]
    served = httpx.get(f"{server.base_url}/version", timeout=30).json()["grounding"]
    assert recorded["log_known_fix_threshold"] is not None
    assert served["log_known_fix_threshold"] == recorded["log_known_fix_threshold"]
    assert served["known_fix_threshold"] == recorded["known_fix_threshold"]
    assert served["log_quoted_bonus"] == recorded["log_quoted_bonus"] == QUOTED_BONUS
    assert served["quoted_bonus"] == 0.0  # questions are searched without it


def test_the_spec_declares_the_route_with_its_body_types_and_refusals(log_server):
    server, _ = log_server
    operation = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()["paths"]["/resolve/log"]["post"]
    content = operation["requestBody"]["content"]
    assert {"text/plain", "application/octet-stream", "application/gzip"} <= set(content)
    assert {"200", "400", "413", "415", "422"} <= set(operation["responses"])
    assert "INFERENCE_MAX_LOG_BYTES" in operation["requestBody"]["description"]


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def test_logs_are_extracted_in_a_worker_process_that_ends_with_the_server(vm2: Vm2, tmp_path):
    """Extraction runs outside the serving process (pure Python would stall its other requests); killed with -9,
    the server leaves no worker behind."""
    with vm2_server(vm2, tmp_path) as running:
        assert post_log(running, made_log(PYTEST_FAILURE, seed=8)).status_code == 200
        workers = _children(running.process.pid)
        assert workers, "no extraction worker process"
        running.kill()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_a_log_answer_can_be_opened_again_by_its_id_as_recorded(log_server):
    server, _ = log_server
    body = post_log(server, made_log(PYTEST_FAILURE, seed=3)).json()
    recorded = httpx.get(f"{server.base_url}/answers/{body['answer_id']}", timeout=30)
    assert recorded.status_code == 200, recorded.text
    answer = recorded.json()
    assert (answer["resolution"], answer["known_fix"], answer["based_on"]) == (
        body["resolution"],
        body["known_fix"],
        body["based_on"],
    )
    assert answer["log"]["fingerprint"] == body["log"]["fingerprint"] and answer["verdict"] is None
    assert answer["similar"][0] == {key: body["similar"][0][key] for key in ("id", "score", "issue", "resolution")}
    assert "No module named 'app'" in answer["log"]["signature"]
    unknown = httpx.get(f"{server.base_url}/answers/ans_{'0' * 24}", timeout=30)
    assert unknown.status_code == 404 and unknown.json()["field"] == "answer_id"
    too_long = httpx.get(f"{server.base_url}/answers/{'a' * 65}", timeout=30)
    assert too_long.status_code == 422 and too_long.json()["field"] == "answer_id"
