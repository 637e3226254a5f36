"""Settings of the submission service (VM1)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from resolver_core.settings.common import CommonSettings, ConfigError, parse_named_keys


class SubmissionSettings(CommonSettings):
    """Submission service (VM1, port 5001)."""

    submission_api_keys: SecretStr = Field(
        SecretStr(""), description="Who may submit: comma-separated name:key pairs, e.g. alice:KEY1,bob:KEY2."
    )
    submission_admin_keys: SecretStr = Field(
        SecretStr(""), description="Who may delete or re-status pairs: name:key pairs (admins may also submit)."
    )
    submission_port: int = Field(5001, description="Port of the submission API.")
    submission_min_length: int = Field(5, ge=1, description="Shortest accepted issue/resolution, in characters.")
    submission_max_length: int = Field(200, ge=1, description="Longest accepted issue/resolution, in characters.")
    submission_max_log_excerpt: int = Field(
        4000, ge=1, description="Longest accepted log excerpt of a pair (the log lines that identify its failure)."
    )
    submission_max_body_bytes: int = Field(65536, ge=1024, description="Larger request bodies get 413.")
    submission_default_status: Literal["approved", "pending"] = Field(
        "approved", description="Status of a new pair: approved (trainable) or pending (awaits review)."
    )

    vm2_url: str = Field("", description="VM2's inference API (e.g. http://vm2:5000), where feedback is collected.")
    vm2_feedback_key: SecretStr = Field(
        SecretStr(""), description="A key of VM2's FEEDBACK_EXPORT_KEYS (the key alone, not name:key)."
    )
    feedback_collect_interval_s: float = Field(
        0.0,
        ge=0,
        description="Collect feedback from VM2 every this many seconds inside the service; 0 = only "
        "`make collect-feedback`.",
    )

    def submitter_keys(self) -> dict[str, str]:
        return parse_named_keys(self.submission_api_keys.get_secret_value(), "SUBMISSION_API_KEYS")

    def admin_keys(self) -> dict[str, str]:
        return parse_named_keys(self.submission_admin_keys.get_secret_value(), "SUBMISSION_ADMIN_KEYS")

    def require_keys(self) -> None:
        if not self.submitter_keys() and not self.admin_keys():
            raise ConfigError(
                "no API key configured: set SUBMISSION_API_KEYS=name:key (e.g. in .env); generate a key with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
