"""The evidence behind an answer: the known pairs nearest to the question (TF-IDF, plus sentence embeddings).

Each pair is indexed by its issue *and* its resolution: a question phrased in other words still tends to name the
tool or the fix. The TF-IDF half (resolver_core/tfidf.py) catches shared terms and identifiers (`ERESOLVE`, `go.sum`,
`OutOfMemoryError`); its score is in [0, 1].

"hybrid" retrieval adds the cosine of sentence embeddings (resolver_core/embeddings.py): score = 0.7 × embedding
cosine + 0.3 × TF-IDF score, the weight chosen on the shipped reworded questions. "hybrid_issue" (the default) also
embeds each pair's issue alone, and the embedding cosine is the higher of the question's cosine to the issue and to
issue + resolution: a question is usually a reworded issue, and the resolution's words pull a pair's vector away
from it; the top score then tells questions with a known pair from those without one better. The kind is recorded
in each version's manifest and followed by serving. bench/retrieval.py measures every kind; the figures and the
variants tried are in docs/decisions/grounded-answers.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from resolver_core.embeddings import SentenceEmbedder
from resolver_core.manifest import Manifest
from resolver_core.tfidf import LeftOutTfidf, mean_cosines, tfidf_vectorizer
from resolver_core.wording import PairWording, words_of

TFIDF, HYBRID, HYBRID_ISSUE = "tfidf", "hybrid", "hybrid_issue"
EMBEDDED_KINDS = (HYBRID, HYBRID_ISSUE)
EMBEDDING_WEIGHT = 0.7


@dataclass(frozen=True)
class Similar:
    issue: str
    resolution: str
    score: float
    id: int  # the pair's id in the store (its position in the snapshot when the ids are not known)


def indexed_text(pair: dict[str, Any]) -> str:
    """What a pair is found by: its issue, its resolution, and the log lines that identify its failure if any."""
    return " ".join(filter(None, (pair["issue"], pair["resolution"], pair.get("log_excerpt"))))


class SimilarPairs:
    """Nearest known pairs to a question, from a version's dataset snapshot."""

    def __init__(
        self,
        pairs: list[dict[str, Any]],
        ids: list[int] | None = None,
        embedder: SentenceEmbedder | None = None,
        issue_alone: bool = False,
    ) -> None:
        """`embedder`: hybrid retrieval (TF-IDF and sentence embeddings); None: TF-IDF alone. `issue_alone`: also
        embed each issue alone ("hybrid_issue")."""
        self.pairs = [
            {"issue": p["issue"], "resolution": p["resolution"], "log_excerpt": p.get("log_excerpt")} for p in pairs
        ]
        self.ids = list(ids) if ids is not None else [p.get("id", i + 1) for i, p in enumerate(pairs)]
        if len(self.ids) != len(self.pairs):
            raise ValueError(f"{len(self.ids)} ids for {len(self.pairs)} pairs")
        self._vectorizer = tfidf_vectorizer() if self.pairs else None
        texts = [indexed_text(p) for p in self.pairs]
        self._matrix = self._vectorizer.fit_transform(texts) if self._vectorizer else None
        self._embedder = embedder
        self._embeddings = embedder.encode(texts) if embedder and texts else None
        self._issue_embeddings = None
        if embedder and texts and issue_alone:
            self._issue_embeddings = embedder.encode([p["issue"] for p in self.pairs])

    @property
    def kind(self) -> str:
        if self._embedder is None:
            return TFIDF
        return HYBRID_ISSUE if self._issue_embeddings is not None else HYBRID

    def __len__(self) -> int:
        return len(self.pairs)

    def pair(self, pair_id: int) -> dict[str, Any] | None:
        """The known pair with this id, if the version holds it."""
        position = self._positions.get(pair_id)
        return None if position is None else self.pairs[position]

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {pair_id: position for position, pair_id in enumerate(self.ids)}

    @cached_property
    def wording(self) -> PairWording:
        """The pairs' words as a log prints them: each issue with its log excerpt."""
        return PairWording([" ".join(filter(None, (p["issue"], p.get("log_excerpt")))) for p in self.pairs])

    def quoted_first(self, similar: list[Similar], printed: str, bonus: float, depth: int) -> list[Similar]:
        """`similar` (best first) with `bonus` added to the score of each of its first `depth` pairs whose wording
        `printed` (a log's failure lines) quotes (resolver_core.wording), at most 1; best first again, a quoted pair
        before an unquoted one of the same score."""
        printed_words = words_of(printed)
        quoted = [
            position < depth and self.wording.quotes(printed_words, self._positions[s.id])
            for position, s in enumerate(similar)
        ]
        boosted = [
            (replace(s, score=round(min(1.0, s.score + bonus), 4)) if lifted else s, lifted)
            for s, lifted in zip(similar, quoted, strict=True)
        ]
        return [s for s, _ in sorted(boosted, key=lambda item: (-item[0].score, not item[1]))]

    def search(self, question: str, k: int, exclude: frozenset[int] = frozenset()) -> list[Similar]:
        """Up to k pairs with a positive score, best first, leaving out the pairs whose id is in `exclude`."""
        if not self.pairs or k <= 0 or self._vectorizer is None:
            return []
        tfidf = mean_cosines(self._matrix, self._vectorizer.transform([question]))
        vector = self._embedder.encode([question])[0] if self._embeddings is not None else None
        rows = np.arange(len(self.pairs))
        return self._ranked(rows, self._combined(rows, tfidf, vector), k, exclude)

    def search_many(self, questions: Sequence[str], k: int) -> list[list[Similar]]:
        """`search` for several questions at once (one TF-IDF product, one embedding batch), each best first."""
        if not self.pairs or k <= 0 or self._vectorizer is None or not questions:
            return [[] for _ in questions]
        tfidf = np.asarray((self._matrix @ self._vectorizer.transform(list(questions)).T).todense()) / 2.0
        vectors = self._embedder.encode(list(questions)) if self._embeddings is not None else None
        rows = np.arange(len(self.pairs))
        found = []
        for column in range(len(questions)):
            vector = vectors[column] if vectors is not None else None
            found.append(self._ranked(rows, self._combined(rows, tfidf[:, column], vector), k, frozenset()))
        return found

    def search_left_out(self, positions: Sequence[int], k: int) -> list[list[Similar]]:
        """Each listed pair's issue searched among the *other* pairs, as if that pair had never been submitted
        (leave-one-out: a question about a failure the index does not know). The TF-IDF is the one a refit without
        the pair would give — its own rare words would otherwise stay in the vocabulary and dilute the question's
        vector, which a new question's unseen words do not — and the embeddings are reused."""
        if k <= 0 or len(self.pairs) < 2:
            return [[] for _ in positions]
        texts = [indexed_text(p) for p in self.pairs]
        left_out_tfidf = LeftOutTfidf(self._vectorizer, texts)
        issues = [self.pairs[i]["issue"] for i in positions]
        vectors = self._issue_vectors(positions, issues)
        found = []
        for number, position in enumerate(positions):
            rows = np.delete(np.arange(len(self.pairs)), position)
            tfidf = left_out_tfidf.scores(position, issues[number])
            vector = vectors[number] if vectors is not None else None
            found.append(self._ranked(rows, self._combined(rows, tfidf, vector), k, frozenset()))
        return found

    def _issue_vectors(self, positions: Sequence[int], issues: list[str]) -> np.ndarray | None:
        if self._embedder is None or self._embeddings is None:
            return None
        if self._issue_embeddings is not None:
            return self._issue_embeddings[list(positions)]
        return self._embedder.encode(issues)

    def _combined(self, rows: np.ndarray, tfidf: np.ndarray, vector: np.ndarray | None) -> np.ndarray:
        """The scores of pairs `rows` from their TF-IDF cosines and, with embeddings, the question's vector."""
        if vector is None or self._embeddings is None:
            return tfidf
        cosine = self._embeddings[rows] @ vector
        if self._issue_embeddings is not None:
            cosine = np.maximum(cosine, self._issue_embeddings[rows] @ vector)
        cosine = np.clip(cosine, 0.0, 1.0)
        return EMBEDDING_WEIGHT * cosine + (1 - EMBEDDING_WEIGHT) * tfidf

    def _ranked(self, rows: np.ndarray, scores: np.ndarray, k: int, exclude: frozenset[int]) -> list[Similar]:
        """The best k of pairs `rows` by `scores` (aligned with rows), positive scores only, ids in `exclude` left
        out."""
        best_first = (j for j in np.argsort(-scores, kind="stable") if scores[j] > 0)
        kept = (j for j in best_first if self.ids[rows[j]] not in exclude)
        return [self._similar(int(rows[j]), float(scores[j])) for _, j in zip(range(k), kept, strict=False)]

    def _similar(self, index: int, score: float) -> Similar:
        pair = self.pairs[index]
        return Similar(pair["issue"], pair["resolution"], round(score, 4), self.ids[index])


def index_of_kind(
    pairs: list[dict[str, Any]], ids: list[int] | None, kind: str, embedder: SentenceEmbedder | None = None
) -> SimilarPairs:
    """Pairs searched by retrieval `kind` (TFIDF, HYBRID or HYBRID_ISSUE; the embedded kinds need `embedder`)."""
    if kind in EMBEDDED_KINDS and embedder is None:
        raise ValueError(f"{kind} retrieval needs the sentence embedder")
    return SimilarPairs(pairs, ids, embedder if kind in EMBEDDED_KINDS else None, kind == HYBRID_ISSUE)


def evidence_index(
    pairs: list[dict[str, Any]], manifest: Manifest, embedder: SentenceEmbedder | None = None
) -> SimilarPairs:
    """A version's snapshot under its store ids (recorded in the manifest), searched the way the version was
    scored: with embeddings when its manifest says so (then `embedder` is required), else TF-IDF."""
    return index_of_kind(pairs, manifest.dataset.pair_ids or None, manifest.grounding.retrieval, embedder)
