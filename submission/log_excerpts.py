"""A pair's optional log excerpt: the log lines that identify its failure, kept clean and without secrets."""

from __future__ import annotations

from joblog import clean_excerpt
from resolver_core.validation import FieldError


def checked_excerpt(value: object, max_chars: int, field: str = "log_excerpt") -> str | None:
    """The excerpt as stored (terminal codes, CI prefixes and blank lines removed, secrets redacted); None when
    absent; FieldError naming `field` when it is not text, too long, or empty once cleaned."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(field, f"must be a string, got {type(value).__name__}")
    if len(value) > max_chars:
        raise FieldError(
            field, f"must be at most {max_chars} characters (got {len(value)}; SUBMISSION_MAX_LOG_EXCERPT)"
        )
    excerpt = clean_excerpt(value)
    if not excerpt.strip():
        raise FieldError(field, "has no log line once terminal codes and blank lines are removed")
    return excerpt
