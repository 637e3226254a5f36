"""Data-parallel training under torchrun: every process takes its share of each global batch, LoRA gradients are
summed across processes, and only the first process (rank 0) touches the work folder and models/.

`torchrun --nproc-per-node N -m trainer train` sets RANK / WORLD_SIZE / LOCAL_WORLD_SIZE; without them this is a
world of one and nothing below does any communication. Backend: gloo on CPU, nccl with CUDA."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_size: int = 1  # processes on this machine (they share its cores)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, indices: list[int]) -> list[int]:
        """This process's rows of a global batch (every row goes to exactly one process)."""
        return indices[self.rank :: self.size]

    def sum_gradients(self, parameters: list[torch.nn.Parameter]) -> None:
        """Each gradient becomes the sum over processes (a process with no rows this step adds zeros)."""
        if self.size == 1:
            return
        import torch.distributed as dist

        for parameter in parameters:
            if parameter.grad is None:
                parameter.grad = torch.zeros_like(parameter)
            dist.all_reduce(parameter.grad)

    def sum(self, value: torch.Tensor) -> torch.Tensor:
        if self.size == 1:
            return value
        import torch.distributed as dist

        value = value.clone()
        dist.all_reduce(value)
        return value

    def same_everywhere(self, parameters: list[torch.nn.Parameter]) -> None:
        """Rank 0's values in every process (the starting weights)."""
        if self.size == 1:
            return
        import torch.distributed as dist

        with torch.no_grad():
            for parameter in parameters:
                dist.broadcast(parameter.data, 0)

    def from_main(self, value: Any) -> Any:
        """Rank 0's `value` in every process (e.g. the pairs it read, so all train on the same data)."""
        if self.size == 1:
            return value
        import torch.distributed as dist

        box = [value if self.is_main else None]
        dist.broadcast_object_list(box, 0)
        return box[0]

    def leave(self) -> None:
        if self.size > 1:
            import torch.distributed as dist

            dist.destroy_process_group()


SINGLE = World()


def join_world() -> World:
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return SINGLE
    import torch.distributed as dist

    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    world = World(dist.get_rank(), size, int(os.environ.get("LOCAL_WORLD_SIZE", size)))
    log.info("joined the training world", extra={"rank": world.rank, "world_size": world.size})
    return world
