"""The trainer: turns the approved pairs in the store into immutable LoRA model versions under MODELS_DIR."""
