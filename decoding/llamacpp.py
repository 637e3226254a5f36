"""llama.cpp as a decoder for the in-process engine (decoding/engine.py): a version's GGUF (decoding/gguf.py) decoded
by llama.cpp through its C API, with the same interface as decoding/decoder.py's LlamaDecoder — prefill a slot,
decode rows of several slots in one step, copy a slot — so the engine's continuous batching, retrieval drafts,
queue, deadlines and start-up exactness guard (decoding/exactness.py) work unchanged over it.

The Python `Llama` class holds one sequence; several requests decoded together need the C API's batches. Each slot
is a llama.cpp sequence in one unified KV cache: copying a slot shares its cells (the prompt prefix is evaluated
once), and a slot's cells past the position being written are dropped first (rejected draft tokens, a reused slot).
Whether rows decoded together give exactly the logits they give alone depends on llama.cpp's kernels for this CPU
and quantization; the engine's guard measures it at start and turns batching off rather than change an answer.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["LlamaCppDecoder", "LlamaCppUnavailableError", "llama_cpp_version", "llama_module"]

PREFILL_CHUNK = 512  # prompt tokens per llama_decode call: a prompt is always split the same way


class LlamaCppUnavailableError(RuntimeError):
    """llama-cpp-python is not installed (or does not load on this machine)."""


def llama_module() -> Any:
    """The llama_cpp package (imported on first use: it loads llama.cpp's shared library)."""
    try:
        import llama_cpp
    except (ImportError, OSError) as error:  # OSError: the shared library was built for another CPU or libc
        raise LlamaCppUnavailableError(f"llama-cpp-python is not usable here ({error}): run `make llamacpp`") from None
    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)  # llama.cpp's own progress lines: errors only
    return llama_cpp


def llama_cpp_version() -> str | None:
    """The installed llama-cpp-python's version, or None when it cannot be loaded."""
    try:
        return str(llama_module().__version__)
    except LlamaCppUnavailableError:
        return None


