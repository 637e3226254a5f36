"""Training speed: this trainer vs the seed's recipe on the same data and model, in one run. Prints JSON last.

1. throughput: real (non-padding) tokens/s — the seed's recipe (every example padded to 128, batch 2 × grad-accum
   4, fp32, loss on all tokens, q/v LoRA) vs this trainer's default recipe (LoRA on the top TRAIN_LORA_LAYERS
   layers with the frozen layers below computed once, dynamic padding, length-grouped batches, bf16 frozen base +
   fp32 LoRA where native, answer-only loss, shared prompt prefix computed once per batch): `throughput_ratio`; and
   with the seed's q/v targets on every layer: `same_targets_throughput_ratio`;
2. quality at equal wall time: held-out answer loss after this trainer's default recipe runs to completion, and
   after the seed's recipe trains for the same wall time;
3. a random-init model with Llama-3.2-1B's shape: a few steps of each, tokens/s and peak RSS (own processes).

The throughput part runs twice on a CPU with native bf16: as `auto` picks, and with fp32 forced (the path of CPUs
without it: the `fp32_*` fields).

Usage: python bench/train_throughput.py [--steps 6] [--big-steps 2] [--skip-big] [--skip-fp32]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.seed_recipe import SEED_ACCUM, SEED_BATCH, SEED_LR, SEED_TARGETS, run_seed, seed_model, seed_step  # noqa: E402
from bench.shapes import LLAMA_1B_SHAPE  # noqa: E402
from resolver_core.base_model import load_tokenizer  # noqa: E402
from resolver_core.cpu import configure_threads, cpu_report, dtype_for  # noqa: E402
from resolver_core.generation import generate_answers  # noqa: E402
from resolver_core.prompt import EncodedExample, encode_example, end_of_turn_id  # noqa: E402
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH, TrainerSettings  # noqa: E402
from trainer.checkpoints import RunFolder  # noqa: E402
from trainer.data import batch_plan, collate, plan_dataset  # noqa: E402
from trainer.evaluation import mean_loss  # noqa: E402
from trainer.frozen_layers import frozen_bottom  # noqa: E402
from trainer.loop import linear_schedule, train_loop, training_step  # noqa: E402
from trainer.model import (  # noqa: E402
    linear_module_names,
    load_for_training,
    lora_hyperparameters,
    trainable_parameters,
)
from trainer.precision import MasterWeights  # noqa: E402


def load_pairs() -> list[dict[str, str]]:
    shipped = REPO / "samples" / "ci_pairs.json"
    if shipped.is_file():
        return json.loads(shipped.read_text())
    from tests.training_pairs import PAIRS, as_dicts

    return as_dicts(PAIRS)


def ours_batches(examples: list[EncodedExample], batch_size: int, epochs: float) -> list[list[int]]:
    plan = plan_dataset([{"id": i + 1} for i in range(len(examples))], None, 0.0, 0.0, seed=0)
    return batch_plan(plan, [len(e.input_ids) for e in examples], batch_size, epochs)


def run_ours(model, examples, pad_id: int, batch_size: int, lr: float, epochs: float, steps: int | None) -> dict:
    """This trainer's loop as `make train` runs it (frozen layers computed once; that time is counted)."""
    batches = ours_batches(examples, batch_size, epochs)
    batches = batches[:steps] if steps else batches
    started = time.perf_counter()
    frozen = frozen_bottom(model, examples, pad_id)
    cache_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as work:
        train_loop(model, examples, batches[:1], pad_id, lr, RunFolder(Path(work) / "warm"), 10**9, False, frozen)
        result = train_loop(model, examples, batches, pad_id, lr, RunFolder(Path(work)), 10**9, False, frozen)
    seconds = result.seconds + cache_s
    return {
        "steps": result.steps,
        "real_tokens": result.real_tokens,
        "seconds": round(seconds, 2),
        "frozen_layers_cache_s": round(cache_s, 2),
        "tok_s": round(result.real_tokens / seconds, 1),
        "final_train_loss": result.losses[-1],
    }


