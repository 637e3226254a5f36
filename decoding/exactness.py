"""The start-up guard that batching and drafts cannot change an answer with this machine's kernels.

The decoder is batch-invariant by construction (fixed-shape products, per-row attention); this check proves it
on the loaded weights, dtype and thread count before the engine is allowed to batch."""

from __future__ import annotations

import torch

from decoding.protocol import Decoder


def exact_batching(decoder: Decoder, prompts: list[list[int]], steps: int = 6) -> bool:
    """Are a request's logits bit-identical whether its tokens run one per step alone, or several per step (as
    verified drafts) beside another request's rows — before or after them, up to a full step of rows — and beside
    a row of every other slot, each its own sequence?"""
    max_rows = decoder.step_rows
    if max_rows < 2:
        return True
    steps = min(steps, max_rows - 1) if decoder.slots > 1 else min(steps, max_rows)
    prompt, other = prompts[0], prompts[-1]
    alone = [decoder.prefill(0, prompt)]
    tokens = [int(alone[0].argmax())]
    for step in range(steps):
        logits = decoder.decode(torch.tensor([tokens[-1]]), torch.tensor([len(prompt) + step]))[0]
        alone.append(logits.clone())
        tokens.append(int(logits.argmax()))
    layouts = [(steps, 0, 0)]  # (request rows, filler rows before them, filler rows after them)
    if decoder.slots > 1:
        filler = max_rows - steps
        layouts += [(steps, 0, filler), (steps, filler, 0), (1, max_rows - 1, 0), (1, 0, 1)]
    for mine, before, after in layouts:
        if not _rows_match(decoder, prompt, other, tokens[:mine], alone[1 : mine + 1], before, after):
            return False
    return decoder.slots < 2 or _every_slot_matches(decoder, prompt, other, tokens[0], alone[1])


def _every_slot_matches(decoder, prompt, other, token, expected) -> bool:
    """A step with one row in every slot, each slot holding its own sequence of its own length (a full engine)."""
    decoder.prefill(0, prompt)
    lengths = [max(1, len(other) - 1 - 3 * (slot % 5)) for slot in range(1, decoder.slots)]
    for slot, length in enumerate(lengths, start=1):
        decoder.prefill(slot, other[:length])
    tokens = [token] + [other[length] for length in lengths]
    positions = [len(prompt), *lengths]
    together = decoder.decode(torch.tensor(tokens), torch.tensor(positions), torch.tensor(range(decoder.slots)))
    return torch.equal(together[0], expected)


def _rows_match(decoder, prompt, other, tokens, expected, before: int, after: int) -> bool:
    decoder.prefill(0, prompt)
    if before or after:
        decoder.prefill(1, other)
    mine = list(range(len(prompt), len(prompt) + len(tokens)))
    batch_tokens = [other[-1]] * before + tokens + [other[-1]] * after
    positions = list(range(len(other), len(other) + before)) + mine
    positions += list(range(len(other) + before, len(other) + before + after))
    slots = [1] * before + [0] * len(tokens) + [1] * after
    together = decoder.decode(torch.tensor(batch_tokens), torch.tensor(positions), torch.tensor(slots))
    return all(torch.equal(together[before + i], expected[i]) for i in range(len(tokens)))
