"""The import rule of docs/architecture.md: a service package imports the core and decoding, never another service;
decoding imports only the core; the core imports no service and not decoding."""

from __future__ import annotations

import ast

import pytest

from tests.servers import REPO_ROOT

SERVICES = ("submission", "trainer", "deploy", "inference")
ALLOWED = {
    "resolver_core": {"resolver_core"},
    "decoding": {"resolver_core", "decoding"},
    **{service: {"resolver_core", "decoding", service} for service in SERVICES},
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
