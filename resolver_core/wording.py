"""Whether a failure's printed words quote a known pair: the evidence a whole log adds to retrieval.

A team writes down a failure the way its tool printed it ("No matching distribution found for …", "exec format
error") and a log prints it again in the same words, while a failure the team never saw tends to look like a known
one only in meaning ("Cannot connect to the Docker daemon" beside "Could not find a valid Docker environment").
So a log block *quotes* a known pair when they share a run of consecutive words that is rare among the version's
pairs: each word weighs its inverse document frequency over the pairs, scaled to [0, 1), and the run's weights add
up to at least QUOTED_MIN_WEIGHT. Paths, URLs and numbers are not words (they name a project's own files and
versions, not the failure). The measurements behind the values are in docs/decisions/whole-logs.md.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

QUOTED_MIN_WEIGHT = 1.0  # about two words each found in a few of the pairs, or three more common ones
QUOTED_BONUS = 0.2  # added to a quoted pair's evidence score (the score's scale is [0, 1])
QUOTED_SEARCH_DEPTH = 5  # the nearest pairs per log block the bonus may lift (whatever evidence count is served)
_PATH_OR_URL = re.compile(r"\S*[/\\]\S*")
_WORD = re.compile(r"[a-z][a-z0-9_.\-]*[a-z0-9]|[a-z]")


def words_of(text: str) -> list[str]:
    """The text's words, lowercased: runs starting with a letter, paths and URLs left out."""
    return _WORD.findall(_PATH_OR_URL.sub(" ", text.lower()))


class PairWording:
    """The words of each known pair as a log would print them (its issue and its log excerpt), and how rare each
    word is among the pairs."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._words = [words_of(text) for text in texts]
        frequency = Counter(word for words in self._words for word in set(words))
        scale = math.log(len(texts) + 1) if texts else 1.0
        self._weights = {word: math.log((len(texts) + 1) / (count + 1)) / scale for word, count in frequency.items()}
        self._starts: list[dict[str, list[int]]] = []
        for words in self._words:
            starts: dict[str, list[int]] = {}
            for index, word in enumerate(words):
                starts.setdefault(word, []).append(index)
            self._starts.append(starts)

    def weight(self, word: str) -> float:
        """In [0, 1): near 1 for a word of one pair among many, 0 for a word every pair has (or none)."""
        return self._weights.get(word, 0.0)

    def quoted_weight(self, printed: Sequence[str], position: int, enough: float = math.inf) -> float:
        """The weight of the heaviest run of two or more consecutive words `printed` shares with pair `position`
        (or the first found weighing `enough`). Only whole runs are weighed, each from where it starts."""
        pair_words, best = self._words[position], 0.0
        for i, word in enumerate(printed):
            for j in self._starts[position].get(word, ()):
                if i and j and printed[i - 1] == pair_words[j - 1]:
                    continue  # inside a run already weighed from its start
                length = _common_run(printed, i, pair_words, j)
                if length >= 2:
                    best = max(best, sum(self._weights[w] for w in printed[i : i + length]))
                    if best >= enough:
                        return best
        return best

    def quotes(self, printed: Sequence[str], position: int) -> bool:
        return self.quoted_weight(printed, position, QUOTED_MIN_WEIGHT) >= QUOTED_MIN_WEIGHT


def _common_run(one: Sequence[str], i: int, other: Sequence[str], j: int) -> int:
    length = 0
    while i + length < len(one) and j + length < len(other) and one[i + length] == other[j + length]:
        length += 1
    return length
