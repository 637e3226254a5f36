"""VM1 submission service: the training team adds validated issue→resolution pairs over HTTP."""
