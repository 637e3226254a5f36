"""Validation of issue/resolution text, shared by the submission and inference services."""

from __future__ import annotations

import hashlib
import re
import unicodedata

ALLOWED_CONTROL = {"\n", "\t"}
LETTER = re.compile(r"[^\W\d_]")  # the OpenAPI specs declare the same pattern


class FieldError(ValueError):
    """Invalid input, naming the field and what is wrong with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def clean_text(value: object, field: str, min_length: int, max_length: int) -> str:
    """Return the trimmed text or raise FieldError naming the field and what is wrong."""
    if not isinstance(value, str):
        raise FieldError(field, f"must be a string, got {type(value).__name__}")
    if len(value) > max_length:  # before trimming too: the specs' maxLength counts what is sent
        raise FieldError(field, f"must be at most {max_length} characters (got {len(value)})")
    text = value.strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROL for ch in text):
        raise FieldError(field, "contains control characters (only newline and tab are allowed)")
    if len(text) < min_length:
        raise FieldError(field, f"must be at least {min_length} characters after trimming (got {len(text)})")
    if not LETTER.search(text):
        raise FieldError(field, "must contain letters")
    if len(set(text.replace(" ", ""))) == 1:
        raise FieldError(field, "is a single repeated character")
    return text


def normalize(text: str) -> str:
    """Case- and whitespace-insensitive form used to detect duplicates."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def clean_pair(issue: object, resolution: object, min_length: int, max_length: int) -> tuple[str, str]:
    clean_issue = clean_text(issue, "issue", min_length, max_length)
    clean_resolution = clean_text(resolution, "resolution", min_length, max_length)
    if normalize(clean_issue) == normalize(clean_resolution):
        raise FieldError("resolution", "must differ from the issue")
    return clean_issue, clean_resolution


def pair_fingerprint(issue: str, resolution: str) -> str:
    return hashlib.sha256(f"{normalize(issue)}\x00{normalize(resolution)}".encode()).hexdigest()
