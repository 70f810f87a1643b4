"""The development sets are drawn the same way on every machine."""

from __future__ import annotations

from pathlib import Path

from bench.evaluation import set_debian, set_music21


def test_the_music21_draw_does_not_depend_on_where_music21_is_installed() -> None:
    tail = "palestrina/Agnus_I_73.krn"
    here = f"/work/main/.venv/lib/python3.11/site-packages/music21/corpus/{tail}"
    there = f"/tmp/other-venv/lib/python3.12/site-packages/music21/corpus/{tail}"
    assert set_music21._hash(here) == set_music21._hash(there)
    assert set_music21._hash(here) != set_music21._hash(here.replace("Agnus_I", "Agnus_II"))
    # Training variants hash the path with a suffix: the same rule applies.
    assert set_music21._hash(here + "\0variant 1") == set_music21._hash(there + "\0variant 1")


def test_only_real_impulse_tracker_files_count_as_modules(tmp_path: Path) -> None:
    module = tmp_path / "song.it"
    module.write_bytes(b"IMPM" + bytes(200))
    text_table = tmp_path / "language.It"
    text_table.write_bytes(b"Italiano\n" * 20)
    xm = tmp_path / "tune.xm"
    xm.write_bytes(b"Extended Module: " + bytes(100))
    assert set_debian._is_module(module)
    assert not set_debian._is_module(text_table)
    assert set_debian._is_module(xm)
    assert not set_debian._is_module(tmp_path / "notes.txt")


def test_an_excerpt_left_silent_or_short_is_not_a_clip(tmp_path: Path) -> None:
    import numpy as np

    from cratedig.media.wav import write_wav24

    rate = 8000
    t = np.arange(int(25 * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    cases = {"tone": tone, "silent": np.zeros_like(tone), "short": tone[: 10 * rate]}
    for name, audio in cases.items():
        write_wav24(tmp_path / f"{name}.wav", audio[:, None], rate)
    assert set_debian._sounds(tmp_path / "tone.wav")
    assert not set_debian._sounds(tmp_path / "silent.wav")
    assert not set_debian._sounds(tmp_path / "short.wav")


def _render_stub(spec: dict[str, object], out_dir: Path) -> object:
    from bench.evaluation.clips import Clip

    out = out_dir / f"{spec['id']}.wav"
    out.write_text(str(spec["soundfont"]))  # what was rendered, to compare below
    return Clip(str(spec["id"]), str(spec["id"]), out.name, 100.0, "stub", None, None, [], [])


def test_a_cache_of_another_plan_is_rendered_again_not_relabelled(tmp_path: Path) -> None:
    from bench.evaluation.clips import ensure_set

    first = [{"id": "a", "soundfont": "fluidr3", "path": "/venv-1/corpus/a"}]
    ensure_set("s", 1, first, _render_stub, tmp_path)
    # The same plan from another install location: the cache stands.
    (tmp_path / "s" / "a.wav").write_text("kept")
    moved = [first[0] | {"path": "/venv-2/corpus/a"}]
    ensure_set("s", 1, moved, _render_stub, tmp_path)
    assert (tmp_path / "s" / "a.wav").read_text() == "kept"
    # Another plan with as many specs: rendered afresh, its own audio under its labels.
    other = [first[0] | {"soundfont": "opl3"}]
    ensure_set("s", 1, other, _render_stub, tmp_path)
    assert (tmp_path / "s" / "a.wav").read_text() == "opl3"
