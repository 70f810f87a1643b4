"""Generate HLS streams for samples that only have an MP3 (as the reference's script).

Run from the repository root with the venv active:
    python scripts/backfill_hls_streams.py --dry-run
"""

import sys

from cratedig.operations.cli import run_script

if __name__ == "__main__":
    sys.exit(run_script("backfill_hls", __doc__.splitlines()[0]))
