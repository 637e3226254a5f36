"""CI job logs: find the failure in a whole log, deterministically and without a model (pure Python).

`extract` cleans the log and lists candidate failure blocks; `signature` quotes the chosen ones, redacted;
`fingerprint` names a failure across runs; `redact` removes secrets from any text kept or shown.
"""

from joblog.blocks import Block
from joblog.cleaning import LogLine, looks_binary
from joblog.extraction import (
    Extraction,
    LogLimits,
    clean_excerpt,
    extract,
    fingerprint,
    headline,
    printed_text,
    question_of,
    signature,
)
from joblog.redaction import redact

__all__ = [
    "Block",
    "Extraction",
    "LogLimits",
    "LogLine",
    "clean_excerpt",
    "extract",
    "fingerprint",
    "headline",
    "looks_binary",
    "printed_text",
    "question_of",
    "redact",
    "signature",
]
