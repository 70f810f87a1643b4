"""Migrate media still on TikTok's CDN (or any host not ours) into our storage.

Run from the repository root with the venv active:
    python -m scripts.migrate_media_to_storage --dry-run
"""

import sys

from cratedig.operations.cli import run_script

if __name__ == "__main__":
    sys.exit(run_script("migrate_media", __doc__.splitlines()[0]))
