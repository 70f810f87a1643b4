"""`make bench`: accuracy (old set, three development sets), speed (toolkit, start-up), …"""

from __future__ import annotations

import sys

from bench import (
    accuracy,
    api_list,
    api_load,
    backfill,
    cli_startup,
    links,
    memory,
    pipeline,
    preview,
    reanalyze,
    reprocess,
    scaleout,
    speed,
    submit_rate,
)


def evaluation_main(argv: list[str]) -> int:
    """The three development sets side by side with librosa and essentia."""
    from bench.evaluation.__main__ import main as evaluate

    return evaluate(argv)


def main() -> int:
    """Run every benchmark in turn (accuracy, speed, … load, scale-out), each printing a table."""
    return (
        accuracy.main([])
        or evaluation_main([])
        or speed.main(sys.argv[1:])
        or cli_startup.main([])
        or memory.main([])
        or pipeline.main([])
        or api_list.main([])
        or reprocess.main([])
        or backfill.main([])
        or reanalyze.main([])
        or links.main([])
        or preview.main([])
        or api_load.main([])
        or submit_rate.main([])
        or scaleout.main([])
    )


if __name__ == "__main__":
    raise SystemExit(main())
