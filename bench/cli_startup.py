"""Start-up of the `cratedig` command against a base commit: `--help`, `process-file`, `analyze`.

Each command runs as a whole process (wall time, median of N; peak RSS) and inside a warm
process (the work alone: imports paid, median of N). The base commit is checked out into a
temporary git worktree and put first on PYTHONPATH, so both versions run here, in one go.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.table import print_table
from cratedig.demo import make_demo_clip

ROOT = Path(__file__).resolve().parent.parent
HELP_TARGET_SECONDS = 0.15
OVERHEAD_TARGET_SECONDS = 0.3
HEADER = "command base-wall-s wall-s x-faster in-process-s overhead-s base-RSS-MB RSS-MB target ok"
# Added by the first commit of the start-up work: its parent is the CLI as it was.
FIRST_STARTUP_FILE = "src/cratedig/media/iir.py"
# Exactly what the `cratedig` console script runs.
CONSOLE_SCRIPT = "import sys; from cratedig.cli import main; sys.exit(main())"
# Times `main(argv)` for each JSON argv line on stdin, in one process: the first line pays
# the imports (and is not timed), the later ones measure the work alone.
WARM_TIMER = """
import contextlib, io, json, sys, time
from cratedig.cli import main
for line in sys.stdin:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(json.loads(line))
        except SystemExit:
            pass
    print(time.perf_counter() - started, flush=True)
"""


@dataclass(frozen=True)
class Figures:
    """One command in one version: whole-process wall time, peak RSS, warm in-process time."""

    wall: float
    rss_mb: float
    in_process: float


def default_base(first_file: str = FIRST_STARTUP_FILE) -> str:
    """The commit before the one that added `first_file` (the code as it was), else HEAD."""
    added = _git("log", "--diff-filter=A", "--format=%H", "--", first_file)
    first = added.split()[-1] if added.split() else ""
    return f"{first}^" if first else "HEAD"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@contextmanager
def base_checkout(rev: str) -> Iterator[Path]:
    """The `src` folder of `rev`, checked out in a temporary worktree for the block."""
    folder = Path(tempfile.mkdtemp(prefix="cratedig-base-")) / "tree"
    _git("worktree", "add", "--detach", "--quiet", str(folder), rev)
    try:
        yield folder / "src"
    finally:
        _git("worktree", "remove", "--force", str(folder))
        shutil.rmtree(folder.parent, ignore_errors=True)


def _environment(src: Path) -> dict[str, str]:
    return os.environ | {"PYTHONPATH": str(src)}


def whole_process(src: Path, argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `cratedig ARGV` process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CONSOLE_SCRIPT, *argv],
        env=_environment(src),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"cratedig {' '.join(argv)} exited {process.returncode}")
    return wall, usage.ru_maxrss / 1024


def measure(src: Path, make_argv: list[str], out: Path, repeats: int) -> Figures:
    """Figures for one command; `{out}` in its arguments becomes a fresh folder each run.

    Whole-process and warm runs alternate, so a busy machine slows both alike."""

    def argv(label: str) -> list[str]:
        return [arg.replace("{out}", str(out / label)) for arg in make_argv]

    warm = subprocess.Popen(
        [sys.executable, "-c", WARM_TIMER],
        env=_environment(src),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert warm.stdin is not None and warm.stdout is not None

    def warm_run(label: str) -> float:
        warm.stdin.write(json.dumps(argv(label)) + "\n")
        warm.stdin.flush()
        return float(warm.stdout.readline())

    try:
        whole_process(src, argv("whole-warm-up"))  # writes the fresh checkout's .pyc files
        warm_run("warm-up")
        runs, warm_times = [], []
        for n in range(repeats):
            runs.append(whole_process(src, argv(f"whole-{n}")))
            warm_times.append(warm_run(f"warm-{n}"))
    finally:
        warm.stdin.close()
        warm.wait(60)
    return Figures(
        wall=statistics.median(wall for wall, _ in runs),
        rss_mb=max(rss for _, rss in runs),
        in_process=statistics.median(warm_times),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the start-up table: this tree against the base commit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="commit to compare with (default: before this bench)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (default 5)")
    args = parser.parse_args(argv)
    base = args.base or default_base()
    work = Path(tempfile.mkdtemp(prefix="cratedig-cli-bench-"))
    commands = {
        "--help": ["--help"],
        "process-file": ["process-file", "{clip}", "--out", "{out}", "--quiet"],
        "analyze": ["analyze", "{clip}"],
    }
    rows = []
    try:
        clip = make_demo_clip(work / "clip.mp4", seconds=30)
        with base_checkout(base) as base_src:
            for name, template in commands.items():
                filled = [arg.replace("{clip}", str(clip)) for arg in template]
                old = measure(base_src, filled, work / "base" / name, args.repeats)
                new = measure(ROOT / "src", filled, work / "this" / name, args.repeats)
                rows.append(_row(name, old, new))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(
        f"`cratedig` start-up: this tree against {_git('rev-parse', '--short', base)} "
        f"(30 s video; wall = whole process, median of {args.repeats}; in-process = warm; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
        [column.replace("-", " ") for column in HEADER.split()],
        rows,
    )
    return 0


def _row(name: str, old: Figures, new: Figures) -> list[str]:
    overhead = new.wall - new.in_process
    if name == "--help":
        target, ok = f"wall ≤ {HELP_TARGET_SECONDS}", new.wall <= HELP_TARGET_SECONDS
    else:
        target, ok = f"overhead ≤ {OVERHEAD_TARGET_SECONDS}", overhead <= OVERHEAD_TARGET_SECONDS
    return [
        name,
        f"{old.wall:.3f}",
        f"{new.wall:.3f}",
        f"{old.wall / new.wall:.1f}",
        f"{new.in_process:.3f}",
        f"{overhead:.3f}",
        f"{old.rss_mb:.0f}",
        f"{new.rss_mb:.0f}",
        target,
        "yes" if ok else "NO",
    ]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
