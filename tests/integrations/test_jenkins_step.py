"""The Jenkins step: its shell part run for real against VM2 (as `sh` runs it in a build), and its Groovy (the
shared-library step and the example pipeline) parsed by Groovy 2.4, the version Jenkins pipelines are written in."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integrations.conftest import AnsweringVm2, java_home
from tests.servers import REPO_ROOT

JENKINS = REPO_ROOT / "integrations" / "jenkins"
EXPLAIN_SH = JENKINS / "resources" / "ci-resolver" / "explain.sh"
SYNTAX_CHECK = REPO_ROOT / "integrations" / "test-tools" / "groovy-syntax.groovy"


def run_step(url: str, log: Path, workspace: Path) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "CI_RESOLVER_URL": url,
        "CI_RESOLVER_LOG": str(log),
        "CI_RESOLVER_ANSWER": str(workspace / "ci-resolver-answer.txt"),
        "CI_RESOLVER_JOB": "shop/main #12",
        "WORKSPACE_TMP": str(workspace),
    }
    command = ["sh", "-e", str(EXPLAIN_SH)]
    return subprocess.run(command, env=env, cwd=workspace, capture_output=True, text=True, timeout=300)


def test_the_steps_shell_part_prints_the_known_fix_and_writes_the_artifact(answering_vm2, tmp_path):
    vm2: AnsweringVm2 = answering_vm2
    result = run_step(vm2.server.base_url, vm2.known_log, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "== ci-resolver: known fix for shop/main #12 ==" in result.stdout
    assert "No module named 'app'" in result.stdout
    assert (tmp_path / "ci-resolver-answer.txt").read_text().strip() == result.stdout.strip()
    assert not list(tmp_path.glob("ci-resolver-*.pyz"))  # the fetched client is removed


def test_vm2_down_never_fails_the_build(tmp_path):
    log = tmp_path / "console.log"
    log.write_text("error: broken\n")
    result = run_step("http://127.0.0.1:9", log, tmp_path)
    assert result.returncode == 0 and "cannot fetch the client" in result.stdout


def test_the_groovy_parses():
    files = [JENKINS / "vars" / "ciResolverExplain.groovy", JENKINS / "Jenkinsfile.example"]
    command = ["groovy", str(SYNTAX_CHECK), *map(str, files)]
    env = {"PATH": "/usr/bin:/bin", "JAVA_HOME": java_home()}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("parsed ") == 2
