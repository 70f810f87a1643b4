"""The registry of development sets: how each is planned, rendered and described."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.evaluation.clips import Clip, Renderer, ensure_set


@dataclass(frozen=True)
class DevSet:
    """One development set: its cache name, generator version, plan and renderer."""

    name: str
    title: str
    version: int
    plan: Callable[[], list[dict[str, Any]]]
    render: Renderer

    def load(self, root: Path) -> list[Clip]:
        """The set's clips, rendered on first use and cached under `root`."""
        return ensure_set(self.name, self.version, self.plan(), self.render, root)


def all_sets() -> list[DevSet]:
    """The three sets, in report order."""
    from bench.evaluation import set_debian, set_generated, set_music21

    return [
        DevSet(
            set_generated.NAME,
            "a. generated (widened generator)",
            set_generated.VERSION,
            set_generated.plan,
            set_generated.render,
        ),
        DevSet(
            set_music21.NAME,
            "b. music21 corpus scores",
            set_music21.VERSION,
            set_music21.plan,
            set_music21.render,
        ),
        DevSet(
            set_debian.NAME,
            "c. Debian-shipped MIDI files and tracker modules",
            set_debian.VERSION,
            set_debian.plan,
            set_debian.render,
        ),
    ]