def throughput(
    base: Path, examples, pad_id: int, steps: int, settings: TrainerSettings, same_targets: bool = False
) -> dict:
    """Seed steps and this trainer's steps alternate, so a load change on the shared machine hits both alike.

    This trainer runs its default recipe (LoRA on all linear layers of the top TRAIN_LORA_LAYERS layers, the frozen
    layers below computed once: that one-off cost is counted in its time), or with `same_targets` the seed's
    q_proj/v_proj on every layer, which isolates the engineering from the recipe."""
    seed_m = seed_model(base)
    seed_params = [p for p in seed_m.parameters() if p.requires_grad]
    seed_opt = torch.optim.AdamW(seed_params, lr=SEED_LR)
    seed_sched = linear_schedule(seed_opt, 10**6)
    ours_dtype = dtype_for(settings.train_dtype)
    targets, layers = (SEED_TARGETS, 0) if same_targets else (settings.train_lora_targets, settings.train_lora_layers)
    ours_m = load_for_training(base, ours_dtype, None, 16, 32, settings.train_lora_dropout, targets, layers)
    ours_masters = MasterWeights(trainable_parameters(ours_m))
    ours_opt = torch.optim.AdamW(ours_masters.values(), lr=1e-4)
    ours_sched = linear_schedule(ours_opt, 10**6)
    started = time.perf_counter()
    frozen = frozen_bottom(ours_m, examples, pad_id)
    cache_s = time.perf_counter() - started
    seed_indices = torch.randperm(len(examples), generator=torch.Generator().manual_seed(0)).tolist()
    per_seed_step = SEED_BATCH * SEED_ACCUM
    ours_plan = ours_batches(examples, settings.train_batch_size, 100)
    totals = {"seed": [0, 0.0], "ours": [0, cache_s]}
    for step in range(steps + 1):  # step 0 warms both up and is not counted
        chunk = [seed_indices[(step * per_seed_step + i) % len(examples)] for i in range(per_seed_step)]
        started = time.perf_counter()
        tokens = seed_step(seed_m, examples, chunk, pad_id, seed_opt, seed_sched)
        if step:
            totals["seed"][0] += tokens
            totals["seed"][1] += time.perf_counter() - started
        batch = collate([examples[i] for i in ours_plan[step]], pad_id)
        started = time.perf_counter()
        bottom = frozen.batch(ours_plan[step], batch["input_ids"].shape[1]) if frozen else None
        training_step(ours_m, batch, ours_masters, ours_opt, ours_sched, bottom)
        if step:
            totals["ours"][0] += int(batch["attention_mask"].sum())
            totals["ours"][1] += time.perf_counter() - started
    result = {
        name: {"steps": steps, "real_tokens": tokens, "seconds": round(seconds, 2), "tok_s": round(tokens / seconds, 1)}
        for name, (tokens, seconds) in totals.items()
    }
    return {
        "lora_targets": targets,
        "lora_layers": lora_hyperparameters(ours_m)["lora_layers"],
        "frozen_layers_cache_s": round(cache_s, 2),
        "seed_recipe": result["seed"],
        "this_trainer": {**result["ours"], "batch_size": settings.train_batch_size, "dtype": str(ours_dtype)[6:]},
        "throughput_ratio": round(result["ours"]["tok_s"] / result["seed"]["tok_s"], 2),
    }


def reproduced(model, tokenizer, pairs: list[dict[str, str]]) -> int:
    """Trained pairs whose resolution greedy decoding gives back exactly."""
    model.eval()
    answers = []
    for start in range(0, len(pairs), 16):  # `generate` on the training model: both recipes decoded alike
        answers += generate_answers(model, tokenizer, [p["issue"] for p in pairs[start : start + 16]], 96)
    return sum(answer == p["resolution"] for answer, p in zip(answers, pairs, strict=True))


