"""`make bench`: the accuracy table, then the speed table."""

from __future__ import annotations

import sys

from bench import accuracy, api_list, backfill, links, pipeline, reprocess, speed


def main() -> int:
    """Run every benchmark in turn: accuracy, toolkit speed, pipeline, list latency, operations."""
    return (
        accuracy.main([])
        or speed.main(sys.argv[1:])
        or pipeline.main([])
        or api_list.main([])
        or reprocess.main([])
        or backfill.main([])
        or links.main([])
    )


if __name__ == "__main__":
    raise SystemExit(main())
