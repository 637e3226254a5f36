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
        ("pypi-token", r"\bpypi-[A-Za-z0-9_-]{50,}"),
        ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
        ("stripe-key", r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("openai-key", r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}"),
        ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("bearer", r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/-]{16,}=*"),
        ("basic-auth", r"(?i)(?<=\bbasic )[A-Za-z0-9+/]{12,}=*"),
        ("azure-key", r"(?i)(?<=AccountKey=)[^;\s]+|(?<=SharedAccessKey=)[^;\s]+"),
        ("url-password", r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
        # A PEM body line alone on its line: long base64 with upper case and digits (not a path, not a git hash).
        ("key-material", r"(?m)^\s*(?=\S*[A-Z])(?=\S*\d)[A-Za-z0-9+/]{60,}={0,2}\s*$"),
    )
)
PEM_BEGIN = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
PEM_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY-----")
ASSIGNMENT = re.compile(
    r"(?i)(?<![\w./-])([\"']?)([\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|"
    r"private[_-]?key|credentials?))([\"']?)(\s*[:=]\s*|\s+)([\"']?)([^\s\"',;]{4,})\5"
)
LOGIN = re.compile(r"(?i)\blogin\b")
CLI_PASSWORD = re.compile(r"(?<=\s)(-p|--password)([ =])(?!\[REDACTED)\S+")


def redact_lines(lines: list[str]) -> list[str]:
    """Each line redacted, and every line of a private-key block (BEGIN … END) replaced whole: a key's lines are
    quoted one by one, so its last short line would not look like key material alone."""
    redacted, inside = [], False
    for line in lines:
        starts = PEM_BEGIN.search(line) is not None
        if inside or starts:
            redacted.append("[REDACTED:private-key]")
            inside = (inside or starts) and PEM_END.search(line) is None
            continue
        redacted.append(redact(line))
    return redacted


def redact(text: str) -> str:
    """The text with every secret it holds replaced by `[REDACTED:<kind>]`."""
    for name, pattern in SECRET_SHAPES:
        text = pattern.sub(f"[REDACTED:{name}]", text)
    if LOGIN.search(text):  # docker login -p …, helm registry login --password …
        text = CLI_PASSWORD.sub(r"\1\2[REDACTED:cli-password]", text)
    return ASSIGNMENT.sub(_masked_assignment, text)


def _masked_assignment(match: re.Match[str]) -> str:
    open_name, name, close_name, separator, quote, value = match.groups()
    if value.startswith("[REDACTED:") or (separator.isspace() and not _looks_secret(value)):
        return match.group(0)
    return f"{open_name}{name}{close_name}{separator}{quote}[REDACTED:value]{quote}"


def _looks_secret(value: str) -> bool:
    """After a bare space ("token abc123…") only a long mixed value is taken for a secret, not a word."""
    return len(value) >= 16 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
