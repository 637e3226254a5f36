"""Hybrid retrieval (sentence embeddings + TF-IDF) finds reworded questions' pairs better than TF-IDF alone; embedding
issues alone too tells questions with a known pair from the others better."""

from __future__ import annotations

import json

from resolver_core.embeddings import embedded_embedder
from resolver_core.grounding import calibrate_threshold, closeness_of
from resolver_core.manifest import Manifest
from resolver_core.retrieval import HYBRID, HYBRID_ISSUE, TFIDF, SimilarPairs, evidence_index
from tests.servers import REPO_ROOT


def _hit_at_1(index: SimilarPairs, questions: list[dict]) -> float:
    return sum(index.search(q["query"], 1)[0].id == q["issue_index"] for q in questions) / len(questions)


def test_hybrid_beats_tfidf_on_the_shipped_reworded_questions():
    pairs = json.loads((REPO_ROOT / "samples" / "ci_pairs.json").read_text())
    questions = json.loads((REPO_ROOT / "samples" / "paraphrases.json").read_text())
    known = [q for q in questions if q.get("issue_index") is not None]
    ids = list(range(len(pairs)))
    tfidf, hybrid = SimilarPairs(pairs, ids), SimilarPairs(pairs, ids, embedded_embedder())
    assert (tfidf.kind, hybrid.kind) == (TFIDF, HYBRID)
    tfidf_hits, hybrid_hits = _hit_at_1(tfidf, known), _hit_at_1(hybrid, known)
    assert hybrid_hits >= 0.93 and hybrid_hits > tfidf_hits + 0.1, (hybrid_hits, tfidf_hits)
    scores = [s.score for s in hybrid.search(known[0]["query"], 5)]
    assert all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True)


def _recognised(index: SimilarPairs, questions: list[dict]) -> float:
    """Share of known questions called close when the threshold keeps 80% of the unknown ones below it."""
    closeness = [closeness_of(index.search(q["query"], 10), "top_and_margin") for q in questions]
    known = [c for c, q in zip(closeness, questions, strict=True) if q.get("issue_index") is not None]
    unknown = [c for c, q in zip(closeness, questions, strict=True) if q.get("issue_index") is None]
    threshold = calibrate_threshold(known, unknown, 0.8)
    return sum(s >= threshold for s in known) / len(known)


def test_embedding_issues_alone_tells_known_questions_apart_better_at_the_same_hit_at_1():
    pairs = json.loads((REPO_ROOT / "samples" / "ci_pairs.json").read_text())
    questions = json.loads((REPO_ROOT / "samples" / "paraphrases.json").read_text())
    ids = list(range(len(pairs)))
    hybrid = SimilarPairs(pairs, ids, embedded_embedder())
    issue = SimilarPairs(pairs, ids, embedded_embedder(), issue_alone=True)
    assert issue.kind == HYBRID_ISSUE
    known = [q for q in questions if q.get("issue_index") is not None]
    assert _hit_at_1(issue, known) >= _hit_at_1(hybrid, known)
    assert _recognised(issue, questions) > _recognised(hybrid, questions) + 0.05


def test_a_version_is_searched_the_way_it_was_scored():
    pairs = [{"issue": "Docker push denied", "resolution": "Log in to the registry first"}]
    hybrid = Manifest.model_validate({"version": "20261202T000000Z", "grounding": {"retrieval": "hybrid"}})
    before_hybrid = Manifest.model_validate({"version": "20261126T000000Z", "grounding": {}})
    assert evidence_index(pairs, hybrid, embedded_embedder()).kind == HYBRID
    issue = Manifest.model_validate({"version": "20261203T000000Z", "grounding": {"retrieval": "hybrid_issue"}})
    assert evidence_index(pairs, issue, embedded_embedder()).kind == HYBRID_ISSUE
    assert evidence_index(pairs, before_hybrid, embedded_embedder()).kind == TFIDF


def test_a_pairs_log_excerpt_is_searched_with_its_issue() -> None:
    pairs = [
        {"issue": "Release job cannot publish", "resolution": "Rotate the registry token"},
        {
            "issue": "Release job cannot publish",
            "resolution": "Rotate the registry token in the vault",
            "log_excerpt": "npm ERR! code E401\nnpm ERR! Unable to authenticate, need: Basic realm=GitHub",
        },
    ]
    found = SimilarPairs(pairs).search("npm ERR! code E401 Unable to authenticate", 2)
    assert found[0].id == 2 and found[0].score > found[1].score
