"""`make bench`: the accuracy table, then the speed table."""

from __future__ import annotations

import sys

from bench import accuracy, api_list, backfill, links, pipeline, preview, reprocess, speed


def main() -> int:
    """Run every benchmark: accuracy, speed, pipeline, list latency, operations, preview."""
    return (
        accuracy.main([])
        or speed.main(sys.argv[1:])
        or pipeline.main([])
        or api_list.main([])
        or reprocess.main([])
        or backfill.main([])
        or links.main([])
        or preview.main([])
    )


if __name__ == "__main__":
    raise SystemExit(main())
