"""The operation kinds: one module each, holding `KIND` (see operations/framework.py)."""
