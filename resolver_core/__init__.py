"""Shared core of ci-resolver: settings, the pair store, the prompt format and the model registry."""
