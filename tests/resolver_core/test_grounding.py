"""Grounding: the prompt's known-fix context, retrieval ids, RAFT contexts, the known_fix rule and its calibration."""

from __future__ import annotations

from resolver_core.grounding import DEFAULT_THRESHOLD, Grounding, calibrate_threshold, closeness_of
from resolver_core.manifest import Manifest
from resolver_core.prompt import CONTEXT_HEADER, QUESTION_HEADER, Pair, user_message
from resolver_core.retrieval import Similar, SimilarPairs
from tests.conftest import REWORDED_QUESTIONS
from tests.scripted_answers import generating, scripted
from tests.training_pairs import PAIRS
from trainer.contexts import training_contexts
from trainer.questions import load_questions, score_questions

STORE = [{"id": 10 + i, "issue": issue, "resolution": fix} for i, (issue, fix) in enumerate(PAIRS)]


def test_the_question_alone_or_after_the_numbered_known_fixes() -> None:
    assert user_message("npm ci fails") == "npm ci fails"
    text = user_message("npm ci fails", [Pair("a fails", "do b"), Pair("c fails", "do d")])
    assert text.splitlines() == [
        CONTEXT_HEADER,
        "[1] Failure: a fails",
        "Fix: do b",
        "[2] Failure: c fails",
        "Fix: do d",
        "",
        f"{QUESTION_HEADER} npm ci fails",
    ]


def test_retrieval_reports_store_ids_and_leaves_out_excluded_ones() -> None:
    index = SimilarPairs(STORE, ids=[p["id"] for p in STORE])
    first = index.search(PAIRS[3][0], 3)
    assert first[0].id == 13 and first[0].issue == PAIRS[3][0]
    assert all(s.id != 13 for s in index.search(PAIRS[3][0], 3, exclude=frozenset({13})))
    assert [s.id for s in SimilarPairs(STORE[:3]).search(PAIRS[1][0], 1)] == [11]  # ids taken from the pairs


def test_raft_contexts_show_the_own_pair_most_of_the_time_and_only_shown_pairs() -> None:
    shown, hidden = STORE[:30], STORE[30:]
    contexts = training_contexts(shown, shown, 3, 0.8, seed=0)
    own = [any(c.issue == p["issue"] for c in ctx) for p, ctx in zip(shown, contexts, strict=True)]
    assert 0.6 <= sum(own) / len(own) <= 0.95  # seeded draws around the 0.8 asked for
    assert all(len(ctx) == 3 for ctx in contexts)
    hidden_issues = {p["issue"] for p in hidden}
    assert not any(c.issue in hidden_issues for ctx in contexts for c in ctx)
    issues = [[c.issue for c in ctx] for ctx in contexts]
    positions = {
        shown_issues.index(p["issue"])
        for p, shown_issues in zip(shown, issues, strict=True)
        if p["issue"] in shown_issues
    }
    assert len(positions) > 1  # shuffled: the position says nothing
    assert training_contexts(shown, shown, 3, 0.8, seed=0) == contexts  # the same text on a resumed run
    assert training_contexts(shown, shown, 0, 0.8, seed=0) == [[] for _ in shown]


def test_a_known_fix_is_an_answer_that_follows_a_close_pair() -> None:
    grounding = Grounding(context_pairs=3, known_fix_threshold=0.4, answer_policy="model")
    close = [
        Similar("npm ci fails", "Bump react to 18 and regenerate the lock file.", 0.7, 5),
        Similar("yarn fails", "Commit yarn.lock.", 0.45, 9),
    ]
    assert grounding.based_on("Bump react to 18, then regenerate the lock file.", close) == [5]
    assert grounding.based_on("Reinstall the operating system.", close) == []
    far = [Similar(s.issue, s.resolution, 0.2, s.id) for s in close]
    assert grounding.based_on("Bump react to 18 and regenerate the lock file.", far) == []
    assert not grounding.serves_top_fix(close)
    verbatim = Grounding(3, 0.4, "top_known_fix")
    assert verbatim.serves_top_fix(close) and not verbatim.serves_top_fix(far) and not verbatim.serves_top_fix([])
    everywhere = Grounding(3, 0.4, "top_known_fix", far_policy="top_known_fix")
    assert everywhere.serves_top_fix(far)  # the closest fix, verbatim ...
    assert everywhere.based_on(far[0].resolution, far) == []  # ... but far from the question: not a known fix


def test_grounding_comes_from_the_manifest_and_a_setting_overrides_the_threshold() -> None:
    recorded = {"context_pairs": 3, "known_fix_threshold": 0.33, "answer_policy": "top_known_fix"}
    manifest = Manifest.model_validate({"version": "20261201T000000Z", "grounding": recorded})
    assert Grounding.of_version(manifest.grounding) == Grounding(3, 0.33, "top_known_fix", "model")
    assert Grounding.of_version(manifest.grounding, threshold=0.5).known_fix_threshold == 0.5
    assert Grounding.of_version(manifest.grounding, policy="model") == Grounding(3, 0.33, "model", "model")
    before_grounding = Manifest.model_validate({"version": "20261126T000000Z"})
    assert Grounding.of_version(before_grounding.grounding) == Grounding(0, DEFAULT_THRESHOLD, "model")


def test_the_calibrated_threshold_separates_known_from_unknown_questions() -> None:
    assert calibrate_threshold([0.6, 0.5, 0.45], [0.2, 0.3, 0.1]) == 0.45  # the highest that keeps every known
    assert calibrate_threshold([0.6, 0.5, 0.25], [0.2, 0.3, 0.1]) == 0.5  # 0.25 would call 1 of 3 unknown known
    assert calibrate_threshold([0.5], []) is None


