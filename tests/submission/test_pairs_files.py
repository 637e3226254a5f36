"""Importing the seed's issues_resolutions.json on first start, and the CLI export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import service_env, start_server
from tests.submission.conftest import submission_env

ROWS = [
    {"issue": "Build failed due to missing dependency", "resolution": "Add package X to requirements.txt"},
    {"issue": "Docker build fails: no space left on device", "resolution": "Run docker system prune -af on the agent"},
    {"issue": "BUILD failed due to missing   dependency", "resolution": "add package x to requirements.txt"},
    {"issue": "abc", "resolution": "Too short an issue"},
    {"issue": "Lint job fails on trailing whitespace", "resolution": 7},
    "not an object",
]


def test_seed_file_is_imported_once_and_rejected_rows_are_reported(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "issues_resolutions.json").write_text(json.dumps(ROWS))
    env = submission_env(data_dir, "k" * 8 + "submitter-key", "a" * 8 + "admin-key-long")
    logs = []
    for attempt in range(2):
        server = start_server("submission", env, tmp_path)
        try:
            stats = httpx.get(f"{server.base_url}/stats", headers={"X-API-Key": "k" * 8 + "submitter-key"}).json()
            assert stats["total"] == 2, f"attempt {attempt}"
        finally:
            server.stop()
        logs.append(server.log())
    rejected = [json.loads(line) for line in logs[0].splitlines() if '"seed row rejected"' in line]
    assert {(r["index"], r["field"]) for r in rejected} == {(3, "issue"), (4, "resolution"), (5, "item")}
    assert '"pairs file already imported"' in logs[1]


def test_cli_export_writes_the_pairs_file_atomically(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    source = tmp_path / "in.json"
    source.write_text(json.dumps(ROWS[:2]))
    env = service_env({"DATA_DIR": str(data_dir)})
    run = [sys.executable, "-m", "submission"]
    imported = subprocess.run([*run, "import", str(source)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert imported.returncode == 0 and json.loads(imported.stdout)["added"] == 2
    out = tmp_path / "export" / "issues_resolutions.json"
    exported = subprocess.run([*run, "export", "--out", str(out)], env=env, cwd=tmp_path, capture_output=True)
    assert exported.returncode == 0
    assert json.loads(out.read_text()) == ROWS[:2]
    assert not [p for p in out.parent.iterdir() if p.name != out.name], "no temp file left behind"
