"""Run action.yml's steps as GitHub's runner runs a composite action: inputs (with their defaults) reach the steps
through `${{ inputs.* }}` in `env:` only, each `run:` goes to `bash --noprofile --norc -eo pipefail`, and the
step's outputs are read back from $GITHUB_OUTPUT. Nothing else of the expression language is needed (a step using
more fails here)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.servers import REPO_ROOT

ACTION = REPO_ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass(frozen=True)
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def run_action(inputs: dict[str, str], github: dict[str, str], folder: Path) -> ActionRun:
    """`github`: the runner's GITHUB_* variables for the step (GITHUB_TOKEN is github.token)."""
    spec = yaml.safe_load(ACTION.read_text())
    values = {name: inputs.get(name, str(meta.get("default", ""))) for name, meta in spec["inputs"].items()}
    missing = [name for name, meta in spec["inputs"].items() if meta.get("required") and not values[name]]
    assert not missing, f"required inputs missing: {missing}"
    context = {"github.token": github["GITHUB_TOKEN"], **{f"inputs.{k}": v for k, v in values.items()}}
    values = {name: _evaluated(value, context) for name, value in values.items()}
    context.update({f"inputs.{k}": v for k, v in values.items()})
    output, summary = folder / "github_output", folder / "step_summary"
    output.write_text("")
    summary.write_text("")
    runner = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_ACTION_PATH": str(REPO_ROOT),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **github,
    }
    result = None
    for step in spec["runs"]["steps"]:
        assert "${{" not in step["run"], "expressions belong in env:, not in the script (template injection)"
        env = {**runner, **{name: _evaluated(str(value), context) for name, value in step.get("env", {}).items()}}
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
        result = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            break
    assert result is not None
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return ActionRun(result.returncode, result.stdout, result.stderr, outputs, summary.read_text())


def _evaluated(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        assert match[1] in context, f"unsupported expression in action.yml: {match[0]}"
        return context[match[1]]

    return EXPRESSION.sub(value, text)
