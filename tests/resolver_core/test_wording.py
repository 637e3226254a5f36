"""A log's failure quotes a known pair when they share a run of words rare among the pairs (resolver_core/wording.py),
and retrieval of a log block puts such a pair first."""

from __future__ import annotations

import json

import pytest

from resolver_core.retrieval import Similar, SimilarPairs
from resolver_core.wording import QUOTED_BONUS, PairWording, words_of
from tests.servers import REPO_ROOT

PAIRS = json.loads((REPO_ROOT / "samples" / "ci_pairs.json").read_text())
# "…fails: No matching distribution found for…", "…Could not find a valid Docker environment"
PIP, TESTCONTAINERS = 2, 41
PIP_PRINTED = "ERROR: No matching distribution found for django-extensions==1.6.7 (from -r requirements.txt (line 1))"
DOCKER_PRINTED = "Cannot connect to the Docker daemon at tcp://docker:2375. Is the docker daemon running?"


def _wording() -> PairWording:
    return PairWording([pair["issue"] for pair in PAIRS])


def test_words_leave_out_paths_urls_and_numbers():
    printed = "cmd/db-server/main.go:44:2: missing go.sum entry; see https://proxy.golang.org/x for 2 modules"
    assert words_of(printed) == ["missing", "go.sum", "entry", "see", "for", "modules"]


def test_a_rare_word_weighs_more_than_a_common_one():
    wording = _wording()
    assert wording.weight("distribution") > 0.7 > wording.weight("fails")
    assert 0.0 <= wording.weight("fails") < wording.weight("distribution") < 1.0


def test_the_tool_s_own_words_quote_the_pair_that_wrote_them_down():
    wording = _wording()
    assert wording.quotes(words_of(PIP_PRINTED), PIP)
    assert not wording.quotes(words_of(PIP_PRINTED), TESTCONTAINERS)


def test_a_failure_alike_only_in_meaning_or_in_common_words_does_not_quote():
    wording = _wording()
    assert not wording.quotes(words_of(DOCKER_PRINTED), TESTCONTAINERS)  # another Docker failure, other words
    assert not wording.quotes(words_of("the build fails with an error"), PIP)  # common words only
    assert not wording.quotes(words_of("distribution"), PIP)  # one word is not a run


def test_a_quoted_pair_scores_the_bonus_more_and_comes_first():
    index = SimilarPairs(PAIRS, list(range(len(PAIRS))))
    found = index.search(PIP_PRINTED, 5)
    assert PIP in [s.id for s in found]
    boosted = index.quoted_first(found, PIP_PRINTED, QUOTED_BONUS, 5)
    assert boosted[0].id == PIP
    before = {s.id: s.score for s in found}
    for similar in boosted:
        expected = min(1.0, before[similar.id] + QUOTED_BONUS) if similar.id == PIP else before[similar.id]
        assert similar.score == round(expected, 4)
    assert [s.score for s in boosted] == sorted((s.score for s in boosted), reverse=True)


def test_the_bonus_never_lifts_a_score_past_one():
    index = SimilarPairs(PAIRS, list(range(len(PAIRS))))
    found = index.search(PAIRS[PIP]["issue"], 3)
    assert found[0].id == PIP
    assert index.quoted_first(found, PAIRS[PIP]["issue"], 0.9, 5)[0].score == 1.0


def test_a_pair_s_log_excerpt_is_quotable_too():
    pairs = [
        {
            "issue": "release job broken",
            "resolution": "rotate the token",
            "log_excerpt": "npm ERR! code E401 Unable to authenticate",
        },
        {"issue": "lint job broken", "resolution": "pin the config", "log_excerpt": None},
    ]
    index = SimilarPairs(pairs, [1, 2])
    assert index.wording.quotes(words_of("npm ERR! code E401\nnpm ERR! Unable to authenticate, need: Basic"), 0)


def test_only_the_nearest_pairs_up_to_the_depth_can_be_lifted():
    index = SimilarPairs(PAIRS, list(range(len(PAIRS))))
    found = index.search(PIP_PRINTED, 10)
    at = [s.id for s in found].index(PIP)
    assert index.quoted_first(found, PIP_PRINTED, QUOTED_BONUS, at)[at].id == PIP  # beyond the depth: unchanged
    assert index.quoted_first(found, PIP_PRINTED, QUOTED_BONUS, at + 1)[0].id == PIP


def test_a_quoted_pair_comes_before_an_unquoted_one_of_the_same_score():
    pairs = [
        {"issue": "release job broken", "resolution": "rotate the token"},
        {"issue": "npm publish: Unable to authenticate", "resolution": "renew the npm token"},
        {"issue": "lint job broken", "resolution": "pin the config"},
    ]
    index = SimilarPairs(pairs, [1, 2, 3])
    tied = [Similar(p["issue"], p["resolution"], 0.5, pair_id) for pair_id, p in zip((1, 2, 3), pairs, strict=True)]
    assert [s.id for s in index.quoted_first(tied, "npm ERR! Unable to authenticate, need: Basic", 0.0, 5)] == [2, 1, 3]


def test_the_heaviest_shared_run_is_found_in_text_that_repeats_itself():
    wording = PairWording(["npm ERR! npm ERR! npm ERR! code E401", "lint job broken", "release job broken"])
    printed = words_of("npm ERR! " * 50 + "code E401 and more")
    pair = words_of("npm ERR! npm ERR! npm ERR! code E401")
    heaviest = max(
        sum(wording.weight(w) for w in printed[i : i + n])
        for i in range(len(printed))
        for n in range(2, len(pair) + 1)
        if " ".join(printed[i : i + n]) in " ".join(pair)
    )
    assert wording.quoted_weight(printed, 0) == pytest.approx(heaviest)
