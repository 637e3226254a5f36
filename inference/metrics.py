"""Prometheus metrics of the inference service, in the app's own registry (beside the shared HTTP metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 32)


class InferenceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.generated_tokens = Counter("inference_generated_tokens_total", "Tokens generated", registry=registry)
        self.requests = Counter("inference_generations_total", "Generations by outcome", ["outcome"], registry=registry)
        self.batch_rows = Histogram(
            "inference_batch_rows", "Requests decoded together per step", buckets=BATCH_BUCKETS, registry=registry
        )
        self.queue_seconds = Histogram(
            "inference_queue_seconds", "Time a request waited for a batch slot", registry=registry
        )
        self.queue_depth = Gauge("inference_queue_depth", "Requests waiting for a slot", registry=registry)
        self.log_answers = Counter(
            "inference_log_answers_total",
            "Whole-log answers by the known pair they followed ('none': no known fix)",
            ["known_pair"],
            registry=registry,
        )
        self.reloads = Counter("inference_reloads_total", "Hot reloads by result", ["result"], registry=registry)
        self.model_info = Gauge(
            "inference_model_info", "The served version (value 1)", ["version", "base", "dtype"], registry=registry
        )

    def serving(self, version: str, base: str, dtype: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version, base, dtype).set(1)