def test_the_threshold_recognises_the_most_known_questions_while_keeping_the_unknown_share() -> None:
    known = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35]
    unknown = [0.1, 0.2, 0.3, 0.38, 0.45]  # 4 of 5 below 0.45: 80% told "no known fix"
    assert calibrate_threshold(known, unknown) == 0.4  # recall 6/7; 0.35 would drop the unknown share to 60%
    assert calibrate_threshold(known, unknown, min_false_on_unknown=0.6) == 0.35  # a looser constraint: 7/7
    assert calibrate_threshold(known, unknown, min_false_on_unknown=1.0) == 0.5
    assert calibrate_threshold([0.3], [0.3, 0.3]) == 0.3001  # nothing separates them: nothing is called close


def test_closeness_adds_the_top_pairs_lead_over_the_runner_up() -> None:
    alone = [Similar("a", "pin the lockfile", 0.5, 1), Similar("b", "rotate the token", 0.2, 2)]
    between = [Similar("a", "pin the lockfile", 0.5, 1), Similar("b", "rotate the token", 0.48, 2)]
    assert closeness_of(alone, "top") == closeness_of(between, "top") == 0.5
    assert closeness_of(alone, "top_and_margin") == 0.8 and closeness_of(between, "top_and_margin") == 0.52
    assert closeness_of(alone[:1], "top_and_margin") == 1.0 and closeness_of([], "top_and_margin") == 0.0
    grounding = Grounding(0, 0.7, "top_known_fix", closeness="top_and_margin")
    assert grounding.is_close(alone) and not grounding.is_close(between)
    assert (
        grounding.based_on("Pin the lockfile.", alone) == [1] and grounding.based_on("Pin the lockfile.", between) == []
    )


def test_each_band_serves_the_top_known_fix_when_generated_answers_score_below_it(base_model_path) -> None:
    questions, _ = load_questions(REWORDED_QUESTIONS)
    store = STORE[:24]  # like the fixture: PAIRS 24+ never submitted
    answering = generating(base_model_path, SimilarPairs(store, ids=[p["id"] for p in store]))
    queries = [q["query"] for q in questions]
    references = {q["query"]: q["resolution"] for q in questions}
    inventing = scripted(answering, queries, lambda q: "Reinstall the operating system and pray.")
    perfect = scripted(answering, queries, references.__getitem__)

    weak = score_questions(inventing, answering, questions, answered=0, max_new_tokens=96)
    assert weak["answer_policy"] == "top_known_fix" and weak["known"]["questions"] == 10
    assert weak["known"]["served_f1"] >= weak["known"]["top_fix_f1"] - 0.05 > weak["known"]["answer_f1"]
    assert weak["known"]["hit_at_1"] >= 0.8 and weak["known_fix"]["precision"] >= 0.8
    strong = score_questions(perfect, answering, questions, answered=0, max_new_tokens=96)
    assert strong["answer_policy"] == strong["far_policy"] == "model"
    assert strong["known"]["served_f1"] == strong["known"]["answer_f1"] == 1.0
    sampled = score_questions(perfect, answering, questions, answered=8, max_new_tokens=96)
    assert sampled["answered"] == 8 and sampled["questions"] == 16
    assert sampled["known"]["retrieval_questions"] == 10  # retrieval is scored on every question


def test_a_pair_carrying_the_same_fix_in_other_words_counts_as_the_right_pair(base_model_path) -> None:
    """An accepted answer on VM2 becomes a pair *question → the fix*: retrieving it serves the right fix."""
    questions, _ = load_questions(REWORDED_QUESTIONS)
    asked = next(q for q in questions if q.get("issue"))
    truth = next(p for p in STORE if p["issue"] == asked["issue"])
    store = [*STORE[:24], {"id": 99, "issue": asked["query"], "resolution": truth["resolution"]}]
    index = SimilarPairs(store, ids=[p["id"] for p in store])
    assert index.search(asked["query"], 1)[0].id == 99  # the reworded pair, not the original, comes first
    answering = generating(base_model_path, index)
    unknown = next(q for q in questions if not q.get("issue"))
    top_fix = {q["query"]: index.search(q["query"], 1)[0].resolution for q in (asked, unknown)}
    verbatim_top_fix = scripted(answering, list(top_fix), top_fix.__getitem__)
    scores = score_questions(verbatim_top_fix, answering, [asked, unknown], answered=0, max_new_tokens=96)
    assert scores["known"]["hit_at_1"] == 1.0
    assert scores["known_fix"]["recall"] == scores["known_fix"]["precision"] == 1.0


def test_a_served_fix_longer_than_the_token_limit_is_cut_as_vm2_cuts_it(base_model_path) -> None:
    questions, _ = load_questions(REWORDED_QUESTIONS)
    store = STORE[:24]
    answering = generating(base_model_path, SimilarPairs(store, ids=[p["id"] for p in store]))
    queries = [q["query"] for q in questions]
    inventing = scripted(answering, queries, lambda q: "Reinstall the operating system and pray.")
    scores = score_questions(inventing, answering, questions, answered=0, max_new_tokens=4)
    assert scores["answer_policy"] == "top_known_fix"
    known = [q for q in questions if q.get("issue") in {p["issue"] for p in store}]
    assert scores["known"]["served_f1"] < 0.6  # four tokens of each fix, not the whole fix
    assert all(len(answering.tokenizer(s["answer"])["input_ids"]) <= 4 for s in scores["samples"]) and known
