"""Samples: the library's items, their listing, search and processing records."""
