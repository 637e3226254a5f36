"""make deploy over ssh, for real: rsync -e ssh to an sshd on 127.0.0.1, checksums verified on the far side."""

from __future__ import annotations

import json

from deploy.targets import SshTarget
from resolver_core import registry
from tests.deploy.conftest import BASE_ID, run_deploy
from tests.servers import free_port


def test_deploy_over_ssh_with_base(source, sshd, tmp_path):
    remote = tmp_path / "srv" / "ci-resolver" / "models"
    target = f"{sshd.user}@127.0.0.1:{remote}"
    result = run_deploy(source, "latest", "--target", target, "--with-base", env={"DEPLOY_SSH_OPTIONS": sshd.options})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["status"] == "deployed" and report["base"] == "copied"
    assert registry.verify_checksums(remote / source.version) == []
    assert registry.read_alias(remote, "latest") == source.version
    assert (remote / "base" / BASE_ID / "config.json").is_file()
    assert not list(remote.rglob(".incoming*"))
    again = run_deploy(source, "latest", "--target", target, "--ssh-options", sshd.options)
    assert json.loads(again.stdout.strip().splitlines()[-1])["status"] == "already deployed"


def test_remote_checksum_check_names_a_damaged_file(source, sshd, tmp_path):
    remote = tmp_path / "remote"
    run = run_deploy(source, "latest", "--target", f"127.0.0.1:{remote}", "--with-base", "--ssh-options", sshd.options)
    assert run.returncode == 0, run.stderr
    damaged = remote / source.version / "adapter_model.safetensors"
    damaged.chmod(0o644)
    damaged.write_bytes(b"bit rot")
    target = SshTarget("127.0.0.1", str(remote), sshd.options.split())
    expected = registry.read_manifest(remote / source.version).files
    assert target.checksum_problems(source.version, expected) == ["adapter_model.safetensors: sha256 mismatch"]


def test_unreachable_target_is_a_clear_error(source, tmp_path):
    closed = free_port()
    result = run_deploy(
        source, "latest", "--target", f"nobody@127.0.0.1:{tmp_path}/models", "--ssh-options", f"-p {closed}"
    )
    assert result.returncode == 2
    assert "cannot reach nobody@127.0.0.1 over ssh" in result.stderr
    assert "DEPLOY_SSH_OPTIONS" in result.stderr
