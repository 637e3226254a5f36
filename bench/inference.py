"""Inference speed: this server's engine vs the seed's path, one stream and 8 concurrent clients; the 1B shape.

All in one process run on one machine, interleaved request by request so both sides see the same load:
- seed path: base + PeftModel adapter *unmerged*, fp32, `model.generate`, one request at a time (as the seed serves);
- engine: the adapter merged, the dtype INFERENCE_DTYPE=auto picks, the server's own decode loop and scheduler;
  then again with fp32 forced (the path of CPUs without native bf16): the `fp32_*` fields.
Two single-stream measurements:
- answers (single_stream_ratio): real questions, each side stopping at end of turn, greedy; half are issues from
  the version's dataset snapshot, half samples/paraphrases.json questions; the engine uses its retrieval drafts as
  the server does (they never change an answer, only how many tokens one step confirms);
- raw decode (raw_decode_ratio): exactly --tokens tokens per request, end of turn ignored, no drafts.
concurrent_ratio: --clients threads × 2 fixed-length requests on the engine vs the same engine one at a time.
Also decode-step times fp32 vs bf16 at 1 and 8 rows (the measurement behind `auto`) and a random-init model of
Llama-3.2-1B's shape (decode tok/s, peak RSS; own process). Retrieval is measured by bench/retrieval.py.
Usage: python bench/inference.py [--tokens 64] [--requests 8] [--version latest] [--skip-1b] [--skip-fp32]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: what `make serve-inference` runs with

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.shapes import llama_1b_config  # noqa: E402
from decoding.decoder import LlamaDecoder  # noqa: E402
from decoding.protocol import GenerationRequest  # noqa: E402
from inference.loading import BaseFingerprints, load_served_model  # noqa: E402
from resolver_core import base_model, registry  # noqa: E402
from resolver_core.cpu import cpu_report, dtype_for  # noqa: E402
from resolver_core.prompt import encode_prompt  # noqa: E402
from resolver_core.settings import InferenceSettings  # noqa: E402

SAMPLES = REPO / "samples"


def adapter_version(settings: InferenceSettings, name: str, scratch: Path) -> tuple[InferenceSettings, str, str]:
    """The trained version to serve, or (none trained yet) an untrained LoRA adapter: speed doesn't depend on it."""
    try:
        return settings, registry.resolve_version(settings.models_dir, name), "trained"
    except registry.RegistryError:
        pass
    from peft import LoraConfig, get_peft_model

    from resolver_core.manifest import BaseFingerprint, Manifest, TokenizerInfo
    from resolver_core.prompt import template_fingerprint

    model = get_peft_model(
        base_model.load_base_model(settings.base_model_path, torch.float32),
        LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM", init_lora_weights=False),
    )
    version = registry.new_version_id(scratch)
    staging = registry.staging_dir(scratch, version)
    model.save_pretrained(staging)
    (staging / "README.md").unlink(missing_ok=True)
    tokenizer = base_model.load_tokenizer(settings.base_model_path)
    manifest = Manifest(
        version=version,
        base_model=BaseFingerprint(**base_model.fingerprint(settings.base_model_path)),
        tokenizer=TokenizerInfo(template_sha256=template_fingerprint(tokenizer)),
    )
    registry.write_manifest(staging, manifest)
    registry.publish_version(scratch, version)
    return settings.model_copy(update={"models_dir": scratch}), version, "untrained all-linear r16 (timing only)"


def seed_path(settings: InferenceSettings, folder: Path):
    from peft import PeftModel

    base = base_model.load_base_model(settings.base_model_path, torch.float32)
    model = PeftModel.from_pretrained(base, str(folder)).eval()

    def generate(prompt_ids: list[int], tokens: int, stop_id: int | None = None) -> tuple[float, int]:
        """Seconds and tokens generated; exactly `tokens` unless `stop_id` ends the answer first."""
        started = time.perf_counter()
        fixed = {"min_new_tokens": tokens} if stop_id is None else {"eos_token_id": stop_id}
        with torch.inference_mode():
            out = model.generate(
                torch.tensor([prompt_ids]),
                max_new_tokens=tokens,
                do_sample=False,
                pad_token_id=0,
                attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
                **fixed,
            )
        new = out[0, len(prompt_ids) :].tolist()
        count = new.index(stop_id) if stop_id is not None and stop_id in new else len(new)
        return time.perf_counter() - started, count

    return generate


