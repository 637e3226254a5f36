"""Matrix products whose result for a row does not depend on how many rows share the product.

A CPU GEMM library picks its kernel, blocking and thread split from the problem's shape: for one row MKL's fp32
path takes a GEMV whose rounding differs from the GEMM several rows take, and on AVX2 even 2, 3 or 7 rows round
differently from 16 (measured). For a fixed shape, though, every row is computed alike, whatever its index and
whatever the other rows hold. So each product is run at a fixed row count, the engine's step size: a step with
fewer rows is padded. Padding is nearly free where decode is memory-bound (bf16 on AMX) and costs compute where it
is not (fp32 through MKL): to save that, a smaller row count is used whenever it was checked, at construction, to
give every row exactly what the full shape gives (same kernel, same rounding).

Weights are pre-packed once for oneDNN where this torch build and CPU allow it: it beats F.linear from 4 rows up
(F.linear re-packs bf16 weights on every call: a large share of a decode step), and most of its shapes give identical
rows at every row count — not all (measured on an AMD EPYC with AVX-512-BF16: one row of the 576x1536 down
projection rounds differently from several, in fp32 and bf16), hence the check. The packing op is private: where
it is missing or refuses the CPU (bf16 without AVX512-BF16/AVX-NE-CONVERT), plain F.linear is used, padded as above.
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
        kind = "onednn-packed" if self.packed else "F.linear"
        self.row_counts = exact_row_counts(self._make_product, weight.shape, weight.dtype, step_rows, kind)

    def _make_product(self, weight: torch.Tensor) -> Callable:
        """The same kind of product as this one's (packed or not), over other weights of the same shape."""
        return (_packed_product(weight, None, self.step_rows) if self.packed else None) or partial(
            F.linear, weight=weight
        )

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.shape[0]
        if rows > self.step_rows:  # prefill: one request alone, the same shape whatever else is running
            return self._product(x)
        padded = next(count for count in self.row_counts if count >= rows)
        if padded == rows:
            return self._product(x)
        return self._product(F.pad(x, (0, 0, 0, padded - rows)))[:rows]


_CANDIDATE_ROWS = (1, 2, 4, 8)
_CANCELLING_PAIRS = 4
_row_count_cache: dict[tuple, tuple[int, ...]] = {}


def exact_row_counts(
    make_product: Callable[[torch.Tensor], Callable], shape: torch.Size, dtype: torch.dtype, step_rows: int, kind: str
) -> tuple[int, ...]:
    """Row counts (ascending, ending with `step_rows`) at which a product of this shape gives each row exactly
    the bits it gives at `step_rows` rows. Cached per shape, dtype, thread count and `kind` of product.

    Kernels are chosen by shape, not values, so the check runs `make_product` on a probe of the same shape whose
    result depends on the summation order (`_order_sensitive_probe`): on plain random data a bf16 output rounds
    most reduction-order differences away (measured: 1 row vs 16 of a 576x1536 bf16 product differed in 4 of
    57,600 outputs), and a row count would pass that later changes an answer."""
    key = (tuple(shape), dtype, step_rows, torch.get_num_threads(), kind)
    if key not in _row_count_cache:
        probe_weight, x = _order_sensitive_probe(shape, dtype, step_rows)
        product = make_product(probe_weight)
        with torch.inference_mode():
            reference = product(x)
            counts = [m for m in _CANDIDATE_ROWS if m < step_rows and torch.equal(product(x[:m]), reference[:m])]
        _row_count_cache[key] = (*counts, step_rows)
    return _row_count_cache[key]


def _order_sensitive_probe(shape: torch.Size, dtype: torch.dtype, rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and inputs where pairs of large terms cancel exactly: whatever is summed between the two terms of
    a pair is rounded at the large terms' magnitude, so any other order of the reduction gives other bits."""
    outputs, inputs = shape
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(outputs, inputs, generator=generator)
    x = torch.randn(rows, inputs, generator=generator)
    pairs = min(_CANCELLING_PAIRS, inputs // 2)
    spread = torch.randperm(inputs, generator=generator)[: 2 * pairs]
    first, second = spread[:pairs], spread[pairs:]
    weight[:, second] = weight[:, first]
    sign = torch.randint(0, 2, (rows, 1), generator=generator) * 2 - 1
    x[:, first], x[:, second] = 4096.0 * sign, -4096.0 * sign
    return weight.to(dtype), x.to(dtype)
