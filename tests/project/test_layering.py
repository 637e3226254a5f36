"""The import rule of docs/architecture.md: a service package imports the core, decoding and joblog, never another
service; decoding imports only the core and joblog; the core imports no service and not decoding; joblog imports
nothing of the project and nothing outside the standard library."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.servers import REPO_ROOT

SERVICES = ("submission", "trainer", "deploy", "inference")
ALLOWED = {
    "resolver_core": {"resolver_core"},
    "decoding": {"resolver_core", "decoding", "joblog"},
    "joblog": {"joblog"},
    **{service: {"resolver_core", "decoding", "joblog", service} for service in SERVICES},
}
PROJECT = set(ALLOWED)


def project_imports(package: str) -> list[tuple[str, str]]:
    """(module file, imported top-level package) for every import of a project package inside `package`."""
    found = []
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [(str(path.relative_to(REPO_ROOT)), n.split(".")[0]) for n in names if n.split(".")[0] in PROJECT]
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_the_layering_allows(package: str) -> None:
    imports = project_imports(package)
    assert imports, f"no project import found in {package}: the scan reads nothing"
    wrong = [(module, imported) for module, imported in imports if imported not in ALLOWED[package]]
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}: {wrong}"


def test_joblog_needs_only_the_standard_library() -> None:
    """The log library runs anywhere Python does (no torch, numpy or web framework behind an import)."""
    script = "import sys, joblog.wrapping; print(sorted(m for m in sys.modules if m.split('.')[0] in THIRD))"
    third = "{'torch', 'numpy', 'fastapi', 'pydantic', 'transformers', 'resolver_core', 'decoding'}"
    found = subprocess.run(
        [sys.executable, "-c", f"THIRD = {third}\n{script}"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