def equal_wall_time(
    base: Path, tokenizer, train_pairs, held_out_pairs, seed_step_s: float, epochs: float, count_reproduced: bool
) -> dict:
    """This trainer's default recipe (with `epochs`) to completion, then the seed's recipe for the same training
    seconds; both scored by answer loss on held-out pairs (and by how many trained answers they give back)."""
    eot, pad_id = end_of_turn_id(tokenizer), tokenizer.pad_token_id
    train = [encode_example(tokenizer, p["issue"], p["resolution"], 256, eot) for p in train_pairs]
    held_out = [encode_example(tokenizer, p["issue"], p["resolution"], 256, eot) for p in held_out_pairs]
    settings = TrainerSettings(_env_file=None)
    model = load_for_training(
        base,
        dtype_for(settings.train_dtype),
        None,
        settings.train_lora_r,
        settings.train_lora_alpha,
        settings.train_lora_dropout,
        settings.train_lora_targets,
        settings.train_lora_layers,
    )
    base_loss = round(mean_loss(model.eval(), held_out, pad_id, 8), 4)  # fresh LoRA (B = 0) = the base model
    ours = run_ours(model.train(), train, pad_id, settings.train_batch_size, settings.train_learning_rate, epochs, None)
    ours["held_out_loss"] = round(mean_loss(model.eval(), held_out, pad_id, 8), 4)
    if count_reproduced:
        ours["train_pairs_reproduced"] = reproduced(model, tokenizer, train_pairs)
    del model
    budget = ours["seconds"]
    seed_m = seed_model(base)
    seed = run_seed(seed_m, train, pad_id, None, budget, plan_steps=max(1, round(budget / seed_step_s)))
    seed["held_out_loss"] = round(mean_loss(seed_m.eval(), held_out, pad_id, 8), 4)
    if count_reproduced:
        seed["train_pairs_reproduced"] = reproduced(seed_m, tokenizer, train_pairs)
    return {
        "epochs": epochs,
        "train_pairs": len(train),
        "held_out_pairs": len(held_out),
        "base_held_out_loss": base_loss,
        "this_trainer": ours,
        "seed_recipe": seed,
        "held_out_loss_ratio": round(ours["held_out_loss"] / seed["held_out_loss"], 3),
    }


