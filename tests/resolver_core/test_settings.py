"""Configuration: .env.example documents every variable; keys are required and never placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from resolver_core.settings import (
    ALL_SETTINGS,
    ConfigError,
    SubmissionSettings,
    all_env_vars,
    parse_named_keys,
    render_env_example,
)
from tests.servers import REPO_ROOT, service_env


def test_settings_descriptions_carry_no_dates_or_measured_figures() -> None:
    """Descriptions reach --help and .env.example, where a measured figure goes stale: figures live in docs/."""
    stale = re.compile(r"\b20\d\d-\d\d-\d\d\b|\d\s*%|\bmeasured\b|\b\d+\.\d{2,}\b|\d+(\.\d+)?x\b", re.IGNORECASE)
    for settings in ALL_SETTINGS:
        for name, field in settings.model_fields.items():
            assert not stale.search(field.description or ""), f"{name.upper()}: {field.description}"


def test_env_example_is_generated_from_the_settings_and_up_to_date() -> None:
    committed = (REPO_ROOT / ".env.example").read_text()
    assert committed == render_env_example(), "run `make env-example`"
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", committed, flags=re.M))
    assert all_env_vars() <= documented
    for name in ("DATA_DIR", "MODELS_DIR", "BASE_MODEL_PATH", "SUBMISSION_API_KEYS", "MODEL_VERSION", "DEPLOY_TARGET"):
        assert name in documented


def test_named_keys_parse_and_placeholders_are_refused() -> None:
    assert parse_named_keys("alice:0123456789abcdefXYZ, bob:zyxwvutsrqponmlkj", "V") == {
        "0123456789abcdefXYZ": "alice",
        "zyxwvutsrqponmlkj": "bob",
    }
    for bad in ("alice", "alice:short", ":0123456789abcdefXYZ", "alice:your_secret_api_key_here"):
        with pytest.raises(ConfigError, match="V"):
            parse_named_keys(bad, "V")


def test_submission_settings_without_keys_refuse(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SUBMISSION_API_KEYS"):
        SubmissionSettings(_env_file=None, data_dir=tmp_path).require_keys()


def test_server_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "submission", "serve", "--port", "1"],
        env=service_env({"DATA_DIR": str(tmp_path)}),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SUBMISSION_API_KEYS" in result.stderr and "secrets.token_urlsafe" in result.stderr


@pytest.mark.parametrize("module", ["submission"])
def test_every_cli_has_help(module: str) -> None:
    result = subprocess.run([sys.executable, "-m", module, "--help"], env=service_env({}), capture_output=True)
    assert result.returncode == 0 and b"usage" in result.stdout.lower(), result.stderr
