"""fp32 master weights for a model whose trainable LoRA weights compute in bf16.

With the frozen base in bf16, LoRA weights in bf16 too keep every activation bf16 (no fp32 copy of each LoRA
input): faster steps with LoRA on all linear layers, and less memory. The optimizer steps fp32
copies, so small updates are not rounded away; the model's weights are refreshed from them after each step.
"""

from __future__ import annotations

import torch


class MasterWeights:
    def __init__(self, parameters: dict[str, torch.nn.Parameter]) -> None:
        self.model_parameters = parameters
        self.masters = {
            name: p if p.dtype == torch.float32 else torch.nn.Parameter(p.detach().float().clone())
            for name, p in parameters.items()
        }

    def values(self) -> list[torch.nn.Parameter]:
        return list(self.masters.values())

    def pull_gradients(self) -> None:
        for name, parameter in self.model_parameters.items():
            master = self.masters[name]
            if master is not parameter:
                master.grad = parameter.grad.float() if parameter.grad is not None else None
                parameter.grad = None

    @torch.no_grad()
    def push_weights(self) -> None:
        for name, parameter in self.model_parameters.items():
            if self.masters[name] is not parameter:
                parameter.copy_(self.masters[name])

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {name: master.detach().contiguous() for name, master in self.masters.items()}

    @torch.no_grad()
    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        if set(tensors) != set(self.masters):
            raise ValueError("the checkpoint's LoRA weights do not match this model's")
        for name, tensor in tensors.items():
            self.masters[name].copy_(tensor)
        self.push_weights()

    @torch.no_grad()
    def install_in_model(self) -> None:
        """Give the model the fp32 weights themselves (for evaluation and the saved adapter)."""
        for name, parameter in self.model_parameters.items():
            parameter.data = self.masters[name].detach().clone()
