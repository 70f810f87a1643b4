"""Kept for `cratedig.cli` and older imports: the commands live in operations/cli.py."""

from cratedig.operations.cli import register, run_script

__all__ = ["register", "run_script"]
