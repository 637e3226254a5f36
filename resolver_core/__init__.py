"""Shared core of ci-resolver: settings, the pair store, the prompt format and the model registry."""

import os

# Never reach for a model hub: every weight this project loads is on local disk. (peft otherwise tries a network
# lookup of the base model's id when saving an adapter.)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
