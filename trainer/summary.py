"""One-screen summaries: the end of a training run, and the list of versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resolver_core.manifest import Manifest
from resolver_core.versions import version_summaries


def _score(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_summary(manifest: Manifest) -> str:
    data, metrics, training, hyper = manifest.dataset, manifest.metrics, manifest.training, manifest.hyperparameters
    targets = hyper["lora_targets"]
    targets = ",".join(targets) if isinstance(targets, list) else targets
    before_name = "parent" if manifest.parent else "base"
    before, after = metrics.before(before_name), metrics.eval
    lines = [
        "",
        f"  version      {manifest.version}   (parent: {manifest.parent or 'none, from the base'})",
        f"  pairs        {data.total} total: trained {data.new} new + {data.replayed} replayed, "
        f"{data.eval} held out (highest id {data.max_pair_id}); {data.from_feedback} from VM2 "
        f"feedback ({data.new_from_feedback} new)",
        f"  recipe       LoRA r={hyper['lora_r']} alpha={hyper['lora_alpha']} on {targets}, "
        f"{hyper.get('lora_layers', 'all')} layers, lr {hyper['learning_rate_run']}, "
        f"{hyper['steps']} steps × batch {hyper['batch_size']}, "
        f"{hyper['frozen_base_dtype']} base",
        f"  train loss   {_score(metrics.train_loss_first)} → {_score(metrics.train_loss_last)}",
        f"  held out     {'':10}{'eval loss':>10}{'token-F1':>10}{'ROUGE-L':>10}",
        f"    {before_name:10}{'':10}{_score(before.get('eval_loss')):>10}{_score(before.get('token_f1')):>10}"
        f"{_score(before.get('rouge_l')):>10}",
        f"    {'this':10}{'':10}{_score(after.get('eval_loss')):>10}{_score(after.get('token_f1')):>10}"
        f"{_score(after.get('rouge_l')):>10}",
        *_reworded_lines(manifest),
        *_log_lines(manifest),
        *_gguf_lines(manifest),
        f"  time         {training.seconds:.0f} s training, {training.tokens_per_s:.0f} tokens/s"
        + (f", resumed at step {training.resumed_from_step}" if training.resumed_from_step else ""),
        f"  next         make deploy VERSION={manifest.version}",
        "",
    ]
    return "\n".join(lines)


def _gguf_lines(manifest: Manifest) -> list[str]:
    gguf = manifest.gguf
    if gguf is None:
        return ["  gguf         none: served by the torch engine (TRAIN_GGUF=off or `make llamacpp` not run)"]
    lines = [f"  gguf         {gguf.file} ({gguf.quantization}): reworded answers above are llama.cpp's"]
    agreement = gguf.agreement
    if agreement:
        lines.append(
            f"    vs torch   {agreement.identical_answers:.0%} identical answers, known answer-F1 "
            f"{_score(agreement.known_answer_f1)} (torch {_score(agreement.torch_known_answer_f1)}), unknown "
            f"{_score(agreement.unknown_answer_f1)} (torch {_score(agreement.torch_unknown_answer_f1)})"
        )
    return lines


def _reworded_lines(manifest: Manifest) -> list[str]:
    reworded = manifest.metrics.reworded
    if not reworded:
        return []
    grounding, known_fix = manifest.grounding, reworded.known_fix
    lines = [f"  reworded     {'':10}{'answer-F1':>10}{'top-fix-F1':>11}{'served-F1':>10}{'hit@1':>7}"]
    for group, scores in (("known", reworded.known), ("unknown", reworded.unknown)):
        if scores.questions:
            lines.append(
                f"    {group + ' (' + str(scores.questions) + ')':20}{_score(scores.answer_f1):>10}"
                f"{_score(scores.top_fix_f1):>11}{_score(scores.served_f1):>10}{_score(scores.hit_at_1):>7}"
            )
    lines.append(
        f"  known_fix    precision {_score(known_fix.precision)}, recall {_score(known_fix.recall)}, "
        f"false on unknown {_score(known_fix.false_on_unknown)} "
        f"({grounding.closeness} ≥ {grounding.known_fix_threshold}, "
        f"{grounding.context_pairs} known pairs per prompt; policy close: {grounding.answer_policy}, "
        f"far: {grounding.far_policy}; {reworded.answered} of {reworded.questions} answered)"
    )
    return lines + _calibration_lines(manifest)


def _log_lines(manifest: Manifest) -> list[str]:
    logs = manifest.metrics.logs
    if logs is None:
        return []
    rates = logs.known_fix
    return [
        f"  whole logs   {logs.logs} made logs ({logs.known} known): signature recall {_score(logs.signature_recall)}, "
        f"hit@1 {_score(logs.hit_at_1)}",
        f"    known_fix  threshold {logs.known_fix_threshold:.3f} (from {logs.threshold_from}): precision "
        f"{_score(rates.precision)}, recall {_score(rates.recall)}, false on unknown {_score(rates.false_on_unknown)}",
    ]


def _calibration_lines(manifest: Manifest) -> list[str]:
    calibration = manifest.grounding.calibration
    if calibration is None:
        return ["  calibration  on the reworded questions file alone (a version trained before calibration from pairs)"]
    policies = f"policy close from {calibration.close_policy_from}, far from {calibration.far_policy_from}"
    lines = [f"  calibration  {calibration.describe()}; {policies}"]
    warning = calibration.warning()
    return lines + ([f"  WARNING      {warning}"] if warning else [])


def render_versions(models_dir: Path) -> str:
    """One line per version, newest first: parent, pairs (all, new, from feedback), held-out scores, served
    token-F1 on reworded questions with and without a known pair, retrieval hit@1, the known-fix threshold and the
    known / unknown questions it was calibrated on ("!": see its warning in `make train`'s summary), aliases."""
    summaries = version_summaries(models_dir)
    if not summaries:
        return f"no versions in {models_dir}: run `make train`"
    header = (
        f"{'version':18}{'parent':18}{'pairs':>6}{'new':>5}{'fb':>4}{'eval loss':>10}{'token-F1':>9}{'ROUGE-L':>9}"
        f"{'known-F1':>9}{'unkn-F1':>8}{'hit@1':>6}{'thresh':>7}{'calibrated':>12}  aliases"
    )
    return "\n".join([header, *map(_version_line, summaries)])


def _calibrated_on(v: dict) -> str:
    """Known / unknown calibration questions ("?" before calibration was recorded), "!" when it warns."""
    if v["calibration_known"] is None:
        return "?"
    return f"{v['calibration_known']}k/{v['calibration_unknown']}u{'!' if v['calibration_warning'] else ''}"


def _version_line(v: dict) -> str:
    if "error" in v:
        return f"{v['version']:18}unreadable manifest: {v['error']}"
    return (
        f"{v['version']:18}{v['parent'] or '-':18}{v['pairs'] or 0:>6}{v['new_pairs'] or 0:>5}{v['from_feedback']:>4}"
        f"{_score(v['eval_loss']):>10}{_score(v['eval_token_f1']):>9}{_score(v['eval_rouge_l']):>9}"
        f"{_score(v['known_served_f1']):>9}{_score(v['unknown_served_f1']):>8}{_score(v['hit_at_1']):>6}"
        f"{_score(v['known_fix_threshold']):>7}{_calibrated_on(v):>12}  {', '.join(v['aliases'])}"
    )