def rss_gib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 2**20, 2)
    return 0.0


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so the peak that follows belongs to training alone."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def big_model_run(which: str, steps: int, examples_json: str) -> dict:
    """In its own process (clean peak RSS): a random-init Llama-3.2-1B-shape model, `steps` timed steps."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, LlamaConfig

    configure_threads(0)
    raw = json.loads(Path(examples_json).read_text())
    examples = [EncodedExample(e["input_ids"], e["labels"]) for e in raw]
    dtype = torch.float32 if which == "seed" else dtype_for("auto")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(LlamaConfig(**LLAMA_1B_SHAPE), dtype=dtype)
    model.config.use_cache = False
    if which == "seed":
        targets, config = (
            ["q_proj", "v_proj"],
            LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules=["q_proj", "v_proj"]),
        )
    else:  # the default recipe: every linear layer of the top TRAIN_LORA_LAYERS layers
        settings = TrainerSettings(_env_file=None)
        layers = LLAMA_1B_SHAPE["num_hidden_layers"]
        targets = linear_module_names(model)
        top = list(range(max(0, layers - settings.train_lora_layers), layers)) if settings.train_lora_layers else None
        config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=targets, layers_to_transform=top)
    model = get_peft_model(model, config)
    for parameter in model.parameters():
        if parameter.requires_grad:
            parameter.data = parameter.data.to(dtype)  # as load_for_training: fp32 masters live in the optimizer
    after_init_gib = rss_gib("VmRSS")
    reset_peak_rss()
    if which == "seed":
        result = run_seed(model, examples, 2, steps, None, plan_steps=steps + 1)
    else:
        result = run_ours(model, examples, 2, settings.train_batch_size, settings.train_learning_rate, 100, steps)
        result["lora_layers"] = len(top) if top else layers
    result["lora_targets"] = targets if isinstance(targets, str) else ",".join(targets)
    result["rss_after_init_gib"] = after_init_gib
    result["training_peak_rss_gib"] = rss_gib("VmHWM")  # peak since the reset: the steps, not the random init
    result["process_peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    return result


def big_model(examples: list[EncodedExample], steps: int) -> dict:
    results = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump([{"input_ids": e.input_ids, "labels": e.labels} for e in examples], handle)
        handle.flush()
        for which in ("seed", "ours"):
            command = [
                sys.executable,
                __file__,
                "--big-one",
                which,
                "--big-steps",
                str(steps),
                "--examples",
                handle.name,
            ]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results["seed_recipe" if which == "seed" else "this_trainer"] = json.loads(output.strip().splitlines()[-1])
    results["throughput_ratio"] = round(results["this_trainer"]["tok_s"] / results["seed_recipe"]["tok_s"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="timed optimizer steps per recipe (throughput)")
    parser.add_argument("--big-steps", type=int, default=2, help="timed steps on the 1B-shape model")
    parser.add_argument("--skip-big", action="store_true", help="skip the 1B-shape model")
    parser.add_argument("--skip-quality", action="store_true", help="skip the equal-wall-time comparison")
    parser.add_argument("--quality-pairs", type=int, default=16, help="training pairs of the equal-time comparison")
    parser.add_argument("--short-epochs", type=float, default=2, help="epochs of the short (generalising) recipe")
    parser.add_argument("--skip-fp32", action="store_true", help="skip the forced-fp32 throughput run")
    parser.add_argument("--big-one", choices=("seed", "ours"), help=argparse.SUPPRESS)
    parser.add_argument("--examples", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_one:
        print(json.dumps(big_model_run(args.big_one, args.big_steps, args.examples)))
        return
    threads = configure_threads(0)
    base = REPO / DEFAULT_BASE_MODEL_PATH
    tokenizer = load_tokenizer(base)
    eot = end_of_turn_id(tokenizer)
    pairs = load_pairs()
    examples = [encode_example(tokenizer, p["issue"], p["resolution"], 256, eot) for p in pairs]
    pad_id = tokenizer.pad_token_id
    started = time.monotonic()
    settings = TrainerSettings(_env_file=None)
    report: dict = {
        "model": base.name,
        "pairs": len(pairs),
        "threads": threads,
        **cpu_report(),
        "base_dtype": str(dtype_for(settings.train_dtype)).removeprefix("torch."),
    }
    report["throughput"] = throughput(base, examples, pad_id, args.steps, settings)
    report["throughput_ratio"] = report["throughput"]["throughput_ratio"]
    report["same_targets_throughput"] = throughput(base, examples, pad_id, args.steps, settings, same_targets=True)
    report["same_targets_throughput_ratio"] = report["same_targets_throughput"]["throughput_ratio"]
    if report["base_dtype"] == "float32":
        report["fp32_throughput_ratio"] = report["throughput_ratio"]
    elif not args.skip_fp32:  # the path of CPUs without native bf16, measured here too
        fp32 = throughput(base, examples, pad_id, args.steps, settings.model_copy(update={"train_dtype": "float32"}))
        report["fp32_throughput"] = fp32
        report["fp32_throughput_ratio"] = fp32["throughput_ratio"]
    if not args.skip_quality:
        held_out, train = pairs[::6], [p for i, p in enumerate(pairs) if i % 6][: args.quality_pairs]
        seed_step_s = report["throughput"]["seed_recipe"]["seconds"] / report["throughput"]["seed_recipe"]["steps"]
        default_epochs = TrainerSettings(_env_file=None).train_epochs
        report["equal_wall_time"] = {
            "default_recipe": equal_wall_time(base, tokenizer, train, held_out, seed_step_s, default_epochs, True),
            "short_recipe": equal_wall_time(base, tokenizer, train, held_out, seed_step_s, args.short_epochs, False),
        }
        for name in ("default_recipe", "short_recipe"):
            report[f"{name}_held_out_loss_ratio"] = report["equal_wall_time"][name]["held_out_loss_ratio"]
    if not args.skip_big:
        report["llama_1b_shape"] = big_model(examples[:16], args.big_steps)
        report["llama_1b_shape_throughput_ratio"] = report["llama_1b_shape"]["throughput_ratio"]
    report["bench_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
