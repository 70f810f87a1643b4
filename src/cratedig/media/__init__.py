"""Pure media toolkit: paths in, values out; no database, no storage."""
