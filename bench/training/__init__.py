"""Training data and training of the shipped analysis models (tempo and key weights)."""
