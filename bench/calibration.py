"""Known-fix calibration without reworded questions of the team's own: leave-one-out vs question-based, train-free.

Pairs: samples/ci_pairs.json + samples/more_pairs.json (~100 real failures), split by seed into "submitted" (the
version's snapshot, `--submitted` of them) and "never submitted". Questions: samples/paraphrases.json (reworded
questions about the sample pairs, and about failures with no pair at all), split by the pair they are about into a
calibration half and a test half. Retrieval is the serving one (hybrid_issue, closeness top_and_margin), threshold
constraint 80% of unknown questions below it. Each calibration is scored on the test half:
- known_recall: questions about a submitted failure called close; right_pair_recall: ... called close *on a pair
  with their fix*; right_pair_precision: close calls that are on a pair with the question's fix (a close call on
  another pair labels a wrong fix as the team's); false_on_unknown: questions about an unsubmitted failure not
  called close.
Calibrations: `fallback` (the fixed threshold a team without questions of its own got), `leave_one_out` (each
submitted pair's issue among the others, refit TF-IDF; `_no_refit`: the same with the pair merely excluded),
`questions` (the calibration half's known and unknown questions, what a team with its own questions gets),
`leave_one_out_and_questions`, `leave_one_out_and_known_questions`. The "shipped" scenario is the demo's: the 48
sample pairs all submitted, no more_pairs.
Usage: python bench/calibration.py [--seeds 10] [--submitted 0.67]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from statistics import fmean

from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resolver_core.calibration import NEIGHBOURS, Probe, calibrate, leave_one_out_probes, same_fix_groups  # noqa: E402
from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.embeddings import embedded_embedder  # noqa: E402
from resolver_core.grounding import CLOSENESS, DEFAULT_THRESHOLD, MIN_FALSE_ON_UNKNOWN, closeness_of  # noqa: E402
from resolver_core.retrieval import SimilarPairs  # noqa: E402
from resolver_core.scoring import known_fix_rates  # noqa: E402

Asked = tuple[float, frozenset[int], int | None]  # closeness, right pair ids (empty: unknown), top pair id


def split_questions(questions: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(calibration half, test half): by the pair a question is about, questions without a pair one by one."""
    rng = random.Random(f"{seed}:questions")
    about = sorted({q["issue_index"] for q in questions if q.get("issue_index") is not None})
    fit_pairs = set(rng.sample(about, len(about) // 2))
    loose = [i for i, q in enumerate(questions) if q.get("issue_index") is None]
    fit_loose = set(rng.sample(loose, len(loose) // 2))
    fit = [q for i, q in enumerate(questions) if q.get("issue_index") in fit_pairs or i in fit_loose]
    return fit, [q for q in questions if not any(q is f for f in fit)]


def ask(index: SimilarPairs, questions: list[dict], owners: dict[int, frozenset[int]]) -> list[Asked]:
    """Each question's closeness, the ids of the indexed pairs with its fix, and the top pair's id."""
    asked = []
    for question in questions:
        similar = index.search(question["query"], NEIGHBOURS)
        right = owners.get(question["issue_index"], frozenset()) if question.get("issue_index") is not None else None
        asked.append((closeness_of(similar, CLOSENESS), right or frozenset(), similar[0].id if similar else None))
    return asked


def scores(threshold: float, test: list[Asked]) -> dict[str, float]:
    """The test half's rates when the top pair of every question at or above `threshold` is claimed as its fix."""
    claims = [[top] if closeness >= threshold and top is not None else [] for closeness, _, top in test]
    rates = known_fix_rates(claims, [right for _, right, _ in test])
    return {
        "threshold": threshold,
        "known_recall": rates["true_on_known"],
        "right_pair_recall": rates["recall"],
        "right_pair_precision": 1.0 if rates["precision"] is None else rates["precision"],
        "false_on_unknown": rates["false_on_unknown"],
    }


def as_probes(asked: list[Asked], known_only: bool = False) -> list[Probe]:
    return [Probe(c, bool(right), "questions") for c, right, _ in asked if right or not known_only]


def no_refit_probes(index: SimilarPairs) -> list[Probe]:
    """Leave-one-out with the pair only excluded from the results (its words stay in the TF-IDF vocabulary)."""
    groups = same_fix_groups(index.pairs)
    return [
        Probe(
            closeness_of(index.search(pair["issue"], NEIGHBOURS, exclude=frozenset({pair_id})), CLOSENESS),
            len(groups[i]) > 1,
            "leave_one_out",
        )
        for i, (pair, pair_id) in enumerate(zip(index.pairs, index.ids, strict=True))
    ]


def run_scenario(pairs: list[dict], submitted: list[int], questions: list[dict], seed: int) -> dict[str, dict]:
    """Every calibration's test-half scores for one split; pair ids are positions in `pairs`."""
    embedder = embedded_embedder()
    snapshot = [pairs[i] for i in submitted]
    index = SimilarPairs(snapshot, ids=submitted, embedder=embedder, issue_alone=True)
    owners = {i: frozenset({i}) for i in submitted}  # the sample pairs carry distinct fixes
    fit, test = split_questions(questions, seed)
    fit_asked, test_asked = ask(index, fit, owners), ask(index, test, owners)
    loo = leave_one_out_probes(index, snapshot, CLOSENESS)
    q = MIN_FALSE_ON_UNKNOWN
    thresholds: dict[str, Callable[[], float]] = {
        "fallback": lambda: DEFAULT_THRESHOLD,
        "leave_one_out": lambda: calibrate(loo, q).known_fix_threshold,
        "leave_one_out_no_refit": lambda: calibrate(no_refit_probes(index), q).known_fix_threshold,
        "questions": lambda: calibrate(as_probes(fit_asked), q).known_fix_threshold,
        "leave_one_out_and_questions": lambda: calibrate([*loo, *as_probes(fit_asked)], q).known_fix_threshold,
        "leave_one_out_and_known_questions": lambda: (
            calibrate([*loo, *as_probes(fit_asked, known_only=True)], q).known_fix_threshold
        ),
    }
    return {name: scores(threshold(), test_asked) for name, threshold in thresholds.items()}


def averaged(runs: list[dict[str, dict]], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}_{name}_{metric}": round(fmean(run[name][metric] for run in runs), 4)
        for name in runs[0]
        for metric in runs[0][name]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="random splits averaged over")
    parser.add_argument("--submitted", type=float, default=0.67, help="share of the ~100 pairs submitted")
    args = parser.parse_args()
    shipped = json.loads((REPO / "samples" / "ci_pairs.json").read_text())
    pairs = shipped + json.loads((REPO / "samples" / "more_pairs.json").read_text())  # questions index ci_pairs
    questions = json.loads((REPO / "samples" / "paraphrases.json").read_text())
    team_runs, shipped_runs = [], []
    for seed in tqdm(range(args.seeds), desc="seeds", file=sys.stderr):
        count = round(len(pairs) * args.submitted)
        chosen = sorted(random.Random(f"{seed}:submitted").sample(range(len(pairs)), count))
        team_runs.append(run_scenario(pairs, chosen, questions, seed))
        shipped_runs.append(run_scenario(shipped, list(range(len(shipped))), questions, seed))
    team, demo = averaged(team_runs, "team"), averaged(shipped_runs, "shipped")
    report = {
        "pairs": len(pairs),
        "submitted": round(len(pairs) * args.submitted),
        "questions": len(questions),
        "seeds": args.seeds,
        **team,
        **demo,
        "team_leave_one_out_vs_questions_known_recall_ratio": round(
            team["team_leave_one_out_known_recall"] / team["team_questions_known_recall"], 3
        ),
        "team_leave_one_out_vs_fallback_false_on_unknown_ratio": round(
            team["team_leave_one_out_false_on_unknown"] / team["team_fallback_false_on_unknown"], 3
        ),
        **cpu_report(),
        "dtype": "float32 (the sentence embedder)",
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
