"""Accuracy on three development sets, split into a tune part and a held-back report part."""
