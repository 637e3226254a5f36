"""Matrix products whose result for a row does not depend on how many rows share the product.

A CPU GEMM library picks its kernel, blocking and thread split from the problem's shape: for one row MKL's fp32
path takes a GEMV whose rounding differs from the GEMM several rows take, and on AVX2 even 2, 3 or 7 rows round
differently from 16 (measured). For a fixed shape, though, every row is computed alike, whatever its index and
whatever the other rows hold. So each product is run at a fixed row count, the engine's step size: a step with
fewer rows is padded. Padding is nearly free where decode is memory-bound (bf16 on AMX) and costs compute where it
is not (fp32 through MKL): to save that, a smaller row count is used whenever it was checked, at construction, to
give every row exactly what the full shape gives (same kernel, same rounding).

Weights are pre-packed once for oneDNN where this torch build and CPU allow it. Measured: oneDNN's product gives
identical rows at every row count, fp32 and bf16, with AVX-512/AMX and with AVX2 alike (so nothing is padded),
and beats F.linear from 4 rows up (F.linear re-packs bf16 weights on every call: ~20-35% of a decode step). The
packing op is private: where it is missing or refuses the CPU (bf16 without AVX512-BF16/AVX-NE-CONVERT), plain
F.linear is used, padded as above.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F

log = logging.getLogger(__name__)

_warned_unpacked = False


def _packed_product(weight: torch.Tensor, bias: torch.Tensor | None, rows_hint: int) -> Callable | None:
    """oneDNN's pre-packed product, or None where this torch build or CPU cannot run it."""
    global _warned_unpacked
    if weight.dtype not in (torch.float32, torch.bfloat16) or not torch.backends.mkldnn.is_available():
        return None
    try:
        packed = torch.ops.mkldnn._reorder_linear_weight(weight, rows_hint)
        probe = torch.zeros(1, weight.shape[1], dtype=weight.dtype)
        torch.ops.mkldnn._linear_pointwise(probe, packed, bias, "none", [], "")
    except (RuntimeError, AttributeError) as error:
        if not _warned_unpacked:
            log.warning(
                "oneDNN weight packing is unavailable here; using F.linear at a fixed row count",
                extra={"dtype": str(weight.dtype), "reason": str(error).splitlines()[0]},
            )
            _warned_unpacked = True
        return None
    return lambda x: torch.ops.mkldnn._linear_pointwise(x, packed, bias, "none", [], "")


class Linear:
    """y = x W^T (+ b), computed at a fixed row count `step_rows` (or a smaller one proven to round the same)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, step_rows: int) -> None:
        self.step_rows = step_rows
        packed = _packed_product(weight, bias, step_rows)
        self.packed = packed is not None
        # Only the product holds the weights: the packed copy, or the plain tensor F.linear needs (never both).
        self._product = packed or partial(F.linear, weight=weight, bias=bias)
        self.row_counts = exact_row_counts(self._product, weight, step_rows, self.packed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.shape[0]
        if rows > self.step_rows:  # prefill: one request alone, the same shape whatever else is running
            return self._product(x)
        padded = next(count for count in self.row_counts if count >= rows)
        if padded == rows:
            return self._product(x)
        return self._product(F.pad(x, (0, 0, 0, padded - rows)))[:rows]


_CANDIDATE_ROWS = (1, 2, 4, 8)
_row_count_cache: dict[tuple, tuple[int, ...]] = {}


def exact_row_counts(product: Callable, weight: torch.Tensor, step_rows: int, packed: bool) -> tuple[int, ...]:
    """Row counts (ascending, ending with `step_rows`) at which `product` gives each row exactly the bits it
    gives at `step_rows` rows. Checked on random rows: a different kernel or reduction order shows in some of
    the rows × outputs values. Cached per shape, dtype and thread count."""
    key = (tuple(weight.shape), weight.dtype, step_rows, torch.get_num_threads(), packed)
    if key not in _row_count_cache:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(step_rows, weight.shape[1], generator=generator).to(weight.dtype)
        with torch.inference_mode():
            reference = product(x)
            counts = [m for m in _CANDIDATE_ROWS if m < step_rows and torch.equal(product(x[:m]), reference[:m])]
        _row_count_cache[key] = (*counts, step_rows)
    return _row_count_cache[key]
