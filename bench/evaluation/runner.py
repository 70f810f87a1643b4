"""Run every system on every clip of a set (2 processes), caching the reference systems."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from bench.evaluation.clips import Clip
from bench.evaluation.estimators import CACHED, SYSTEMS, Estimate

REFERENCE_VERSION = 1


def _estimate_clip(path: Path, systems: list[str]) -> dict[str, Estimate]:
    return {name: SYSTEMS[name](path) for name in systems}


def estimate_set(clips: list[Clip], set_dir: Path, systems: list[str]) -> dict[str, list[Estimate]]:
    """Each system's estimate for each clip, in clip order."""
    cache_file = set_dir / "references.json"
    cache: dict[str, dict[str, dict[str, object]]] = {}
    if cache_file.exists():
        data = json.loads(cache_file.read_text())
        if data.get("version") == REFERENCE_VERSION:
            cache = data["clips"]
    todo = []
    for clip in clips:
        known = cache.get(clip.id, {})
        todo.append([s for s in systems if s not in CACHED or s not in known])
    paths = [set_dir / c.file for c in clips]
    # One clip first in this process: librosa's numba kernels compile into an on-disk cache
    # that two processes compiling at once can corrupt (a segfault on the next run).
    fresh = [_estimate_clip(paths[0], todo[0])] if clips else []
    with ProcessPoolExecutor(max_workers=2) as pool:
        fresh += list(pool.map(_estimate_clip, paths[1:], todo[1:]))
    out: dict[str, list[Estimate]] = {s: [] for s in systems}
    for clip, got in zip(clips, fresh, strict=True):
        for name in systems:
            if name in got:
                est = got[name]
                if name in CACHED:
                    cache.setdefault(clip.id, {})[name] = asdict(est)
            else:
                est = Estimate(**cache[clip.id][name])  # type: ignore[arg-type]
            out[name].append(est)
    cache_file.write_text(json.dumps({"version": REFERENCE_VERSION, "clips": cache}))
    return out
