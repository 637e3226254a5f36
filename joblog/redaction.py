"""Secrets out of log text before it is kept or shown: tokens by their well-known shapes, and the values of
`password=`-style assignments. What is replaced says what it was (`[REDACTED:github-token]`), never its value."""

from __future__ import annotations

import re

SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
        ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
        ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("aws-access-key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
        ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("bearer", r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,}=*"),
        ("url-password", r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
        ("key-material", r"(?m)^\s*[A-Za-z0-9+/]{40,}={0,2}\s*$"),  # a PEM body line, alone on its line
    )
)
ASSIGNMENT = re.compile(
    r"(?i)(?<![\w./-])([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"credentials?))(\s*[:=]\s*|\s+)([\"']?)([^\s\"',;]{4,})\3"
)


def redact(text: str) -> str:
    """The text with every secret it holds replaced by `[REDACTED:<kind>]`."""
    for name, pattern in SECRET_SHAPES:
        text = pattern.sub(f"[REDACTED:{name}]", text)
    return ASSIGNMENT.sub(_masked_assignment, text)


def _masked_assignment(match: re.Match[str]) -> str:
    name, separator, quote, value = match.groups()
    if value.startswith("[REDACTED:") or (separator.isspace() and not _looks_secret(value)):
        return match.group(0)
    return f"{name}{separator}{quote}[REDACTED:value]{quote}"


def _looks_secret(value: str) -> bool:
    """After a bare space ("token abc123…") only a long mixed value is taken for a secret, not a word."""
    return len(value) >= 16 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
