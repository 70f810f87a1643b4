"""Score estimates against labels and print one table per set and split part."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean

from bench.evaluation import scores
from bench.evaluation.clips import Clip
from bench.evaluation.estimators import Estimate
from bench.table import print_table

TARGETS = {
    "tempo Acc1 %": "≥ 92",
    "tempo Acc2 %": "≥ 99",
    "key exact %": "–",
    "key MIREX": "≥ 92",
    "beat F": "≥ 0.90",
    "downbeat F": "≥ 0.70",
    # The same on the clips whose tempo is right (Acc1): beats given a correct tempo.
    "beat F, tempo right": "–",
    "downbeat F, tempo right": "–",
}


def figures(clips: Sequence[Clip], estimates: Sequence[Estimate]) -> dict[str, str]:
    """The headline figures of one system on some clips ('–' where it gives no such output)."""
    pairs = list(zip(clips, estimates, strict=True))
    keyed = [(c, e) for c, e in pairs if c.key is not None and c.scale is not None]
    right = [(c, e) for c, e in pairs if scores.acc1(c.bpm, e.bpm)]
    out = {
        "tempo Acc1 %": _percent([scores.acc1(c.bpm, e.bpm) for c, e in pairs]),
        "tempo Acc2 %": _percent([scores.acc2(c.bpm, e.bpm) for c, e in pairs]),
        "key exact %": _percent(
            [scores.key_exact((c.key, c.scale), (e.key, e.scale)) for c, e in keyed]  # type: ignore[arg-type]
        ),
        "key MIREX": _percent(
            [scores.mirex((c.key, c.scale), (e.key, e.scale)) for c, e in keyed]  # type: ignore[arg-type]
        ),
        "beat F": _beat_f(pairs, "beats"),
        "downbeat F": _beat_f(pairs, "downbeats"),
        "beat F, tempo right": _beat_f(right, "beats"),
        "downbeat F, tempo right": _beat_f(right, "downbeats"),
    }
    return out


def _beat_f(pairs: Sequence[tuple[Clip, Estimate]], field: str) -> str:
    """Mean F-measure of the estimate's `field` times ('–' when the system gives none)."""
    values = [
        scores.f_measure(getattr(c, field), getattr(e, field))
        for c, e in pairs
        if getattr(e, field) is not None
    ]
    return f"{fmean(values):.3f}" if values else "–"


def _percent(values: Sequence[float]) -> str:
    return f"{100 * fmean(values):.1f}" if values else "–"


def print_part(
    title: str, clips: Sequence[Clip], estimates: dict[str, list[Estimate] | None]
) -> dict[str, dict[str, str]]:
    """Print the metric table of one part; a None system (not installed) shows 'n/a'."""
    columns = {
        name: figures(clips, ests) if ests is not None else dict.fromkeys(TARGETS, "n/a")
        for name, ests in estimates.items()
    }
    keyed = sum(c.key is not None for c in clips)
    rows = [[m, TARGETS[m], *(columns[name][m] for name in estimates)] for m in TARGETS]
    print_table(
        f"{title}: {len(clips)} clips ({keyed} with a key)",
        ["metric", "target", *estimates],
        rows,
    )
    return columns
