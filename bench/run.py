"""`make bench`: the accuracy table, then the speed table."""

from __future__ import annotations

import sys

from bench import accuracy, pipeline, speed


def main() -> int:
    """Run every media benchmark in turn."""
    return accuracy.main([]) or speed.main(sys.argv[1:]) or pipeline.main([])


if __name__ == "__main__":
    raise SystemExit(main())
