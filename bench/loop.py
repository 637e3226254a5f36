"""The whole loop on this machine: pairs into the store → `make train` (train, then answer and score reworded
questions) → a version, timed end to end, at the default epochs (the baseline) and at fewer, in one process.

Pairs: samples/ci_pairs.json + samples/more_pairs.json (48 + 52 real CI failures: ~100 pairs).
Each run gets a fresh store, registry and work folder, imports the pairs with `python -m submission import` and runs
`python -m trainer train --full` with TRAIN_EVAL_ANSWERED reworded questions answered by VM2's engine (the
trainer's own scoring). Reported per run: wall seconds of the train command (model load, frozen-layer pass,
training, held-out answers, reworded answers, publish), its training and answering seconds, and the version's
scores (served and generated answer token-F1, known and unknown; retrieval hit@1; known_fix rates).
`loop_time_ratio` = default-epochs wall time / fewer-epochs wall time; `served_f1_delta_*` = what the shorter
recipe changes in what users are served.
Usage: python bench/loop.py [--epochs 12 6] [--answered 130] [--pairs FILE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.registry import read_manifest, resolve_version  # noqa: E402
from resolver_core.settings.recipe import Recipe  # noqa: E402

DEFAULT_PAIRS = [REPO / "samples" / "ci_pairs.json", REPO / "samples" / "more_pairs.json"]


def merged_pairs(files: list[Path], folder: Path) -> tuple[Path, int]:
    """The pairs of every file, in order, as one seed-format file (issue and resolution only)."""
    pairs = [{"issue": p["issue"], "resolution": p["resolution"]} for f in files for p in json.loads(f.read_text())]
    path = folder / "issues_resolutions.json"
    path.write_text(json.dumps(pairs))
    return path, len(pairs)


def logged_seconds(log: str, message: str) -> float | None:
    """`seconds` of the trainer's JSON log line `message`."""
    for line in log.splitlines():
        if line.startswith("{") and f'"msg": "{message}"' in line:
            return json.loads(line).get("seconds")
    return None


def run_loop(pairs_file: Path, epochs: float, answered: int, folder: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OMP_WAIT_POLICY": "PASSIVE",
        "DATA_DIR": str(folder / "data"),
        "MODELS_DIR": str(folder / "models"),
        "TRAIN_WORK_DIR": str(folder / "work"),
        "TRAIN_EPOCHS": str(epochs),
        "TRAIN_EVAL_ANSWERED": str(answered),
    }
    python = [sys.executable, "-m"]
    subprocess.run([*python, "submission", "import", str(pairs_file)], env=env, check=True, capture_output=True)
    started = time.monotonic()
    trained = subprocess.run(
        [*python, "trainer", "train", "--full", "--no-progress"], env=env, capture_output=True, text=True
    )
    wall = time.monotonic() - started
    if trained.returncode:
        sys.exit(f"trainer failed ({trained.returncode}):\n{trained.stderr[-4000:]}")
    manifest = read_manifest(folder / "models" / resolve_version(folder / "models", "latest"))
    reworded = manifest.metrics.reworded
    log = trained.stdout + trained.stderr
    return {
        "epochs": epochs,
        "loop_s": round(wall, 1),
        "train_s": round(manifest.training.seconds, 1),
        "frozen_pass_s": logged_seconds(log, "frozen layers computed once for the run"),
        "answer_s": logged_seconds(log, "reworded questions scored"),
        "tokens_per_s": round(manifest.training.tokens_per_s, 1),
        "dtype": reworded.answered_dtype,
        "answered": reworded.answered,
        "served_f1_known": reworded.known.served_f1,
        "served_f1_unknown": reworded.unknown.served_f1,
        "answer_f1_known": reworded.known.answer_f1,
        "answer_f1_unknown": reworded.unknown.answer_f1,
        "top_fix_f1_known": reworded.known.top_fix_f1,
        "hit_at_1": reworded.known.hit_at_1,
        "known_fix": reworded.known_fix.model_dump(),
        "answer_policy": [reworded.answer_policy, reworded.far_policy],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_epochs = Recipe().epochs
    parser.add_argument(
        "--epochs",
        type=float,
        nargs=2,
        default=[default_epochs, default_epochs / 2],
        metavar=("BASELINE", "FEWER"),
        help="epochs of the baseline run and of the shorter one",
    )
    parser.add_argument("--answered", type=int, default=130, help="reworded questions answered per version")
    parser.add_argument("--pairs", type=Path, nargs="+", default=DEFAULT_PAIRS, help="seed-format pair files")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="ci-resolver-loop-") as scratch:
        pairs_file, count = merged_pairs(args.pairs, Path(scratch))
        for number, epochs in enumerate(args.epochs):
            print(f"run {number + 1}/2: {count} pairs, {epochs:g} epochs, {args.answered} answered", file=sys.stderr)
            runs.append(run_loop(pairs_file, epochs, args.answered, Path(scratch) / str(number)))
            print(json.dumps({"progress": f"run {number + 1}/{len(args.epochs)}", **runs[-1]}), flush=True)
    baseline, fewer = runs
    report = {
        **cpu_report(),
        "dtype": baseline["dtype"],
        "pairs": count,
        "baseline": baseline,
        "fewer": fewer,
        "loop_s": baseline["loop_s"],
        "loop_min": round(baseline["loop_s"] / 60, 2),
        "loop_time_ratio": round(baseline["loop_s"] / fewer["loop_s"], 2),
        "served_f1_delta_known": round(fewer["served_f1_known"] - baseline["served_f1_known"], 4),
        "served_f1_delta_unknown": round(fewer["served_f1_unknown"] - baseline["served_f1_unknown"], 4),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
