"""The development sets refuse the sources the issue keeps for independent evaluation."""

from __future__ import annotations

import pytest

from bench.evaluation import set_debian
from bench.evaluation.reserved import ReservedSourceError, check_corpus_path, check_package


@pytest.mark.parametrize(
    "package",
    ["fretsonfire-songs-muldjord", "openttd-openmsx", "bb", "gltron", "heroes-sound-tracks"],
)
def test_reserved_packages_are_refused(package: str) -> None:
    with pytest.raises(ReservedSourceError):
        check_package(package)


def test_allowed_packages_pass_and_the_set_reads_only_those() -> None:
    assert check_package("pianobooster") == "pianobooster"
    assert check_package("bbrun") == "bbrun"  # only the exact name 'bb' is reserved
    for package in set_debian.PACKAGES:
        check_package(package)


@pytest.mark.parametrize(
    "composer", ["bach", "mozart", "beethoven", "joplin", "corelli", "cpebach"]
)
def test_reserved_music21_corpora_are_refused(composer: str) -> None:
    with pytest.raises(ReservedSourceError):
        check_corpus_path(f"/venv/lib/music21/corpus/{composer}/piece.mxl")
    with pytest.raises(ReservedSourceError):
        check_corpus_path(f"{composer}/piece.mxl")


def test_other_music21_corpora_pass() -> None:
    path = "/venv/lib/music21/corpus/haydn/opus74no1/movement1.mxl"
    assert check_corpus_path(path) == path
    # A composer whose name merely starts like a reserved one is not reserved.
    assert check_corpus_path("/x/corpus/bachelor/tune.abc")


def test_music21_set_never_chooses_a_reserved_corpus() -> None:
    from bench.evaluation.set_music21 import choose

    root = "/venv/lib/music21/corpus"
    paths = [
        f"{root}/{c}/piece{i}.mxl" for c in ("bach", "mozart", "haydn", "cpebach") for i in range(3)
    ]
    chosen = choose(paths)
    assert sorted(chosen) == sorted(p for p in paths if "/haydn/" in p)


def test_training_packages_are_neither_reserved_nor_in_the_development_set() -> None:
    from bench.training.sets import DEBIAN_PACKAGES

    for package in DEBIAN_PACKAGES:
        check_package(package)
    assert not set(DEBIAN_PACKAGES) & set(set_debian.PACKAGES)


def test_music21_training_pieces_are_new_to_the_development_set_and_to_each_other() -> None:
    from bench.evaluation.set_music21 import choose
    from bench.training.sets import EXTRA_FOLDERS, MORE_FOLDERS, music21_pieces

    root = "/venv/lib/music21/corpus"
    folders = ("palestrina", "ryansMammoth", "trecento", "bach", "haydn")
    paths = [f"{root}/{f}/piece{i}.krn" for f in folders for i in range(600)]
    extra = [s["path"] for s in music21_pieces(paths, EXTRA_FOLDERS)]
    more = [s["path"] for s in music21_pieces(paths, MORE_FOLDERS, after=EXTRA_FOLDERS)]
    assert len(extra) == sum(EXTRA_FOLDERS.values())
    assert len(more) == sum(MORE_FOLDERS.values())
    assert not set(extra) & set(more)
    assert not (set(extra) | set(more)) & set(choose(paths))
    assert all("/palestrina/" in p or "/ryansMammoth/" in p or "/trecento/" in p for p in more)


def test_later_training_packages_are_new_and_not_reserved() -> None:
    from bench.training.sets import DEBIAN_PACKAGES, MORE_DEBIAN_PACKAGES

    for package in MORE_DEBIAN_PACKAGES:
        check_package(package)
    assert not set(MORE_DEBIAN_PACKAGES) & (set(set_debian.PACKAGES) | set(DEBIAN_PACKAGES))
