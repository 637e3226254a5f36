"""The package declares the dependencies requirements.txt pins, so `pip install .` gives a working package."""

from __future__ import annotations

import re
import tomllib

from tests.servers import REPO_ROOT


def _names(lines: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ]", line.strip(), maxsplit=1)[0].lower() for line in lines if line.strip()}


def test_pyproject_declares_every_pinned_runtime_dependency_and_each_pin_satisfies_its_range():
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [line for line in (REPO_ROOT / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert _names(declared) == _names(pinned)
    from packaging.requirements import Requirement

    versions = {
        Requirement(line).name.lower(): next(iter(Requirement(line).specifier)).version for line in pinned if line
    }
    for spec in map(Requirement, declared):
        assert spec.specifier.contains(versions[spec.name.lower()]), (spec, versions[spec.name.lower()])


def test_the_docker_build_context_holds_every_package_and_sample_the_images_use() -> None:
    """.dockerignore is an allow-list: a package or shipped sample missing from it fails the image build."""
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    include = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = {pattern.rstrip("*") for pattern in include["include"]}
    copied = set(re.findall(r"^COPY (samples/\S+)", (REPO_ROOT / "docker" / "Dockerfile").read_text(), re.MULTILINE))
    assert packages | copied <= allowed, sorted((packages | copied) - allowed)


def test_the_images_install_the_llama_cpp_release_the_build_script_builds() -> None:
    """scripts/llamacpp.sh builds one llama-cpp-python release (make wheels puts it in the wheelhouse); the
    Dockerfile installs that wheel and unpacks the converter from the same source archive."""
    script = re.search(r"^VERSION=(\S+)$", (REPO_ROOT / "scripts" / "llamacpp.sh").read_text(), re.M)
    image = re.search(r"^ARG LLAMACPP_VERSION=(\S+)$", (REPO_ROOT / "docker" / "Dockerfile").read_text(), re.M)
    assert script and image and script.group(1) == image.group(1)
