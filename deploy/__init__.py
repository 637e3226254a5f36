"""make deploy: copy a model version (and, on request, its base) to VM2 with rsync, verified, atomically."""
