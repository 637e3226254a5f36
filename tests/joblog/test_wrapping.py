"""The made job logs the project measures itself on: deterministic, and their failures are found."""

from __future__ import annotations

import gzip
import json

from joblog import extract, redact, signature
from joblog.wrapping import decisive_line, wrap_excerpt
from tests.servers import REPO_ROOT

EXCERPTS = json.loads((REPO_ROOT / "samples" / "log_excerpts.json").read_text())


def test_wrapping_is_deterministic_and_sized() -> None:
    first = wrap_excerpt("npm ERR! code E401", "npm", seed=3, size_bytes=50_000, gzipped=True)
    again = wrap_excerpt("npm ERR! code E401", "npm", seed=3, size_bytes=50_000, gzipped=True)
    assert first == again
    text = gzip.decompress(first.data).decode()
    assert 40_000 < len(text) < 60_000
    assert text.split("\n")[first.excerpt_first_line - 1].endswith("npm ERR! code E401")


def test_each_shipped_excerpt_is_found_in_its_wrapped_log() -> None:
    """Signature recall on the shipped excerpts (the bench measures it on bigger logs too)."""
    found = 0
    for number, excerpt in enumerate(EXCERPTS):
        wrapped = wrap_excerpt(excerpt["excerpt"], excerpt["ecosystem"], number, 20_000 + 1000 * number)
        extraction = extract(wrapped.data)
        quoted = signature(extraction.candidates, extraction.candidates[0]) if extraction.candidates else []
        wanted = redact(decisive_line(excerpt["excerpt"], excerpt["issue"]))
        found += any(wanted in line.text for block in quoted for line in block.lines)
    assert found / len(EXCERPTS) >= 0.95


def test_every_excerpt_names_its_public_source() -> None:
    assert len(EXCERPTS) == 100
    assert all(e["source"].startswith("https://") and e["origin"] in ("quoted", "tool-format") for e in EXCERPTS)
