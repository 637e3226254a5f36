"""One-screen summaries: the end of a training run, and the list of versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resolver_core import registry


def _score(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_summary(manifest: dict[str, Any]) -> str:
    data, metrics, training = manifest["dataset"], manifest["metrics"], manifest["training"]
    hyper = manifest["hyperparameters"]
    targets = hyper["lora_targets"]
    targets = ",".join(targets) if isinstance(targets, list) else targets
    before_name = "parent" if manifest.get("parent") else "base"
    before, after = metrics.get(before_name, {}), metrics["eval"]
    lines = [
        "",
        f"  version      {manifest['version']}   (parent: {manifest.get('parent') or 'none, from the base'})",
        f"  pairs        {data['total']} total: trained {data['new']} new + {data['replayed']} replayed, "
        f"{data['eval']} held out (highest id {data['max_pair_id']})",
        f"  recipe       LoRA r={hyper['lora_r']} alpha={hyper['lora_alpha']} on {targets}, "
        f"{hyper.get('lora_layers', 'all')} layers, lr {hyper['learning_rate_run']}, "
        f"{hyper['steps']} steps × batch {hyper['batch_size']}, "
        f"{hyper['frozen_base_dtype']} base",
        f"  train loss   {_score(metrics['train_loss_first'])} → {_score(metrics['train_loss_last'])}",
        f"  held out     {'':10}{'eval loss':>10}{'token-F1':>10}{'ROUGE-L':>10}",
        f"    {before_name:10}{'':10}{_score(before.get('eval_loss')):>10}{_score(before.get('token_f1')):>10}"
        f"{_score(before.get('rouge_l')):>10}",
        f"    {'this':10}{'':10}{_score(after.get('eval_loss')):>10}{_score(after.get('token_f1')):>10}"
        f"{_score(after.get('rouge_l')):>10}",
        f"  time         {training['seconds']:.0f} s training, {training['tokens_per_s']:.0f} tokens/s"
        + (f", resumed at step {training['resumed_from_step']}" if training["resumed_from_step"] else ""),
        f"  next         make deploy VERSION={manifest['version']}",
        "",
    ]
    return "\n".join(lines)


def render_versions(models_dir: Path) -> str:
    """One line per version, newest first: parent, pairs, held-out scores, aliases pointing at it."""
    versions = registry.list_versions(models_dir)
    if not versions:
        return f"no versions in {models_dir}: run `make train`"
    by_version: dict[str, list[str]] = {}
    for alias, version in registry.aliases(models_dir).items():
        by_version.setdefault(version, []).append(alias)
    header = f"{'version':18}{'parent':18}{'pairs':>6}{'new':>5}{'eval loss':>10}{'token-F1':>9}{'ROUGE-L':>9}  aliases"
    lines = [header]
    for version in reversed(versions):
        try:
            manifest = registry.read_manifest(models_dir / version)
        except (registry.RegistryError, ValueError) as error:
            lines.append(f"{version:18}unreadable manifest: {error}")
            continue
        data, scores = manifest.get("dataset", {}), manifest.get("metrics", {}).get("eval", {})
        lines.append(
            f"{version:18}{manifest.get('parent') or '-':18}{data.get('total', 0):>6}{data.get('new', 0):>5}"
            f"{_score(scores.get('eval_loss')):>10}{_score(scores.get('token_f1')):>9}"
            f"{_score(scores.get('rouge_l')):>9}  {', '.join(sorted(by_version.get(version, [])))}"
        )
    return "\n".join(lines)
