"""The GitLab CI/CD component (templates/ci-resolver.yml) in a real pipeline run by gitlab-ci-local with its shell
executor, included the way a project includes it (`component:`), against a real VM2 on loopback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.integrations.conftest import AnsweringVm2, tool
from tests.servers import REPO_ROOT

PIPELINE = """
include:
  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/ci-resolver@$CI_COMMIT_SHA
    inputs:
      vm2_url: {url}
build:
  extends: .ci-resolver
  script:
    - cat job-output.log | tee "$CI_RESOLVER_LOG"
    - exit 1
lint:
  extends: .ci-resolver
  script:
    - echo "all good" | tee "$CI_RESOLVER_LOG"
"""


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def project(folder: Path, vm2: AnsweringVm2) -> Path:
    """A GitLab project holding the component (as this repository does) and a pipeline that uses it."""
    (folder / "templates").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "templates" / "ci-resolver.yml", folder / "templates" / "ci-resolver.yml")
    shutil.copy(vm2.known_log, folder / "job-output.log")
    (folder / ".gitlab-ci.yml").write_text(PIPELINE.format(url=vm2.server.base_url))
    git(folder, "init", "-q", "-b", "main")
    git(folder, "remote", "add", "origin", "git@gitlab.example.com:acme/ci-resolver.git")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "pipeline")
    return folder


def run_job(folder: Path, job: str) -> subprocess.CompletedProcess:
    command = [tool("gitlab-ci-local"), "--shell-isolation=false", "--no-color", job]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)


def test_a_failing_job_prints_the_known_fix_in_its_after_script_and_keeps_it_as_an_artifact(answering_vm2, tmp_path):
    vm2: AnsweringVm2 = answering_vm2
    folder = project(tmp_path / "shop", vm2)
    result = run_job(folder, "build")
    output = result.stdout
    assert "build > == ci-resolver: known fix for build ==" in output, output[-3000:]
    assert "No module named 'app'" in output and f"{vm2.server.base_url}/?answer=ans_" in output
    artifact = folder / ".gitlab-ci-local" / "artifacts" / "build" / "ci-resolver-answer.txt"
    assert artifact.is_file() and "ci-resolver: known fix for build" in artifact.read_text()
    assert "import_module" not in artifact.read_text() or "| " in artifact.read_text()  # quoted lines, numbered


def test_a_passing_job_asks_nothing(answering_vm2, tmp_path):
    folder = project(tmp_path / "shop", answering_vm2)
    result = run_job(folder, "lint")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ci-resolver:" not in result.stdout.replace("ci-resolver: no", "")
    assert not (folder / ".gitlab-ci-local" / "artifacts" / "lint" / "ci-resolver-answer.txt").exists()
