"""Loading the model to train (fresh LoRA on the base, or a parent's adapter, trainable) and the answer-only loss."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from transformers import DynamicCache

from resolver_core.base_model import load_base_model
from resolver_core.prompt import IGNORE_INDEX

log = logging.getLogger(__name__)
# Measured on this CPU (bf16, 8 rows × ~130 tokens): SDPA's flash-attention backward cost 4× eager's matmuls.
TRAINING_ATTENTION = "eager"
MIN_SHARED_PREFIX = 8  # shorter shared prefixes are not worth a separate forward pass


def lora_target_modules(setting: str) -> str | list[str]:
    if setting.strip() == "all-linear":
        return "all-linear"
    return [name.strip() for name in setting.split(",") if name.strip()]


def load_for_training(
    base_path: Path,
    dtype: torch.dtype,
    parent_dir: Path | None,
    lora_r: int,
    lora_alpha: int,
    lora_dropout: float,
    lora_targets: str,
) -> Any:
    """The frozen base and the trainable LoRA weights (the parent's adapter, or a fresh one) in `dtype`."""
    from peft import LoraConfig, PeftModel, get_peft_model

    base = load_base_model(base_path, dtype)
    base.set_attn_implementation(TRAINING_ATTENTION)
    base.config.use_cache = False
    if parent_dir is not None:
        # is_trainable=True: without it the adapter loads frozen and backward fails ("does not require grad").
        model = PeftModel.from_pretrained(base, str(parent_dir), is_trainable=True)
    else:
        config = LoraConfig(
            r=lora_r,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            target_modules=lora_target_modules(lora_targets),
            bias="none",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(base, config)
    for parameter in trainable_parameters(model).values():
        parameter.data = parameter.data.to(dtype)  # computes like the base; fp32 masters live in the optimizer
    if not trainable_parameters(model):
        raise RuntimeError("the model has no trainable LoRA parameters; check TRAIN_LORA_TARGETS")
    return model


def trainable_parameters(model: Any) -> dict[str, torch.nn.Parameter]:
    return {name: p for name, p in model.named_parameters() if p.requires_grad}


def lora_hyperparameters(model: Any) -> dict[str, Any]:
    """The adapter's actual shape (a continued run inherits its parent's r, alpha and targets)."""
    config = model.peft_config["default"]
    targets = config.target_modules
    return {
        "lora_r": config.r,
        "lora_alpha": config.lora_alpha,
        "lora_dropout": config.lora_dropout,
        "lora_targets": sorted(targets) if isinstance(targets, set | list) else targets,
    }


def shared_prefix_length(batch: dict[str, torch.Tensor]) -> int:
    """Leading columns that every row has in common and that predict no label (the template + system message)."""
    input_ids, labels, mask = batch["input_ids"], batch["labels"], batch["attention_mask"]
    if input_ids.shape[0] < 2:
        return 0
    same = (input_ids == input_ids[:1]).all(0) & mask.bool().all(0)
    no_label_next = torch.ones_like(same)
    no_label_next[:-1] = (labels[:, 1:] == IGNORE_INDEX).all(0)
    shared = int(torch.cumprod((same & no_label_next).long(), 0).sum())
    return shared if shared >= MIN_SHARED_PREFIX else 0


def answer_loss(
    model: Any, batch: dict[str, torch.Tensor], share_prefix: bool = True, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Mean cross-entropy over the labelled (answer + end-of-turn) tokens of the batch.

    Two savings, both exact up to rounding: the prompt prefix every row shares (chat template + system message,
    about half of each example) runs once per batch and its keys/values are repeated for every row; and the
    vocabulary projection runs only on the positions that predict a label.
    """
    causal_lm = model.get_base_model()
    decoder = causal_lm.get_decoder()
    input_ids, labels = batch["input_ids"], batch["labels"]
    shared = shared_prefix_length(batch) if share_prefix else 0
    cache = None
    if shared:
        cache = DynamicCache(config=decoder.config)
        decoder(input_ids=input_ids[:1, :shared], cache=cache, use_cache=True)
        cache.batch_repeat_interleave(input_ids.shape[0])  # differentiable: gradients sum back into the prefix
    hidden = decoder(
        input_ids=input_ids[:, shared:], attention_mask=batch["attention_mask"], cache=cache, use_cache=shared > 0
    ).last_hidden_state
    targets = labels[:, shared + 1 :]
    selected = targets != IGNORE_INDEX
    logits = causal_lm.get_output_embeddings()(hidden[:, :-1][selected]).float()
    return F.cross_entropy(logits, targets[selected], label_smoothing=label_smoothing)
