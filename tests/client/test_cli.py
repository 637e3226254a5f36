"""The client's promises to a pipeline: advisory (exit 0, one line) whatever happens to VM2, the log streamed
gzipped and never printed back, Python 3.9 and the standard library only."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

from inference.client_download import client_pyz
from tests.client.conftest import CLIENT, BrokenVm2, client_files, run_client

LOG = b"".join(b"step %d ok\n" % i for i in range(50_000)) + b"npm ERR! code ERESOLVE\nsecret-token-xyz\n"


def test_vm2_down_leaves_the_job_result_unchanged_with_one_line_saying_why(tmp_path):
    log = tmp_path / "build.log"
    log.write_bytes(LOG)
    result = run_client("explain", str(log), env={"CI_RESOLVER_URL": "http://127.0.0.1:9"})
    assert result.returncode == 0
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "unreachable at http://127.0.0.1:9" in lines[0] and "unchanged" in lines[0]
    failing = run_client("explain", str(log), "--fail-on-error", env={"CI_RESOLVER_URL": "http://127.0.0.1:9"})
    assert failing.returncode == 1


def test_a_slow_vm2_is_given_up_on_after_the_timeout(tmp_path, broken_vm2: BrokenVm2):
    broken_vm2.delay_s, broken_vm2.status = 5.0, 200
    log = tmp_path / "build.log"
    log.write_bytes(LOG)
    result = run_client("explain", str(log), "--timeout", "0.5", env={"CI_RESOLVER_URL": broken_vm2.url})
    assert result.returncode == 0
    assert "did not answer within 0.5 s" in result.stderr.decode()


def test_a_5xx_is_reported_with_vm2s_own_error_message(tmp_path, broken_vm2: BrokenVm2):
    log = tmp_path / "build.log"
    log.write_bytes(LOG)
    result = run_client("explain", str(log), env={"CI_RESOLVER_URL": broken_vm2.url})
    assert result.returncode == 0
    assert "VM2 answered 503: the model is busy" in result.stderr.decode()


def test_the_log_is_streamed_gzipped_with_the_key_and_never_printed_back(tmp_path, broken_vm2: BrokenVm2):
    log = tmp_path / "build.log"
    log.write_bytes(LOG)
    env = {"CI_RESOLVER_URL": broken_vm2.url, "CI_RESOLVER_API_KEY": "k-123"}
    result = run_client("explain", str(log), env=env)
    sent = broken_vm2.requests[0]
    assert sent["path"] == "/resolve/log" and sent["body"] == LOG
    assert sent["headers"]["transfer-encoding"] == "chunked"  # streamed: no Content-Length known in advance
    assert sent["headers"]["content-encoding"] == "gzip" and sent["headers"]["x-api-key"] == "k-123"
    assert b"secret-token-xyz" not in result.stdout + result.stderr
    from_stdin = run_client("explain", "-", "--no-gzip", env=env, stdin=LOG)
    assert from_stdin.returncode == 0 and broken_vm2.requests[1]["body"] == LOG
    assert "content-encoding" not in broken_vm2.requests[1]["headers"]


def test_what_cannot_be_asked_is_said_in_one_line_and_exits_0(tmp_path):
    no_url = run_client("explain", str(tmp_path / "build.log"))
    assert no_url.returncode == 0 and "set CI_RESOLVER_URL" in no_url.stderr.decode()
    no_file = run_client("explain", str(tmp_path / "missing.log"), env={"CI_RESOLVER_URL": "http://127.0.0.1:9"})
    assert no_file.returncode == 0 and "cannot read the log" in no_file.stderr.decode()
    usage = run_client("--help")
    assert usage.returncode == 0 and b"explain" in usage.stdout and b"ask" in usage.stdout


def test_the_client_is_python_3_9_and_the_standard_library_only():
    for path in client_files():
        tree = ast.parse(path.read_text(), feature_version=(3, 9))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
        foreign = {
            name for name in imported if name.split(".")[0] not in {*sys.stdlib_module_names, "ci_resolver_client"}
        }
        assert not foreign, f"{path.name} imports {foreign}"


def test_vm2_serves_the_client_as_one_file_that_runs(tmp_path):
    data = client_pyz()
    assert data is not None and data == client_pyz()
    pyz = tmp_path / "ci-resolver.pyz"
    pyz.write_bytes(data)
    result = subprocess.run([sys.executable, str(pyz), "--version"], capture_output=True, text=True, env={})
    assert result.returncode == 0 and result.stdout.startswith("ci-resolver ")


def test_the_client_installs_with_nothing_but_itself(tmp_path):
    """`pip install ./client` with no package index: nothing to fetch, and a working `ci-resolver` command."""
    target, source = tmp_path / "site", tmp_path / "client"
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    install = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-index",
        "--no-build-isolation",
        "--no-cache-dir",
        "--quiet",
        "--target",
        str(target),
        str(source),
    ]
    result = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(target)}
    command = [sys.executable, str(target / "bin" / "ci-resolver"), "--version"]
    version = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("ci-resolver 0."), version.stderr
