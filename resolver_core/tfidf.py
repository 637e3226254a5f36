"""The TF-IDF half of retrieval: word unigrams (English stop words removed) and character 3–5-grams inside word
boundaries, each l2-normalised; a pair's score is the mean of the two cosines. And the same index as if one text had
never been indexed (leave-one-out), computed from counts kept once instead of refitting per left-out text."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion


def tfidf_vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("word", TfidfVectorizer(sublinear_tf=True, stop_words="english")),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ]
    )


def mean_cosines(matrix: Any, query: Any) -> np.ndarray:
    """Each row's score against the query: two l2-normalised halves (words, characters) → the mean cosine."""
    return np.asarray((matrix @ query.T).todense()).ravel() / 2.0


class LeftOutTfidf:
    """Scores of a question against every indexed text but one, equal to those of a vectorizer refit without that
    text: its idf (smoothed: ln((1 + n) / (1 + df)) + 1) over the other n texts, its vocabulary (terms no other text
    holds are dropped), the others' norms under that idf. Counts are taken once; each left-out text then costs a few
    sparse matrix-vector products instead of re-tokenising every text."""

    def __init__(self, fitted: FeatureUnion, texts: list[str]) -> None:
        self._parts = [part for _, part in fitted.transformer_list]
        self._counts = [_sublinear(CountVectorizer.transform(part, texts).tocsr()) for part in self._parts]
        self._present = [(counts > 0).astype(np.float64).tocsr() for counts in self._counts]
        self._frequency = [np.asarray(present.sum(axis=0)).ravel() for present in self._present]
        self._squares = [counts.multiply(counts).tocsr() for counts in self._counts]

    def scores(self, left_out: int, question: str) -> np.ndarray:
        """The question's score against each text but `left_out` (in their order, that one removed)."""
        total = np.zeros(self._counts[0].shape[0])
        parts = zip(self._parts, self._counts, self._present, self._frequency, self._squares, strict=True)
        for part, counts, present, frequency_all, squares in parts:
            others = counts.shape[0] - 1
            frequency = frequency_all - present[left_out].toarray().ravel()
            idf = np.where(frequency > 0, np.log((1 + others) / (1 + frequency)) + 1, 0.0)
            query = _sublinear(CountVectorizer.transform(part, [question]).tocsr()).toarray().ravel() * idf
            query_norm = np.linalg.norm(query)
            if query_norm == 0:
                continue
            norms = np.sqrt(squares @ (idf * idf))
            dots = counts @ (query * idf)
            total += np.divide(dots, norms * query_norm, out=np.zeros_like(dots), where=norms > 0)
        return np.delete(total, left_out) / 2.0


def _sublinear(counts: Any) -> Any:
    """1 + ln(count) on the stored (non-zero) counts, as sublinear_tf does."""
    counts = counts.astype(np.float64)
    counts.data = 1.0 + np.log(counts.data)
    return counts
