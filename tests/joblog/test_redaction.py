"""No secret survives redaction, and ordinary text is left alone."""

from __future__ import annotations

import pytest

from joblog.redaction import redact, redact_lines

PLANTED = {
    "github-token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "gitlab-token": "glpat-" + "xY9_zA8-bC7dE6fG5hI4",
    "slack-token": "xoxb-" + "123456789012-abcdefABCDEF",
    "aws-access-key": "AKIA" + "IOSFODNN7EXAMPLE",
    "jwt": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "pypi-token": "pypi-" + "AgEIcHlwaS5vcmc" * 4,
    "huggingface-token": "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
    "stripe-key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "openai-key": "sk-proj-" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "google-api-key": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
}


@pytest.mark.parametrize(("kind", "secret"), PLANTED.items())
def test_well_known_token_shapes_are_replaced_by_their_kind(kind: str, secret: str) -> None:
    redacted = redact(f"curl -H 'X-Token: {secret}' https://api.example.com failed")
    assert secret not in redacted
    assert f"[REDACTED:{kind}]" in redacted or "[REDACTED:value]" in redacted


def test_assignments_urls_and_key_blocks_lose_their_values() -> None:
    text = (
        "export DB_PASSWORD=hunter2hunter2\n"
        'api_key: "s3cr3t-v4lue"\n'
        "git clone https://deploy:Sup3rS3cret@git.example.com/repo.git\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98c1ZkQ9Xo3TjQm7k1Qx2b8cHhR0dXy8w9uG2pLm4nB6vS0t\n"
        "-----END RSA PRIVATE KEY-----"
    )
    redacted = redact(text)
    for secret in ("hunter2hunter2", "s3cr3t-v4lue", "Sup3rS3cret", "MIIEowIBAAKCAQEA"):
        assert secret not in redacted


def test_json_keys_cli_passwords_basic_auth_and_connection_strings_lose_their_values() -> None:
    text = (
        '{"password": "hunter22xyz"}\n'
        "docker login -u ci -p S3cr3tPassw0rd registry.example.com\n"
        "Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==\n"
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abcDEF123+/==;EndpointSuffix=core.windows.net"
    )
    redacted = redact(text)
    for secret in ("hunter22xyz", "S3cr3tPassw0rd", "dXNlcjpwYXNzd29yZDEyMw", "abcDEF123"):
        assert secret not in redacted
    assert "registry.example.com" in redacted and '"password"' in redacted


def test_every_line_of_a_private_key_block_is_replaced_when_lines_are_quoted_one_by_one() -> None:
    key = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7bq98c1Zk", "Q9Xo3T==", "-----END RSA PRIVATE KEY-----"]
    lines = ["ok", *key, "next"]
    assert redact_lines(lines) == ["ok", *["[REDACTED:private-key]"] * 4, "next"]


@pytest.mark.parametrize(
    "text",
    [
        "/builds/group/subgroup/project/target/classes/main/java/com/acme/service/ServiceTest",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "ERROR 2059 (HY000): Authentication plugin 'caching_sha2_password' cannot be loaded: cannot open shared object",
        "unable to create file SecretSharingLib/SecretSharingLib.csproj: Filename too long",
        "npm ERR! code ERESOLVE",
        "Token expired, please log in again",
    ],
)
def test_ordinary_log_lines_are_left_alone(text: str) -> None:
    assert redact(text) == text