class LlamaCppDecoder:
    """A GGUF loaded once, with `slots` request slots plus one for the shared prompt prefix (`prefix_slot`)."""

    kind = "llama.cpp"

    def __init__(self, gguf_path: Path, slots: int, max_positions: int, threads: int, step_rows: int = 0) -> None:
        lib = self._lib = llama_module()
        lib.llama_backend_init()
        self.gguf_path = Path(gguf_path)
        self.slots = slots
        self.step_rows = max(step_rows or slots, slots)
        self.prefix_slot = slots
        self.max_positions = max_positions
        self.threads = threads
        self.model = lib.llama_model_load_from_file(str(gguf_path).encode(), lib.llama_model_default_params())
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {gguf_path}")
        self.ctx = lib.llama_init_from_model(self.model, self._context_params(lib))
        if not self.ctx:
            lib.llama_model_free(self.model)
            raise RuntimeError(f"llama.cpp could not create a context for {gguf_path}")
        self.memory = lib.llama_get_memory(self.ctx)
        self.vocab = lib.llama_vocab_n_tokens(lib.llama_model_get_vocab(self.model))
        self.dtype = self._file_type(lib)
        self._batch = lib.llama_batch_init(max(PREFILL_CHUNK, self.step_rows), 0, 1)

    def _context_params(self, lib: Any) -> Any:
        params = lib.llama_context_default_params()
        params.n_ctx = (self.slots + 1) * self.max_positions
        params.n_batch = params.n_ubatch = max(PREFILL_CHUNK, self.step_rows)
        params.n_seq_max = self.slots + 1
        params.kv_unified = False  # a stream per slot: a row's attention sees its own cells, never the layout of others
        params.n_threads = params.n_threads_batch = self.threads
        params.no_perf = True
        return params

    def _file_type(self, lib: Any) -> str:
        """The GGUF's quantization as llama.cpp names it in the model's description, e.g. "q8_0"."""
        buffer = ctypes.create_string_buffer(128)
        lib.llama_model_desc(self.model, buffer, ctypes.sizeof(buffer))
        return buffer.value.decode(errors="replace").rsplit(" ", 1)[-1].lower()

    def prefill(self, slot: int, tokens: list[int], start: int = 0) -> torch.Tensor:
        """Evaluate `tokens` into `slot` from position `start`, alone and in fixed chunks: the last row's logits."""
        end = start + len(tokens)
        if end > self.max_positions:
            raise ValueError(f"{end} positions exceed the KV cache ({self.max_positions})")
        self._drop(slot, start)
        logits = None
        for offset in range(0, len(tokens), PREFILL_CHUNK):
            chunk = tokens[offset : offset + PREFILL_CHUNK]
            last = offset + len(chunk) == len(tokens)
            positions = range(start + offset, start + offset + len(chunk))
            logits = self._decode(chunk, list(positions), [slot] * len(chunk), only_last=last)
        if logits is None:
            raise ValueError("nothing to prefill")
        return logits[-1]

    def decode(self, tokens: torch.Tensor, positions: torch.Tensor, slots: torch.Tensor | None = None) -> torch.Tensor:
        """One step: every row's token at its position in its slot (slot 0 if none given); each row's logits."""
        rows = len(tokens)
        if rows > self.step_rows:
            raise ValueError(f"{rows} rows exceed the decoder's step of {self.step_rows}")
        slot_list = slots.tolist() if slots is not None else [0] * rows
        position_list = positions.tolist()
        for slot in set(slot_list):
            self._drop(slot, min(p for s, p in zip(slot_list, position_list, strict=True) if s == slot))
        return self._decode(tokens.tolist(), position_list, slot_list, only_last=False)

    def copy_slot(self, source: int, target: int, length: int) -> None:
        """`target` holds `source`'s first `length` positions (shared cells) and nothing else."""
        self._lib.llama_memory_seq_rm(self.memory, target, -1, -1)
        self._lib.llama_memory_seq_cp(self.memory, source, target, -1, -1)  # streams are copied whole
        self._lib.llama_memory_seq_rm(self.memory, target, length, -1)

    def describe(self) -> dict[str, object]:
        return {
            "step_rows": self.step_rows,
            "gguf": self.gguf_path.name,
            "threads": self.threads,
            "llama_cpp_python": llama_cpp_version(),
        }

    def close(self) -> None:
        if self.ctx:
            self._lib.llama_batch_free(self._batch)
            self._lib.llama_free(self.ctx)
            self._lib.llama_model_free(self.model)
            self.ctx = self.model = None

    def _drop(self, slot: int, start: int) -> None:
        """Forget `slot`'s cells from `start` on: llama.cpp appends a sequence's positions in order."""
        self._lib.llama_memory_seq_rm(self.memory, slot, start, -1)

    def _decode(self, tokens: list[int], positions: list[int], slots: list[int], only_last: bool) -> torch.Tensor:
        batch = self._batch
        batch.n_tokens = len(tokens)
        for index, (token, position, slot) in enumerate(zip(tokens, positions, slots, strict=True)):
            if not 0 <= token < self.vocab:
                raise ValueError(f"token id {token} is outside the model's vocabulary of {self.vocab}")
            batch.token[index] = token
            batch.pos[index] = position
            batch.n_seq_id[index] = 1
            batch.seq_id[index][0] = slot
            batch.logits[index] = not only_last or index == len(tokens) - 1
        status = self._lib.llama_decode(self.ctx, batch)
        if status != 0:
            raise RuntimeError(f"llama_decode failed with status {status}")
        wanted = [len(tokens) - 1] if only_last else range(len(tokens))
        rows = [
            np.ctypeslib.as_array(self._lib.llama_get_logits_ith(self.ctx, index), shape=(self.vocab,))
            for index in wanted
        ]
        return torch.from_numpy(np.stack(rows))
