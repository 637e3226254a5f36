"""`make test` installs the system tools it uses before any test needs them, or names them at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.servers import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "system-tools.sh"


def test_every_tool_the_suite_uses_is_installed():
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    assert all(shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}") for tool in ("rsync", "ssh", "sshd"))


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root to run as another user")
def test_a_user_without_root_gets_one_message_naming_the_packages():
    with tempfile.TemporaryDirectory() as folder:  # outside pytest's root-only temp folder: `nobody` reads it
        bare = Path(folder)  # a PATH with the shell's helpers and the script, but none of the tools
        bare.chmod(0o755)
        for helper in ("bash", "id", "sort"):
            (bare / helper).symlink_to(shutil.which(helper))
        shutil.copy(SCRIPT, bare / "system-tools.sh")
        command = [shutil.which("runuser"), "-u", "nobody", "--", str(bare / "bash"), str(bare / "system-tools.sh")]
        result = subprocess.run(
            [*command, "rsync", "curl"], capture_output=True, text=True, timeout=60, env={"PATH": str(bare)}
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "missing system packages: curl rsync — install them (e.g. sudo apt-get install -y curl rsync) and run again"
    ]
