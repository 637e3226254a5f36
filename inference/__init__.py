"""The VM2 inference service: a verified model version behind /resolve and an OpenAI-compatible API."""
