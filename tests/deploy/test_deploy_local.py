"""make deploy to a local folder: verified copy, atomic rename, base handling and the errors users will meet."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from deploy.targets import LocalTarget
from resolver_core import registry
from tests.deploy.conftest import BASE_ID, run_deploy


def test_deploy_copies_verifies_and_renames_into_place(source, tmp_path):
    target = tmp_path / "vm2" / "models"
    result = run_deploy(source, "latest", "--target", str(target), "--with-base")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {**report, "version": source.version, "status": "deployed", "base": "copied"}
    assert registry.verify_checksums(target / source.version) == []
    assert registry.list_versions(target) == [source.version]
    assert registry.read_alias(target, "latest") == source.version
    assert (target / "base" / BASE_ID / "model.safetensors").read_bytes() == (
        source.base_path / "model.safetensors"
    ).read_bytes()
    assert not list(target.rglob(".incoming*")), "no temporary folder left behind"
    again = run_deploy(source, source.version, "--target", str(target))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["status"] == "already deployed"


def test_without_the_base_on_the_target_deploy_says_to_add_with_base(source, tmp_path):
    target = tmp_path / "vm2"
    result = run_deploy(source, "latest", "--target", str(target))
    assert result.returncode == 2
    assert "--with-base" in result.stderr
    assert registry.list_versions(target) == []


def test_unknown_version_is_a_clear_error(source, tmp_path):
    result = run_deploy(source, "20000101T000000Z", "--target", str(tmp_path / "vm2"))
    assert result.returncode == 2
    assert "unknown version" in result.stderr and source.version in result.stderr


def test_a_damaged_local_version_is_not_deployed(source, tmp_path):
    adapter = source.models_dir / source.version / "adapter_model.safetensors"
    adapter.chmod(0o644)
    adapter.write_bytes(b"damaged")
    result = run_deploy(source, "latest", "--target", str(tmp_path / "vm2"), "--with-base")
    assert result.returncode == 2
    assert "adapter_model.safetensors: sha256 mismatch" in result.stderr
    assert not (tmp_path / "vm2" / source.version).exists()


def test_an_interrupted_deploy_is_invisible_and_the_next_one_completes(source, tmp_path):
    target = tmp_path / "vm2"
    leftover = target / f".incoming.{source.version}"
    leftover.mkdir(parents=True)
    (leftover / "adapter_model.safetensors").write_bytes(b"half a file")
    (leftover / "stray.tmp").write_bytes(b"junk")
    assert registry.list_versions(target) == []
    result = run_deploy(source, "latest", "--target", str(target), "--with-base")
    assert result.returncode == 0, result.stderr
    assert registry.verify_checksums(target / source.version) == []
    assert not leftover.exists()


def test_target_side_check_names_a_damaged_file(source, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(source.models_dir / source.version, copy)
    (copy / "issues_resolutions.json").chmod(0o644)
    (copy / "issues_resolutions.json").write_text("[]")
    expected = registry.read_manifest(copy).files
    assert LocalTarget(tmp_path).checksum_problems("copy", expected) == ["issues_resolutions.json: sha256 mismatch"]


def test_missing_rsync_is_a_clear_error(source, tmp_path):
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    (no_tools / "python").symlink_to(Path(sys.executable))
    result = run_deploy(source, "latest", "--target", str(tmp_path / "vm2"), env={"PATH": str(no_tools)})
    assert result.returncode == 2
    assert "rsync is not installed" in result.stderr
