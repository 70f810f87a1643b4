"""Reprocess samples through the full pipeline (as the reference's script).

Run from the repository root with the venv active:
    python -m scripts.reprocess_all_samples --dry-run
"""

import sys

from cratedig.operations.cli import run_script

if __name__ == "__main__":
    sys.exit(run_script("reprocess", __doc__.splitlines()[0]))
