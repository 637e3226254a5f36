"""The evidence behind an answer: the known pairs nearest to the question (TF-IDF, plus sentence embeddings).

Each pair is indexed by its issue *and* its resolution: a question phrased in other words still tends to name the
tool or the fix. Word unigrams (English stop words removed) catch shared terms; character 3–5-grams inside word
boundaries catch inflections and identifiers (`ERESOLVE`, `go.sum`, `OutOfMemoryError`). Each side is
l2-normalised; the score is the mean of the two cosines, in [0, 1]. Measured on samples/paraphrases.json (48
questions reworded to share few words with the stored issue) by bench/inference.py: word+char on issue+resolution
gave the best hit@1 of the variants tried (word 1–2-grams alone did worst).

"hybrid" retrieval (the trainer's default, recorded in each version's manifest and followed by serving) adds the
cosine of sentence embeddings (resolver_core/embeddings.py): score = 0.7 × embedding cosine + 0.3 × TF-IDF score.
Measured on the 155 known questions of samples/paraphrases.json (bench/retrieval.py): hit@1 0.813 for TF-IDF,
0.942 for embeddings alone, 0.955 hybrid at 0.7 (0.936 at 0.5); the weight was chosen on that set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from resolver_core.embeddings import SentenceEmbedder
from resolver_core.manifest import Manifest

TFIDF, HYBRID = "tfidf", "hybrid"
EMBEDDING_WEIGHT = 0.7


@dataclass(frozen=True)
class Similar:
    issue: str
    resolution: str
    score: float
    id: int  # the pair's id in the store (its position in the snapshot when the ids are not known)


def _vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("word", TfidfVectorizer(sublinear_tf=True, stop_words="english")),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ]
    )


class SimilarPairs:
    """Nearest known pairs to a question, from a version's dataset snapshot."""

    def __init__(
        self, pairs: list[dict[str, Any]], ids: list[int] | None = None, embedder: SentenceEmbedder | None = None
    ) -> None:
        """`embedder`: hybrid retrieval (TF-IDF and sentence embeddings); None: TF-IDF alone."""
        self.pairs = [{"issue": p["issue"], "resolution": p["resolution"]} for p in pairs]
        self.ids = list(ids) if ids is not None else [p.get("id", i + 1) for i, p in enumerate(pairs)]
        if len(self.ids) != len(self.pairs):
            raise ValueError(f"{len(self.ids)} ids for {len(self.pairs)} pairs")
        self._vectorizer = _vectorizer() if self.pairs else None
        texts = [f"{p['issue']} {p['resolution']}" for p in self.pairs]
        self._matrix = self._vectorizer.fit_transform(texts) if self._vectorizer else None
        self._embedder = embedder
        self._embeddings = embedder.encode(texts) if embedder and texts else None

    @property
    def kind(self) -> str:
        return HYBRID if self._embedder else TFIDF

    def __len__(self) -> int:
        return len(self.pairs)

    def search(self, question: str, k: int, exclude: frozenset[int] = frozenset()) -> list[Similar]:
        """Up to k pairs with a positive score, best first, leaving out the pairs whose id is in `exclude`."""
        if not self.pairs or k <= 0 or self._vectorizer is None:
            return []
        query = self._vectorizer.transform([question])
        scores = np.asarray((self._matrix @ query.T).todense()).ravel() / 2.0  # two unit vectors → mean cosine
        if self._embedder is not None and self._embeddings is not None:
            cosine = np.clip(self._embeddings @ self._embedder.encode([question])[0], 0.0, 1.0)
            scores = EMBEDDING_WEIGHT * cosine + (1 - EMBEDDING_WEIGHT) * scores
        ranked = (i for i in np.argsort(-scores, kind="stable") if scores[i] > 0 and self.ids[i] not in exclude)
        return [self._similar(i, float(scores[i])) for _, i in zip(range(k), ranked, strict=False)]

    def _similar(self, index: int, score: float) -> Similar:
        pair = self.pairs[index]
        return Similar(pair["issue"], pair["resolution"], round(score, 4), self.ids[index])


def evidence_index(
    pairs: list[dict[str, Any]], manifest: Manifest, embedder: SentenceEmbedder | None = None
) -> SimilarPairs:
    """A version's snapshot under its store ids (recorded in the manifest), searched the way the version was
    scored: hybrid when its manifest says so (then `embedder` is required), else TF-IDF."""
    hybrid = manifest.grounding.retrieval == HYBRID
    if hybrid and embedder is None:
        raise ValueError("this version was scored with hybrid retrieval: it needs the sentence embedder")
    return SimilarPairs(pairs, manifest.dataset.pair_ids or None, embedder if hybrid else None)
