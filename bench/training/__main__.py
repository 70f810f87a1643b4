"""python -m bench.training [tempo] [key]: render the training sets, fit the tempo model and
choose the key settings by cross-validation."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    """Fit each named model (default: all) and write its weights file under src/."""
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__)
    parser.add_argument("models", nargs="*", choices=["tempo", "key"], default=["tempo", "key"])
    args = parser.parse_args(argv)
    if "tempo" in args.models:
        from bench.training import tempo

        tempo.train()
    if "key" in args.models:
        from bench.training import key

        key.train()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
