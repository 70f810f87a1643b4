"""Admin corrections of a sample's BPM, key and scale, kept beside the analysis' reading.

The `bpm`, `key` and `scale` columns hold the effective value (the correction wins), so the
listing's filters, sorts and indexes read them as they always did; `analysed_<name>` keeps
the analysis' reading and `corrected_<name>` the admin's. Every writer goes through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, case, func

from cratedig.models import Sample

CORRECTABLE = ("bpm", "key", "scale")


def analysed_name(name: str) -> str:
    """The column of the analysis' own reading of `name`."""
    return f"analysed_{name}"


def corrected_name(name: str) -> str:
    """The column of an admin's correction of `name`."""
    return f"corrected_{name}"


def apply_analysis(sample: Sample, reading: Mapping[str, Any]) -> None:
    """Store an analysis' bpm/key/scale; a correction stays what is shown."""
    for name in CORRECTABLE:
        value = reading.get(name)
        setattr(sample, analysed_name(name), value)
        correction = getattr(sample, corrected_name(name))
        setattr(sample, name, value if correction is None else correction)


def analysis_update_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` for an UPDATE of samples: bpm/key/scale go to their analysed columns, and
    to the shown ones only where no correction stands."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in CORRECTABLE:
            out[analysed_name(name)] = value
            out[name] = func.coalesce(getattr(Sample, corrected_name(name)), value)
        else:
            out[name] = value
    return out


def analysed_column(name: str) -> ColumnElement[Any]:
    """The analysis' reading of `name` in SQL (the shown value when it is not corrected)."""
    shown: ColumnElement[Any] = getattr(Sample, name)
    if name not in CORRECTABLE:
        return shown
    corrected = getattr(Sample, corrected_name(name))
    return case((corrected.is_(None), shown), else_=getattr(Sample, analysed_name(name)))


def correct(sample: Sample, changes: Mapping[str, Any]) -> None:
    """Set (a value) or clear (None) corrections; the shown value follows."""
    for name, value in changes.items():
        if name not in CORRECTABLE:
            raise ValueError(f"not a correctable field: {name}")
        if getattr(sample, corrected_name(name)) is None:
            # Not corrected yet: the shown value is the analysis' (rows older than the
            # analysed columns, or made by hand, may not have it stored apart).
            setattr(sample, analysed_name(name), getattr(sample, name))
        setattr(sample, corrected_name(name), value)
        analysed = getattr(sample, analysed_name(name))
        setattr(sample, name, analysed if value is None else value)


def analysis_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis' reading {bpm, key, scale} from a sample's columns (object or mapping)."""
    return {
        name: values[name] if values[corrected_name(name)] is None else values[analysed_name(name)]
        for name in CORRECTABLE
    }


def corrections_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the corrected fields, {name: correction}."""
    return {
        name: values[corrected_name(name)]
        for name in CORRECTABLE
        if values[corrected_name(name)] is not None
    }