def engine_request(engine, prompt_ids: list[int], tokens: int, drafts: list[list[int]] | None = None):
    """Seconds and tokens generated (fixed length when the engine has no stop ids)."""
    started = time.perf_counter()
    result = engine.generate(GenerationRequest(prompt_ids=prompt_ids, max_new_tokens=tokens, drafts=drafts or []))
    return time.perf_counter() - started, len(result.token_ids)


def answer_questions(served, count: int) -> list[str]:
    snapshot = [p["issue"] for p in served.similar.pairs]
    questions = json.loads((SAMPLES / "paraphrases.json").read_text())
    paraphrased = [q["query"] for q in questions if q["issue_index"] is not None]
    return snapshot[: count - count // 2] + paraphrased[: count // 2]


def single_stream(served, seed_generate, prompts, tokens: int, drafts=None, stop_id=None) -> dict[str, list]:
    """Interleaved seed/engine requests: seconds and token counts of each side."""
    seed, engine = [], []
    for index, prompt in enumerate(prompts):
        seed.append(seed_generate(prompt, tokens, stop_id))
        engine.append(engine_request(served.engine, prompt, tokens, drafts[index] if drafts else None))
    return {"seed": seed, "engine": engine}


def rate(runs: list[tuple[float, int]]) -> float:
    return sum(n for _, n in runs) / sum(s for s, _ in runs)


def step_times(merged, rows_list=(1, 8, 16), steps=12) -> dict[str, float]:
    """Median decode-step time (ms) per dtype and rows in the step (the decoder's fixed shape is 16 rows, as the
    server's default): what padding to a fixed shape costs, and whether bf16 pays on this CPU."""
    out = {}
    for dtype in (torch.float32, torch.bfloat16):
        decoder = LlamaDecoder(merged, dtype, slots=8, max_positions=256, step_rows=16)
        for rows in rows_list:
            tokens, positions = torch.zeros(rows, dtype=torch.long), torch.full((rows,), 60)
            slots = torch.arange(rows) % decoder.slots
            times = []
            for _ in range(steps):
                started = time.perf_counter()
                decoder.decode(tokens, positions, slots)
                times.append(time.perf_counter() - started)
            out[f"{str(dtype).removeprefix('torch.')}_rows{rows}_ms"] = round(statistics.median(times[2:]) * 1000, 1)
        del decoder
    return out


def llama_1b_shape(tokens: int) -> dict[str, float]:
    """Random-init Llama-3.2-1B shape through the engine's decoder, in the dtype `auto` picks here (own process,
    for peak RSS)."""
    from transformers import LlamaForCausalLM

    config = llama_1b_config()
    dtype = dtype_for("auto")
    torch.set_default_dtype(dtype)
    model = LlamaForCausalLM(config).eval()
    torch.set_default_dtype(torch.float32)
    decoder = LlamaDecoder(model, dtype, slots=8, max_positions=512)
    del model
    result: dict[str, object] = {"llama1b_shape_dtype": str(dtype).removeprefix("torch.")}
    steps = max(4, tokens // 4)
    for rows in (1, 8):
        decoder.prefill(0, list(range(1, 40)))
        inputs, positions = torch.ones(rows, dtype=torch.long), torch.full((rows,), 40)
        decoder.decode(inputs, positions)
        started = time.perf_counter()
        for step in range(steps):
            decoder.decode(inputs, positions + step)
        seconds = time.perf_counter() - started
        result[f"llama1b_shape_decode_rows{rows}_tok_s"] = round(rows * steps / seconds, 2)
    result["llama1b_shape_peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    return result


def measure(settings: InferenceSettings, version: str, args: argparse.Namespace) -> tuple[dict, Path]:
    """One dtype's figures: answers and raw decode vs the seed's path, and 8 concurrent clients."""
    served = load_served_model(settings, version, BaseFingerprints())
    seed_generate = seed_path(settings, served.folder)
    questions = answer_questions(served, args.requests)
    prompts = [encode_prompt(served.tokenizer, q) for q in questions]
    drafts = [[served.answering.answer_ids(s.resolution) for s in served.similar.search(q, 3)] for q in questions]
    seed_generate(prompts[0], 4), engine_request(served.engine, prompts[0], 4)  # warm-up both
    answers = single_stream(served, seed_generate, prompts, args.tokens, drafts, served.answering.end_of_turn)
    served.engine.stop_ids = set()  # fixed-length from here: tokens/s like for like
    issues = [p["issue"] for p in json.loads((SAMPLES / "ci_pairs.json").read_text())]
    fixed_prompts = [encode_prompt(served.tokenizer, issue) for issue in issues]
    raw = single_stream(served, seed_generate, fixed_prompts[: args.requests], args.tokens)
    work = fixed_prompts[: args.clients * 2]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(lambda p: engine_request(served.engine, p, args.tokens), work))
    concurrent_s = time.perf_counter() - started
    served.engine.stop()
    engine_tok_s = rate(raw["engine"])
    concurrent_tok_s = args.tokens * len(work) / concurrent_s
    return {
        "engine_dtype": served.dtype,
        "batch_invariant": served.batch_invariant,
        "answers": len(prompts),
        "answer_tokens_seed": sum(n for _, n in answers["seed"]),
        "answer_tokens_engine": sum(n for _, n in answers["engine"]),
        "seed_answer_tok_s": round(rate(answers["seed"]), 2),
        "seed_answer_latency_s": round(statistics.median(s for s, _ in answers["seed"]), 3),
        "engine_answer_tok_s": round(rate(answers["engine"]), 2),
        "engine_answer_latency_s": round(statistics.median(s for s, _ in answers["engine"]), 3),
        "single_stream_ratio": round(rate(answers["engine"]) / rate(answers["seed"]), 2),
        "tokens_per_request": args.tokens,
        "seed_raw_tok_s": round(rate(raw["seed"]), 2),
        "engine_raw_tok_s": round(engine_tok_s, 2),
        "raw_decode_ratio": round(engine_tok_s / rate(raw["seed"]), 2),
        "concurrent_clients": args.clients,
        "concurrent_tok_s": round(concurrent_tok_s, 2),
        "concurrent_ratio": round(concurrent_tok_s / engine_tok_s, 2),
        "concurrent_vs_seed_ratio": round(concurrent_tok_s / rate(raw["seed"]), 2),
    }, served.folder


FP32_FIELDS = (
    "engine_answer_tok_s",
    "single_stream_ratio",
    "engine_raw_tok_s",
    "raw_decode_ratio",
    "concurrent_tok_s",
    "concurrent_ratio",
    "concurrent_vs_seed_ratio",
    "batch_invariant",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64, help="tokens generated per request")
    parser.add_argument("--requests", type=int, default=8, help="requests per side (single stream)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--version", default="latest", help="version or alias under MODELS_DIR")
    parser.add_argument("--skip-1b", action="store_true", help="skip the Llama-3.2-1B-shape part")
    parser.add_argument("--skip-fp32", action="store_true", help="skip the forced-fp32 run (the AVX2 CPUs' path)")
    parser.add_argument("--only-1b", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_1b:
        print(json.dumps(llama_1b_shape(args.tokens)))
        return
    torch.manual_seed(0)
    settings = InferenceSettings.load().model_copy(
        # the torch engine against the seed's path (bench/engines.py compares it with llama.cpp)
        update={
            "inference_max_new_tokens": args.tokens,
            "inference_max_batch": args.clients,
            "inference_engine": "torch",
        }
    )
    report: dict = {"machine_cores": torch.get_num_threads(), **cpu_report()}
    with tempfile.TemporaryDirectory() as scratch:
        settings, version, report["adapter"] = adapter_version(settings, args.version, Path(scratch))
        figures, folder = measure(settings, version, args)
        report.update(figures)
        if figures["engine_dtype"] == "float32":
            report.update({f"fp32_{name}": figures[name] for name in FP32_FIELDS})
        elif not args.skip_fp32:
            fp32, _ = measure(settings.model_copy(update={"inference_dtype": "float32"}), version, args)
            report.update({f"fp32_{name}": fp32[name] for name in FP32_FIELDS})
        from decoding.build import merged_model

        steps = step_times(merged_model(settings.base_model_path, folder))
    report.update({f"decode_step_{k}": v for k, v in steps.items()})
    if not args.skip_1b:
        part = subprocess.run(
            [sys.executable, __file__, "--only-1b", "--tokens", str(args.tokens)],
            capture_output=True,
            text=True,
            check=True,
        )
        report.update(json.loads(part.stdout.strip().splitlines()[-1]))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
