"""The start-up check that batching and drafts cannot change an answer on this machine's kernels."""

from __future__ import annotations

import torch

from inference.decoder import LlamaDecoder


def exact_batching(decoder: LlamaDecoder, prompts: list[list[int]], max_rows: int, steps: int = 6) -> bool:
    """Are a request's logits bit-identical whether its tokens run one per step alone, or several per step
    (as verified drafts) beside other requests' rows, up to `max_rows` rows in a step?"""
    if max_rows < 2:
        return True
    steps = min(steps, max_rows - 1) if decoder.slots > 1 else max_rows
    prompt, other = prompts[0], prompts[-1]
    alone = [decoder.prefill(0, prompt)]
    tokens = [int(alone[0].argmax())]
    for step in range(steps):
        logits = decoder.decode(torch.tensor([tokens[-1]]), torch.tensor([len(prompt) + step]))[0]
        alone.append(logits.clone())
        tokens.append(int(logits.argmax()))
    for rows in sorted({steps, max_rows}):
        decoder.prefill(0, prompt)
        filler = rows - steps if decoder.slots > 1 else 0  # rows of another request, to fill the step
        if filler:
            decoder.prefill(1, other)
        batch_tokens = tokens[:steps] + [other[-1]] * filler
        positions = list(range(len(prompt), len(prompt) + steps)) + list(range(len(other), len(other) + filler))
        slots = [0] * steps + [1] * filler
        together = decoder.decode(torch.tensor(batch_tokens), torch.tensor(positions), torch.tensor(slots))
        if not all(torch.equal(together[i], alone[i + 1]) for i in range(steps)):
            return False
    return True
