"""Loading the model to train (fresh LoRA on the base, or a parent's adapter, trainable) and the answer-only loss."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import DynamicCache

from resolver_core.base_model import load_base_model
from resolver_core.prompt import IGNORE_INDEX
from trainer.frozen_layers import BottomStates, run_layers

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
    lora_layers: int = 0,
) -> Any:
    """The frozen base and the trainable LoRA weights (the parent's adapter, or a fresh one) in `dtype`.

    `lora_layers` > 0 adapts only the top that many decoder layers (a parent's adapter keeps its own layers)."""
    from peft import LoraConfig, PeftModel, get_peft_model

    base = load_base_model(base_path, dtype)
    base.set_attn_implementation(TRAINING_ATTENTION)
    base.config.use_cache = False
    if parent_dir is not None:
        # is_trainable=True: without it the adapter loads frozen and backward fails ("does not require grad").
        model = PeftModel.from_pretrained(base, str(parent_dir), is_trainable=True)
    else:
        layer_count = base.config.num_hidden_layers
        top = range(max(0, layer_count - lora_layers), layer_count) if 0 < lora_layers < layer_count else None
        targets = lora_target_modules(lora_targets)
        if top is not None and targets == "all-linear":  # peft takes layers_to_transform with a list of names only
            targets = linear_module_names(base)
        config = LoraConfig(
            r=lora_r,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            target_modules=targets,
            layers_to_transform=list(top) if top is not None else None,
            bias="none",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(base, config)
    for parameter in trainable_parameters(model).values():
        parameter.data = parameter.data.to(dtype)  # computes like the base; fp32 masters live in the optimizer
    if not trainable_parameters(model):
        raise RuntimeError("the model has no trainable LoRA parameters; check TRAIN_LORA_TARGETS")
    return model


def linear_module_names(base: Any) -> list[str]:
    """The linear projections of one decoder layer (what "all-linear" adapts), e.g. q_proj … down_proj."""
    layer = base.get_decoder().layers[0]
    return sorted({name.rsplit(".", 1)[-1] for name, module in layer.named_modules() if isinstance(module, nn.Linear)})


def trainable_parameters(model: Any) -> dict[str, torch.nn.Parameter]:
    return {name: p for name, p in model.named_parameters() if p.requires_grad}


def lora_hyperparameters(model: Any) -> dict[str, Any]:
    """The adapter's actual shape (a continued run inherits its parent's r, alpha and targets)."""
    config = model.peft_config["default"]
    targets = config.target_modules
    layers = config.layers_to_transform
    return {
        "lora_layers": len(layers) if layers else model.get_base_model().config.num_hidden_layers,
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
    model: Any,
    batch: dict[str, torch.Tensor],
    share_prefix: bool = True,
    label_smoothing: float = 0.0,
    bottom: BottomStates | None = None,
) -> torch.Tensor:
    """Mean cross-entropy over the labelled (answer + end-of-turn) tokens of the batch.

    Savings, all exact up to rounding: the vocabulary projection runs only on the positions that predict a label;
    with `bottom` (the hidden states entering the lowest adapted layer, see trainer/frozen_layers.py) only the
    adapted layers run; and the prompt prefix every row shares (chat template + system message, about half of each
    example) runs once per batch, its keys/values repeated for every row.
    """
    causal_lm = model.get_base_model()
    decoder = causal_lm.get_decoder()
    labels = batch["labels"]
    shared = shared_prefix_length(batch) if share_prefix else 0
    if bottom is not None:
        layers, mask = len(decoder.layers), batch["attention_mask"]
        hidden = decoder.norm(run_layers(decoder, bottom.hidden, mask, bottom.first, layers, shared))
    else:
        hidden = _full_forward(decoder, batch, shared)
    targets = labels[:, shared + 1 :]
    selected = targets != IGNORE_INDEX
    logits = causal_lm.get_output_embeddings()(hidden[:, :-1][selected]).float()
    return F.cross_entropy(logits, targets[selected], label_smoothing=label_smoothing)


def _full_forward(decoder: Any, batch: dict[str, torch.Tensor], shared: int) -> torch.Tensor:
    """Every layer; the first `shared` columns once (returned hidden states start after them)."""
    input_ids = batch["input_ids"]
    cache = None
    if shared:
        cache = DynamicCache(config=decoder.config)
        decoder(input_ids=input_ids[:1, :shared], cache=cache, use_cache=True)
        cache.batch_repeat_interleave(input_ids.shape[0])  # differentiable: gradients sum back into the prefix
    return decoder(
        input_ids=input_ids[:, shared:], attention_mask=batch["attention_mask"], cache=cache, use_cache=shared > 0
    ).last_hidden_state
