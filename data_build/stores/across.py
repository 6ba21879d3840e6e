"""One observation stored once across files: repeats and conflicts by the data's times.

A file's spins (rates rows) and cycles (HK, ME rows) are compared with the rows already
written by every earlier file whose data overlap its times, whatever the files are called:
the rows are read back from the temporary stores by row range, so nothing but a few numbers
per file is kept in memory.  A row whose time is already stored is dropped: a *repeat* when
its values are the same, a *conflict* when they differ (the stored copy is kept; the build
writes the files whose name's day matches their data's day first, in day order, so the kept
copy is the one the issue 10 rule names).  PHA events go with their spin.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem import schema
from data_build.stores.frames import DayFrames
from data_build.stores.writer import _StoreWriter

__all__ = ["Across", "Written", "data_day", "drop_across", "written_entry"]

#: The stores compared across files, with the frame attribute holding their rows.
_COMPARED = (("rates", schema.RATES_STORE), ("hk", schema.HK_STORE), ("me", schema.ME_STORE))


@dataclass
class Written:
    """Where one file's rows went: its time span and row range per compared store."""

    name: str
    first: np.datetime64
    last: np.datetime64
    ranges: dict[str, tuple[int, int]]


@dataclass
class Across:
    """What :func:`drop_across` dropped from one file."""

    repeated: dict[str, int] = field(default_factory=dict)
    conflicting: dict[str, int] = field(default_factory=dict)
    repeat_holder: str = ""
    conflict_holder: str = ""

    @property
    def dropped_spins(self) -> int:
        """Spins (rates rows) dropped, repeated or conflicting."""
        return self.repeated.get("rates", 0) + self.conflicting.get("rates", 0)


def _times(df: pd.DataFrame) -> npt.NDArray[np.int64]:
    if "SpinStartTime" in df.columns:
        values = df["SpinStartTime"].to_numpy()
    else:
        values = df.index.get_level_values("SpinStartTime").to_numpy()
    return np.asarray(values.astype("datetime64[ns]").astype(np.int64))


def _keys(spec: schema.StoreSpec, flat: pd.DataFrame) -> npt.NDArray[np.uint64]:
    """64-bit key per row over its stored values (indices Dst and Kp left out)."""
    names: list[str | int] = [*spec.columns, *spec.labels]
    typed = pd.DataFrame(
        {str(n): flat[n].to_numpy().astype(_dtype(spec, n)) for n in names if n not in _INDICES}
    )
    return np.asarray(pd.util.hash_pandas_object(typed, index=False), dtype=np.uint64)


#: Columns filled from the index files at write time, left out of a row's key.
_INDICES = ("Dst", "Kp")


def _dtype(spec: schema.StoreSpec, name: str | int) -> str:
    return spec.label_dtype if isinstance(name, int) else spec.columns[name]


def data_day(frames: DayFrames) -> str:
    """ISO day holding most of a file's spins (else cycles), or "" when it holds none.

    Parameters
    ----------
    frames : DayFrames
        One file's shaped rows.

    Returns
    -------
    str
        The day of the majority of the rates rows' ``SpinStartTime`` (HK, then ME when there
        are no rates rows).
    """
    for name in ("rates", "hk", "me"):
        df = getattr(frames, name)
        if len(df):
            dates = _times(df).astype("datetime64[ns]").astype("datetime64[D]")
            return str(Counter(dates.tolist()).most_common(1)[0][0].isoformat())
    return ""


def _span(frames: DayFrames) -> tuple[np.datetime64, np.datetime64] | None:
    times = [_times(getattr(frames, n)) for n, _ in _COMPARED if len(getattr(frames, n))]
    if not times:
        return None
    every = np.concatenate(times)
    return np.datetime64(int(every.min()), "ns"), np.datetime64(int(every.max()), "ns")


def written_entry(name: str, frames: DayFrames, ranges: dict[str, tuple[int, int]]) -> Written:
    """The record of one written file (``ranges``: store file name -> (start, stop) rows)."""
    span = _span(frames)
    first, last = span if span is not None else (np.datetime64("NaT"), np.datetime64("NaT"))
    return Written(name, first, last, ranges)


def _stored(writer: _StoreWriter, spec: schema.StoreSpec, rows: tuple[int, int]) -> pd.DataFrame:
    start, stop = rows
    frame: Any = writer.store.select(spec.key, start=start, stop=stop)
    return pd.DataFrame(frame).reset_index()


def drop_across(
    frames: DayFrames, written: list[Written], writers: dict[str, _StoreWriter]
) -> Across:
    """Drop the rows of ``frames`` whose times an earlier written file already holds.

    Parameters
    ----------
    frames : DayFrames
        One file's rows, changed in place: repeated and conflicting rates, HK and ME rows
        dropped, and the PHA events of a dropped spin (unless a kept spin has its time).
    written : list of Written
        The files already written (any order).
    writers : dict
        The temporary stores, by file name, to read the written rows back from.

    Returns
    -------
    Across
        Rows dropped per store (``rates``, ``hk``, ``me``) as repeats (same time and values)
        and as conflicts (same time, other values), with the file holding most of each.
    """
    out = Across()
    span = _span(frames)
    if span is None:
        return out
    near = [w for w in written if not (w.last < span[0] or w.first > span[1])]
    spin_times = _times(frames.rates) if len(frames.rates) else np.zeros(0, np.int64)
    drop_spins = np.zeros(spin_times.size, dtype=bool)
    for attr, spec in _COMPARED:
        df = getattr(frames, attr)
        if df.empty or not near:
            continue
        times, keys = _times(df), _keys(spec, df)
        same_time = np.zeros(times.size, dtype=bool)
        same_row = np.zeros(times.size, dtype=bool)
        rep_by: Counter[str] = Counter()
        conf_by: Counter[str] = Counter()
        for w in near:
            rows = w.ranges.get(spec.filename)
            if rows is None or rows[0] == rows[1]:
                continue
            old = _stored(writers[spec.filename], spec, rows)
            t_hit = np.isin(times, _times(old)) & ~same_time
            k_hit = t_hit & np.isin(keys, _keys(spec, old))
            rep_by[w.name] += int(k_hit.sum())
            conf_by[w.name] += int((t_hit & ~k_hit).sum())
            same_time |= t_hit
            same_row |= k_hit
        if attr == "rates":
            drop_spins = same_time
            if +rep_by:
                out.repeat_holder = (+rep_by).most_common(1)[0][0]
            if +conf_by:
                out.conflict_holder = (+conf_by).most_common(1)[0][0]
        out.repeated[attr] = int(same_row.sum())
        out.conflicting[attr] = int((same_time & ~same_row).sum())
        if same_time.any():
            setattr(frames, attr, df[~same_time])
    if drop_spins.any():
        gone = np.setdiff1d(spin_times[drop_spins], spin_times[~drop_spins])
        for name, count in (("pha", "events_science"), ("cal_pha", "events_calibration")):
            df = getattr(frames, name)
            drop = np.isin(_times(df), gone) if len(df) else np.zeros(0, dtype=bool)
            setattr(frames, name, df[~drop])
            if count in frames.counts:  # the day's counts describe what is stored
                frames.counts[count] -= int(drop.sum())
    return out
