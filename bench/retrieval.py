"""Retrieval on reworded questions: hybrid_issue (the default: hybrid with each issue also embedded alone), hybrid
(sentence embeddings + TF-IDF), the TF-IDF alone (words + char 3–5-grams) and Okapi BM25, same process.

Index: samples/ci_pairs.json (issue + resolution per pair). Questions: samples/paraphrases.json — hit@1/hit@3 on
those whose pair is indexed, and how well each closeness rule (resolver_core/grounding.py: the top score, or the
top score plus its lead over the runner-up) separates them from the questions with no pair: the share of known
questions recognised when the threshold keeps 80% of the others below it, as the trainer calibrates it. BM25 here
is plain Okapi (k1 1.5, b 0.75) over word unigrams, English stop words removed, scores divided by the best
possible (the query against itself) so they sit in [0, 1] like the cosine.
`--more-pairs` adds samples/more_pairs.json to the index (their questions are not in the set): the same questions
searched among ~100 pairs, where more of them have a look-alike.
`--feedback-pairs first|second` adds, for each sample pair, one of its reworded questions as a pair of its own
(question → the pair's fix), as an accepted answer on VM2 becomes one through the feedback loop; that question
leaves the set, and a hit on the added pair counts as a hit on the pair whose fix it carries.
Usage: python bench/retrieval.py [--more-pairs] [--feedback-pairs first|second]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.embeddings import embedded_embedder  # noqa: E402
from resolver_core.grounding import calibrate_threshold, closeness_of  # noqa: E402
from resolver_core.retrieval import Similar, SimilarPairs  # noqa: E402
from resolver_core.scoring import hit_rate, known_fix_rates  # noqa: E402


class Bm25:
    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.vectorizer = CountVectorizer(stop_words="english")
        counts = self.vectorizer.fit_transform(texts).toarray().astype(float)
        lengths = counts.sum(axis=1, keepdims=True)
        frequency = (counts > 0).sum(axis=0)
        self.idf = np.log(1 + (len(texts) - frequency + 0.5) / (frequency + 0.5))
        self.weights = counts * (k1 + 1) / (counts + k1 * (1 - b + b * lengths / lengths.mean()))

    def scores(self, query: str) -> np.ndarray:
        present = (self.vectorizer.transform([query]).toarray()[0] > 0).astype(float)
        best = float((present * self.idf).sum() * 2.5) or 1.0  # k1 + 1 per matched term: the ceiling
        return (self.weights * self.idf) @ present / best


def evaluate(rank, questions: list[dict], pairs: list[dict]) -> dict[str, float]:
    known = [q for q in questions if q.get("issue_index") is not None]
    unknown = [q for q in questions if q.get("issue_index") is None]
    ranked_known = [rank(q["query"]) for q in known]  # each question ranked once, for every measure below
    ranked_unknown = [rank(q["query"]) for q in unknown]
    right = [frozenset({q["issue_index"]}) for q in known]
    orders = [order for order, _ in ranked_known]
    report = {"hit_at_1": hit_rate(orders, right, 1), "hit_at_3": hit_rate(orders, right, 3)}
    for rule in ("top", "top_and_margin"):
        report.update(held_out_rates(ranked_known + ranked_unknown, right + [frozenset()] * len(unknown), rule))
    return report


def held_out_rates(ranked: list[tuple[list[int], list]], right: list[frozenset[int]], rule: str) -> dict[str, float]:
    """Calibrated as the trainer does (at least 80% of the questions without a pair below the threshold): the share
    of questions with a pair called close on the whole set, and over 20 random halves, calibrated on one half and
    measured on the other (`held_out_*`: known questions called close, share of unknown ones told "no known fix",
    and — since a close call on the wrong pair labels a wrong fix as the team's — the known questions called close
    *on their own pair* (`right_pair_recall`) and the share of close calls that are (`precision`)). A close call
    claims the top pair (resolver_core.scoring)."""
    closeness = np.array([closeness_of(evidence, rule) for _, evidence in ranked])
    known = np.array([bool(r) for r in right])
    threshold = calibrate_threshold(list(closeness[known]), list(closeness[~known]))
    rng, halves = np.random.default_rng(0), []
    known_ids, unknown_ids = np.flatnonzero(known), np.flatnonzero(~known)
    for _ in range(20):
        fit_k, test_k = np.array_split(rng.permutation(known_ids), 2)
        fit_u, test_u = np.array_split(rng.permutation(unknown_ids), 2)
        half = calibrate_threshold(list(closeness[fit_k]), list(closeness[fit_u]))
        test = [*test_k, *test_u]
        claims = [ranked[i][0][:1] if closeness[i] >= half else [] for i in test]
        halves.append(known_fix_rates(claims, [right[i] for i in test]))
    return {
        f"{rule}_known_recall": round(float(np.mean(closeness[known] >= threshold)), 4),
        f"{rule}_held_out_known_recall": _mean_of(halves, "true_on_known"),
        f"{rule}_held_out_false_on_unknown": _mean_of(halves, "false_on_unknown"),
        f"{rule}_held_out_right_pair_recall": _mean_of(halves, "recall"),
        f"{rule}_held_out_precision": _mean_of(halves, "precision"),
    }


def _mean_of(halves: list[dict], rate: str) -> float:
    return round(float(np.mean([half[rate] or 0.0 for half in halves])), 4)


def feedback_pairs(questions: list[dict], pairs: list[dict], wording: int) -> tuple[list[dict], list[dict]]:
    """(the questions left, the ones that become pairs): each sample pair's `wording`-th question (its last if it
    has fewer)."""
    by_pair: dict[int, list[dict]] = {}
    for question in questions:
        if question.get("issue_index") is not None:
            by_pair.setdefault(question["issue_index"], []).append(question)
    added = [asked[min(wording, len(asked) - 1)] for asked in by_pair.values()]
    return [q for q in questions if not any(q is a for a in added)], added


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--more-pairs",
        action="store_true",
        help="also index samples/more_pairs.json (52 other real failures): retrieval among ~100 pairs",
    )
    parser.add_argument(
        "--feedback-pairs",
        choices=["first", "second"],
        help="add each sample pair's first (or second) reworded question as a pair with the same fix",
    )
    args = parser.parse_args()
    pairs = json.loads((REPO / "samples" / "ci_pairs.json").read_text())
    if args.more_pairs:  # appended: the questions' issue_index still points into ci_pairs.json
        pairs += json.loads((REPO / "samples" / "more_pairs.json").read_text())
    questions = json.loads((REPO / "samples" / "paraphrases.json").read_text())
    owner, without_feedback = list(range(len(pairs))), list(pairs)  # owner: the pair whose fix each one carries
    if args.feedback_pairs:
        questions, added = feedback_pairs(questions, pairs, ["first", "second"].index(args.feedback_pairs))
        pairs += [{"issue": q["query"], "resolution": pairs[q["issue_index"]]["resolution"]} for q in added]
        owner += [q["issue_index"] for q in added]
    tfidf = SimilarPairs(pairs, ids=list(range(len(pairs))))
    hybrid = SimilarPairs(pairs, ids=list(range(len(pairs))), embedder=embedded_embedder())
    hybrid_issue = SimilarPairs(pairs, ids=list(range(len(pairs))), embedder=embedded_embedder(), issue_alone=True)
    bm25 = Bm25([f"{p['issue']} {p['resolution']}" for p in pairs])

    def ranker(index: SimilarPairs):
        def rank(query: str) -> tuple[list[int], list[Similar]]:
            found = index.search(query, len(pairs))
            return [owner[s.id] for s in found] or [-1], found

        return rank

    def rank_bm25(query: str) -> tuple[list[int], list[Similar]]:
        scores = bm25.scores(query)
        order = list(np.argsort(-scores, kind="stable"))
        return [owner[i] for i in order], [Similar("", "", float(scores[i]), int(i)) for i in order[:2]]

    report = {
        "hybrid_issue": evaluate(ranker(hybrid_issue), questions, pairs),
        "hybrid": evaluate(ranker(hybrid), questions, pairs),
        "tfidf": evaluate(ranker(tfidf), questions, pairs),
        "bm25": evaluate(rank_bm25, questions, pairs),
    }
    if args.feedback_pairs:  # the same questions, without the added pairs
        ids = list(range(len(without_feedback)))
        plain = SimilarPairs(without_feedback, ids, embedded_embedder(), issue_alone=True)
        report["hybrid_issue_without_feedback"] = evaluate(ranker(plain), questions, pairs)
    flat = {f"{name}_{metric}": value for name, scores in report.items() for metric, value in scores.items()}
    ratio = report["bm25"]["hit_at_1"] / max(report["tfidf"]["hit_at_1"], 1e-9)
    hybrid_ratio = report["hybrid"]["hit_at_1"] / max(report["tfidf"]["hit_at_1"], 1e-9)
    recognised = "top_and_margin_held_out_known_recall"
    issue_ratio = report["hybrid_issue"][recognised] / max(report["hybrid"][recognised], 1e-9)
    print(
        json.dumps(
            {
                "questions": len(questions),
                "pairs": len(pairs),
                **flat,
                "bm25_vs_tfidf_hit_at_1_ratio": round(ratio, 3),
                "hybrid_vs_tfidf_hit_at_1_ratio": round(hybrid_ratio, 3),
                "hybrid_issue_vs_hybrid_held_out_known_recall_ratio": round(issue_ratio, 3),
                **cpu_report(),
                "dtype": "float32 (the sentence embedder)",
            }
        )
    )

    return 0


if __name__ == "__main__":
    sys.exit(main())
