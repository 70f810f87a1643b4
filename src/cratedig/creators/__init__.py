"""Creators: the authors of the videos samples are made from."""
