"""Drafts for retrieval-based speculative decoding: where a known resolution says the answer goes next."""

from __future__ import annotations

DRAFT_SOURCES = 3  # nearest known resolutions offered to the engine as drafts (VM2 and the trainer's scoring)


def propose_draft(generated: list[int], candidates: list[list[int]], limit: int) -> list[int]:
    """The continuation, in the best candidate, of the longest tail (3 or 2 tokens) of what was generated; a lone
    token only matches a candidate's first token (a one-token match mid-text is mostly a common word: wasted rows)."""
    if limit <= 0:
        return []
    for size in (3, 2, 1):
        if len(generated) < size:
            continue
        tail = generated[-size:]
        for candidate in candidates:
            starts = range(len(candidate) - size) if size > 1 else range(min(1, len(candidate) - 1))
            for start in starts:
                if candidate[start : start + size] == tail:
                    return candidate[start + size : start + size + limit]
    return []
