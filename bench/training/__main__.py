"""python -m bench.training [tempo ...]: render the training sets and fit the shipped models."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    """Fit each named model (default: all) and write its weights file under src/."""
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__)
    parser.add_argument("models", nargs="*", choices=["tempo"], default=["tempo"])
    args = parser.parse_args(argv)
    if "tempo" in args.models:
        from bench.training import tempo

        tempo.train()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
