"""Peak memory of one `cratedig process-file` on the worst inputs the default limits admit.

Inputs (made once into .cache/memory/): a 10-minute stereo 48 kHz MP3 (the longest input
CRATEDIG_MEDIA__MAX_DURATION_SECONDS admits) and a short MJPEG video of 4096x4096 pixels (the
largest frame CRATEDIG_MEDIA__MAX_VIDEO_PIXELS admits for a thumbnail). Each run is one whole
`cratedig process-file` process; two figures: the peak resident set of that Python process
(wait4's ru_maxrss, which counts no child), and the peak of the sum over the process and its
ffmpeg children, sampled from /proc every 20 ms. The base commit (the toolkit before the
memory work) runs from a temporary git worktree, so both versions are measured here, in one go.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from pathlib import Path

from bench.cli_startup import CONSOLE_SCRIPT, ROOT, base_checkout
from bench.table import print_table

BASE = "632c847"  # main before the decoder and memory bounds (issue 14, item 2)
GOAL_MB = 1024.0
CACHE = ROOT / ".cache" / "memory"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.02
HEADER = ["input", "version", "wall s", "process peak MB", "tree peak MB", "goal MB", "ok"]


def worst_mp3() -> Path:
    """599 s of stereo 48 kHz MP3 (600 would be over the limit with the encoder padding)."""
    path = CACHE / "599-seconds.mp3"
    if not path.exists():
        graph = (
            "sine=f=110:r=48000,volume='0.4*exp(-6*mod(t,0.5))':eval=frame[bass];"
            "sine=f=330:r=48000,volume=0.15[chord];"
            "anoisesrc=r=48000:c=pink:a=0.2[noise];"
            "[bass][chord][noise]amix=inputs=3:normalize=0,pan=stereo|c0=c0|c1=0.8*c0"
        )
        _make(path, ["-filter_complex", graph, "-t", "599", "-c:a", "libmp3lame", "-b:a", "192k"])
    return path


def largest_video() -> Path:
    """Three seconds of 4096x4096 MJPEG (as big a frame as the limit admits) with audio."""
    path = CACHE / "4096x4096.mov"
    if not path.exists():
        _make(
            path,
            [
                "-f", "lavfi", "-i", "testsrc2=size=4096x4096:rate=5:duration=3",
                "-f", "lavfi", "-i", "sine=f=440:r=48000:d=3",
                "-c:v", "mjpeg", "-q:v", "3", "-c:a", "aac", "-shortest",
            ],
        )  # fmt: skip
    return path


def _make(path: Path, args: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part" + path.suffix)
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, str(partial)]
    subprocess.run(command, check=True)
    partial.rename(path)


def tree_rss_kb(root: int) -> int:
    """Resident kB of `root` and all its descendants right now."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # it ended between two reads
    return total


def run_once(src: Path, media: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, the process's own peak MB and its tree's sampled peak MB."""
    started = time.perf_counter()
    argv = ["process-file", str(media), "--out", str(out), "--quiet"]
    process = subprocess.Popen(
        [sys.executable, "-c", CONSOLE_SCRIPT, *argv],
        env=os.environ | {"PYTHONPATH": str(src)},
        stdout=subprocess.DEVNULL,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"process-file {media.name} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, peak[0] / 1024


def main(argv: list[str] | None = None) -> int:
    """Print the peak-memory table: this tree and the base commit on the worst inputs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default=BASE, help=f"commit to compare with (default {BASE})")
    parser.add_argument("--no-base", action="store_true", help="measure this tree only")
    args = parser.parse_args(argv)
    inputs = {"10-min stereo MP3": worst_mp3(), "4096x4096 MJPEG video": largest_video()}
    work = Path(tempfile.mkdtemp(prefix="cratedig-memory-bench-"))
    versions = {"this tree": ROOT / "src"}
    rows = []
    try:
        checkout = nullcontext(None) if args.no_base else base_checkout(args.base)
        with checkout as base_src:
            if base_src is not None:
                versions[f"base {args.base}"] = base_src
            for label, media in inputs.items():
                for version, src in versions.items():
                    wall, own, tree = run_once(src, media, work / f"{version}-{label}")
                    ok = "yes" if tree <= GOAL_MB else "NO"
                    row = [label, version, f"{wall:.1f}", f"{own:.0f}", f"{tree:.0f}"]
                    rows.append([*row, f"{GOAL_MB:.0f}", ok])
                    shutil.rmtree(work / f"{version}-{label}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(
        f"Peak memory of one `cratedig process-file` (tree = the process and its ffmpeg "
        f"children, sampled every {SAMPLE_SECONDS * 1000:.0f} ms; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
        HEADER,
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
