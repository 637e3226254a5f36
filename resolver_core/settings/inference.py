"""Settings of the inference service (VM2)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from resolver_core.settings.common import CommonSettings, parse_named_keys


class InferenceSettings(CommonSettings):
    """Inference service (VM2, port 5000)."""

    model_version: str = Field("latest", description="Version (or alias: latest, promoted) served by inference.")
    inference_port: int = Field(5000, description="Port of the inference API.")
    resolve_api_keys: SecretStr = Field(
        SecretStr(""), description="Optional name:key pairs; when set, /resolve, /v1 and /feedback need a key."
    )
    inference_admin_keys: SecretStr = Field(
        SecretStr(""), description="name:key pairs allowed to hot-reload another version (POST /admin/reload)."
    )
    inference_engine: Literal["auto", "llamacpp", "torch"] = Field(
        "auto",
        description="What decodes generated answers: llamacpp = llama.cpp over the version's GGUF (model.gguf), "
        "torch = the torch decoder over the merged weights; both batch concurrent requests where that leaves every "
        "answer unchanged. auto = llamacpp when llama-cpp-python is installed and the version has a GGUF, else "
        "torch; a version without a GGUF, or a machine without llama-cpp-python, is served by torch with a warning.",
    )
    inference_max_batch: int = Field(8, ge=1, description="Concurrent requests generated together as one batch.")
    inference_queue_size: int = Field(64, ge=1, description="Waiting requests beyond this get 503.")
    inference_request_timeout_s: float = Field(
        120.0, gt=0, description="A request not answered within this many seconds (queue + generation) gets 504."
    )
    inference_max_new_tokens: int = Field(96, ge=1, description="Default and upper bound of generated tokens.")
    inference_max_body_bytes: int = Field(65536, ge=1024, description="Larger request bodies get 413.")
    inference_max_log_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Largest whole job log POST /resolve/log takes, after decompression."
    )
    inference_max_log_gzip_ratio: float = Field(
        500.0, ge=10, description="A gzip body inflating beyond this ratio is refused (413) as a decompression bomb."
    )
    inference_max_log_line_chars: int = Field(
        4096, ge=80, description="Longer log lines are cut to this many characters (not refused)."
    )
    inference_max_prompt_tokens: int = Field(
        1024, ge=64, description="Longest prompt (system message + issue) in tokens; longer issues get 422."
    )
    inference_dtype: Literal["auto", "bfloat16", "float32"] = Field(
        "auto",
        description="Weights dtype; auto = bfloat16 on CPUs with AMX/AVX512-BF16 (faster there, and batch-invariant), "
        "else float32.",
    )
    inference_draft_tokens: int = Field(
        8,
        ge=0,
        description="Draft tokens checked per step from the nearest known resolutions (exact speculative "
        "decoding: answers unchanged, faster when they follow a known fix); 0 turns drafts off.",
    )
    inference_threads: int = Field(0, ge=0, description="Decoding threads (torch or llama.cpp); 0 = all cores.")
    inference_similar_k: int = Field(3, ge=0, description="Known pairs returned as evidence with each answer.")
    inference_answer_policy: Literal["version", "model", "top_known_fix"] = Field(
        "version",
        description="version = what the version's evaluation chose per band (generated answer, or the closest "
        "known fix verbatim where generated answers scored below it); model = always generate; top_known_fix = "
        "always return the closest known fix.",
    )
    inference_known_fix_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Evidence score from which a known pair counts as close (known_fix); unset = the threshold "
        "calibrated on reworded questions when the version was trained (its manifest).",
    )
    feedback_export_keys: SecretStr = Field(
        SecretStr(""),
        description="name:key pairs allowed to pull feedback (GET /feedback/export, VM1's VM2_FEEDBACK_KEY); "
        "unset = export disabled.",
    )
    feedback_retention_days: float = Field(
        30.0, gt=0, description="Answers without feedback, and feedback VM1 has collected, are kept this long."
    )
    feedback_max_answers: int = Field(
        100_000, ge=1, description="At most this many answers without feedback are kept (oldest dropped first)."
    )
    feedback_max_length: int = Field(
        200, ge=1, description="Longest accepted correction, in characters (keep it ≤ VM1's SUBMISSION_MAX_LENGTH)."
    )
    feedback_comment_max_length: int = Field(1000, ge=1, description="Longest accepted feedback comment.")
    log_questions: bool = Field(False, description="Log each question's text with its answer id (off: ids only).")
    inference_min_length: int = Field(5, ge=1, description="Shortest accepted issue, in characters.")
    inference_max_length: int = Field(2000, ge=1, description="Longest accepted issue, in characters.")

    def resolve_keys(self) -> dict[str, str]:
        return parse_named_keys(self.resolve_api_keys.get_secret_value(), "RESOLVE_API_KEYS")

    def admin_keys(self) -> dict[str, str]:
        return parse_named_keys(self.inference_admin_keys.get_secret_value(), "INFERENCE_ADMIN_KEYS")

    def export_keys(self) -> dict[str, str]:
        return parse_named_keys(self.feedback_export_keys.get_secret_value(), "FEEDBACK_EXPORT_KEYS")
