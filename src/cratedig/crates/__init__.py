"""Crates: many samples downloaded as one ZIP, matched alike."""
