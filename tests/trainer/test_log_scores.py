"""A version's log threshold is calibrated with the quoted-wording bonus only when the excerpts file has logs of
both kinds; otherwise logs fall back to the question threshold and are searched as questions are."""

from __future__ import annotations

import json
from pathlib import Path

from decoding.answer import Answering
from resolver_core.grounding import Grounding
from resolver_core.retrieval import SimilarPairs
from resolver_core.wording import QUOTED_BONUS
from tests.servers import REPO_ROOT
from trainer.log_scores import score_logs

PAIRS = json.loads((REPO_ROOT / "samples" / "ci_pairs.json").read_text())
EXCERPTS = json.loads((REPO_ROOT / "samples" / "log_excerpts.json").read_text())
KNOWN_ISSUES = {pair["issue"] for pair in PAIRS}


def _answering() -> Answering:
    grounding = Grounding(0, 0.5, "model", "model", "top_and_margin", QUOTED_BONUS)
    return Answering(None, SimilarPairs(PAIRS, list(range(len(PAIRS)))), grounding, 0, 0, 3)


def _file(tmp_path: Path, excerpts: list[dict]) -> Path:
    path = tmp_path / "excerpts.json"
    path.write_text(json.dumps(excerpts))
    return path


def test_logs_of_both_kinds_calibrate_a_log_threshold_with_the_bonus(tmp_path: Path) -> None:
    known = [e for e in EXCERPTS if e["issue"] in KNOWN_ISSUES][:6]
    unknown = [e for e in EXCERPTS if e["issue"] not in KNOWN_ISSUES][:6]
    scores = score_logs(_answering(), _file(tmp_path, known + unknown), 0.9)
    assert (scores.known, scores.unknown) == (6, 6)
    assert scores.threshold_from == "logs" and scores.quoted_bonus == QUOTED_BONUS


def test_without_known_logs_the_question_threshold_holds_and_no_bonus_is_given(tmp_path: Path) -> None:
    unknown = [e for e in EXCERPTS if e["issue"] not in KNOWN_ISSUES][:6]
    scores = score_logs(_answering(), _file(tmp_path, unknown), 0.9)
    assert scores.threshold_from == "questions" and scores.known_fix_threshold == 0.5
    assert scores.quoted_bonus == 0.0
