"""Matched WAV render of a 30 s sample: stretched and pitch-shifted by rubberband (formants
preserved), as the first matched download of a sample does before it is cached.

Wall time per render and the CPU time of its ffmpeg children (on a busy machine the wall
time waits for cores; the CPU time says what a quiet one would need).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench.table import print_table
from cratedig.media.render import Stretch, render
from cratedig.media.wav import write_wav24
from tests.fixtures.music import SR, backbeat_song

TARGET_SECONDS = 1.5
# (tempo factor, semitones): the spread a producer's project asks of a library.
STRETCHES = ((1.2, 3), (0.9, -2), (1.05, 5), (0.8, -6), (1.5, 1))


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(seconds: float, runs: int) -> tuple[list[float], list[float]]:
    """Wall and children's CPU seconds of `runs` renders of one `seconds`-long WAV."""
    walls, cpus = [], []
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        source = Path(tmp) / "audio.wav"
        write_wav24(source, backbeat_song(100.0, "A", "minor", seconds), SR)
        for n in range(runs):
            work = Path(tmp) / f"run{n}"
            work.mkdir()
            tempo, semitones = STRETCHES[n % len(STRETCHES)]
            cpu, started = children_cpu(), time.perf_counter()
            render(source, work / "out.wav", Stretch(tempo, semitones), None, work)
            walls.append(time.perf_counter() - started)
            cpus.append(children_cpu() - cpu)
    return walls, cpus


def rows(walls: list[float], cpus: list[float]) -> list[list[str]]:
    """Median and max of each measure, and whether the median meets the target."""
    return [
        [
            name,
            f"{statistics.median(values):.2f}",
            f"{max(values):.2f}",
            "yes" if statistics.median(values) <= TARGET_SECONDS else "no",
        ]
        for name, values in (
            ("wall", walls),
            ("CPU, all children", cpus),
            # The two channels' stretches are most of it and run at once: on two free cores
            # the wall time is about half the CPU time (the encode after them is ~0.1 s).
            ("CPU ÷ 2 (two free cores)", [cpu / 2 for cpu in cpus]),
        )
    ]


def report(seconds: float = 30.0, runs: int = 5) -> None:
    """Print the render table."""
    walls, cpus = measure(seconds, runs)
    print_table(
        f"Matched WAV render of a {seconds:g} s sample (48 kHz stereo, 24-bit), {runs} renders,"
        f" one rubberband per channel at once (s; target ≤ {TARGET_SECONDS:g})",
        ["time", "median", "max", "median ≤ target"],
        rows(walls, cpus),
    )


def main(argv: list[str] | None = None) -> int:
    """Render a 30 s sample a few times and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    report(args.seconds, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
