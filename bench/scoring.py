"""Scoring speed: a version's reworded-question answers through the serving engine (what the trainer does now,
trainer/answering.py) vs `model.generate` on the unmerged PEFT model (what it did before), in one process.

Both answer the same seeded sample of samples/paraphrases.json questions (as the trainer samples them), each beside
the context its version's grounding records, greedy, at most as many new tokens as VM2 serves by default, in the
same dtype. The engine side counts building the engine (saving the adapter, merging it into a fresh fp32 base,
packing the decoder, the exactness probe) in `scoring_speed_ratio`; `identical_answers` says how many answers are
the same text.
Usage: python bench/scoring.py [--version latest] [--answered 48] [--dtype auto]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resolver_core import base_model, registry  # noqa: E402
from resolver_core.cpu import configure_threads, cpu_report, dtype_for  # noqa: E402
from resolver_core.embeddings import embedded_embedder  # noqa: E402
from resolver_core.generation import generate_answers  # noqa: E402
from resolver_core.pairs_file import PAIRS_FILE_NAME, read_pairs  # noqa: E402
from resolver_core.retrieval import EMBEDDED_KINDS, SimilarPairs, evidence_index  # noqa: E402
from resolver_core.settings import TrainerSettings  # noqa: E402
from trainer.answering import MAX_NEW_TOKENS, version_answerer  # noqa: E402
from trainer.questions import answered_sample, load_questions  # noqa: E402

GENERATE_BATCH = 16  # the trainer's former batch size for `generate`


def questions_of(folder: Path, answered: int) -> tuple[list[str], SimilarPairs]:
    """The sampled questions, and the version's known pairs searched its own way."""
    manifest = registry.read_manifest(folder)
    pairs = read_pairs(folder / PAIRS_FILE_NAME)
    embedder = embedded_embedder() if manifest.grounding.retrieval in EMBEDDED_KINDS else None
    index = evidence_index(pairs, manifest, embedder)
    questions, _ = load_questions(None)
    known_issues = {pair["issue"] for pair in index.pairs}
    known = [i for i, q in enumerate(questions) if q.get("issue") in known_issues]
    unknown = [i for i in range(len(questions)) if i not in set(known)]
    sample = answered_sample(known, unknown, answered, seed=0)
    return [questions[i]["query"] for i in sample], index


def with_generate(model, tokenizer, queries, contexts) -> tuple[list[str], float]:
    """The former path: batches of similar prompt length through `model.generate`."""
    order = sorted(range(len(queries)), key=lambda i: len(queries[i]))
    answers: dict[int, str] = {}
    started = time.perf_counter()
    for start in range(0, len(order), GENERATE_BATCH):
        batch = order[start : start + GENERATE_BATCH]
        texts = generate_answers(
            model, tokenizer, [queries[i] for i in batch], MAX_NEW_TOKENS, [contexts[i] for i in batch]
        )
        answers.update(zip(batch, texts, strict=True))
    return [answers[i] for i in range(len(queries))], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", default="latest", help="version or alias in MODELS_DIR (a trained one)")
    parser.add_argument("--answered", type=int, default=48, help="questions answered (the trainer's default)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "bfloat16", "float32"])
    args = parser.parse_args()
    settings = TrainerSettings()
    threads = configure_threads(settings.train_threads or len(os.sched_getaffinity(0)))
    folder = settings.models_dir / registry.resolve_version(settings.models_dir, args.version)
    dtype = dtype_for(args.dtype, "--dtype")
    queries, index = questions_of(folder, args.answered)
    context_pairs = registry.read_manifest(folder).grounding.context_pairs
    tokenizer = base_model.load_tokenizer(settings.base_model_path)
    from peft import PeftModel

    model = PeftModel.from_pretrained(base_model.load_base_model(settings.base_model_path, dtype), str(folder)).eval()
    started = time.perf_counter()
    with version_answerer(model, tokenizer, settings.base_model_path, dtype, MAX_NEW_TOKENS) as answerer:
        build_s = time.perf_counter() - started
        answering = answerer.answering(index, context_pairs)
        asked = [answering.ask(query) for query in queries]
        started = time.perf_counter()
        decoded = answerer.texts(answering, asked, MAX_NEW_TOKENS)
        engine_s = time.perf_counter() - started
        stats = answerer.engine.stats
    contexts = [a.similar[:context_pairs] for a in asked]
    generated, generate_s = with_generate(model, tokenizer, queries, contexts)
    report = {
        **cpu_report(),
        "dtype": str(dtype).removeprefix("torch."),
        "threads": threads,
        "version": folder.name,
        "answered": len(queries),
        "generate_s": round(generate_s, 2),
        "engine_build_s": round(build_s, 2),
        "engine_s": round(engine_s, 2),
        "accepted_draft_tokens": stats.accepted_draft_tokens,
        "identical_answers": sum(a == b for a, b in zip(generated, decoded, strict=True)),
        "scoring_speed_ratio": round(generate_s / (build_s + engine_s), 2),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
