"""Spin times of one daily file: copies, repeated, backwards and clipped times (spec section 2).

The archive has spins whose data are fine but whose time stamp is not: it repeats an earlier
spin's time, goes backwards, or was clipped to 1966-01-01 / 1990-01-01.  Dropping those spins
loses real observations, so :func:`rebuild_times` gives them back a time from the cycle
structure instead: 32 spins per cycle, the cycle start ``ST`` (HDU 1) and the spin period
measured from the cycle's other spins::

    t = ST + position x period            (whole seconds, floored like ``TT``)

The position of a spin in its cycle is its period counter (``VS[1]``) when the cycle's spins
confirm that counter (most of them sit at the row their counter names), else its row in the
cycle.  Only a spin that is a byte-identical copy of an earlier row (same time, same data) is
dropped; only a clipped spin whose cycle gives no start and no period is excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem.schema import CLIP_HIGH_SECONDS, SPINS_PER_CYCLE

__all__ = ["SpinTimes", "content_keys", "rebuild_times", "time_resolution"]

_HALF = SPINS_PER_CYCLE // 2
#: A spin time further than this fraction of the spin period from its place in the cycle is bad.
_TOLERANCE = 0.4
#: Spin periods outside this range (s) are not measurements of the spin.
_PERIOD_RANGE = (1.0, 20.0)
#: ``ST`` anchors the cycle when this many of its spins (or all, if fewer) sit where it says.
_MIN_CONSISTENT = 8
#: Without ``ST``, the cycle's own spins anchor it when at least this many agree.
_MIN_OWN = 3
_MULT = np.uint64(0x9E3779B97F4A7C15)


def content_keys(columns: list[npt.NDArray[Any]]) -> npt.NDArray[np.uint64]:
    """One 64-bit key per row over the values of ``columns`` (vectorised; equal rows, equal keys).

    Parameters
    ----------
    columns : list of numpy.ndarray
        Arrays of shape (rows,) or (rows, k), numeric; floats are keyed by their float64
        bit pattern, so byte-identical rows give identical keys.

    Returns
    -------
    numpy.ndarray
        Shape (rows,), uint64.
    """
    n = len(columns[0]) if columns else 0
    key = np.zeros(n, dtype=np.uint64)
    for col in columns:
        arr = np.asarray(col)
        arr = arr.reshape(n, int(np.prod(arr.shape[1:], dtype=np.int64)))
        wide = (arr.astype(np.float64) + 0.0).view(np.int64)  # the value, whatever the dtype
        for j in range(wide.shape[1]):
            h = pd.util.hash_array(wide[:, j], categorize=False)
            with np.errstate(over="ignore"):
                key = (key * _MULT) ^ h.astype(np.uint64)
    return key


def time_resolution(values: npt.NDArray[Any]) -> float:
    """Step (s) between representable times at the file's dates for the column's dtype.

    1 s or less for float64 and integer columns; 64 s for float32 times of 1983-2000
    (2**29 s after 1966 is 1983-01-04).  0 for an empty column.
    """
    arr = np.asarray(values)
    if arr.size == 0 or arr.dtype.kind != "f":
        return 0.0
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return 0.0
    return float(np.spacing(arr.dtype.type(np.max(np.abs(finite)))))


@dataclass
class SpinTimes:
    """What :func:`rebuild_times` decided for each spin row (arrays of shape (rows,)).

    Attributes
    ----------
    tt : numpy.ndarray
        int64 whole seconds since 1966-01-01: the file's time, or the rebuilt one.
    copy : numpy.ndarray
        bool: byte-identical to an earlier row (time and data): dropped.
    rebuilt : numpy.ndarray
        bool: time rebuilt from the cycle structure (the data are kept).
    excluded : numpy.ndarray
        bool: clipped time that the cycle structure cannot rebuild: excluded.
    repeated : numpy.ndarray
        bool: not a copy, but its file time equals an earlier non-copy row's (non-clipped).
    out_of_order : numpy.ndarray
        bool: kept with its own time, which is earlier than an earlier row's kept time.
    """

    tt: npt.NDArray[np.int64]
    copy: npt.NDArray[np.bool_]
    rebuilt: npt.NDArray[np.bool_]
    excluded: npt.NDArray[np.bool_]
    repeated: npt.NDArray[np.bool_]
    out_of_order: npt.NDArray[np.bool_]


def _first_seen(keys: npt.NDArray[Any], among: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """True where ``keys[i]`` equals the key of an earlier ``among`` row (``among`` rows only)."""
    out = np.zeros(keys.size, dtype=bool)
    rows = np.flatnonzero(among)
    if rows.size == 0:
        return out
    _, first = np.unique(keys[rows], return_index=True)
    later = np.ones(rows.size, dtype=bool)
    later[first] = False
    out[rows] = later
    return out


def _positions(period_counter: npt.NDArray[np.int64], n_cycles: int) -> npt.NDArray[np.int64]:
    """Position 0-31 of each spin in its cycle: its period counter where the cycle confirms it."""
    row_pos = np.tile(np.arange(SPINS_PER_CYCLE, dtype=np.int64), n_cycles)
    pc = period_counter.reshape(n_cycles, SPINS_PER_CYCLE)
    in_range = (pc >= 0) & (pc < SPINS_PER_CYCLE)
    agree = (pc == row_pos.reshape(n_cycles, SPINS_PER_CYCLE)).sum(axis=1)
    use = in_range & (agree >= SPINS_PER_CYCLE - _MIN_CONSISTENT)[:, None]
    return np.where(use.ravel(), period_counter, row_pos)


def _cycle_periods(
    times: npt.NDArray[np.float64], pos: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Spin period (s) of each cycle from spins 16 positions apart (NaN where unmeasurable)."""
    dt = times[:, _HALF:] - times[:, :_HALF]
    dp = pos[:, _HALF:] - pos[:, :_HALF]
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(dp > 0, dt / np.where(dp > 0, dp, 1), np.nan)
    slope[(slope < _PERIOD_RANGE[0]) | (slope > _PERIOD_RANGE[1])] = np.nan
    enough = np.isfinite(slope).sum(axis=1) >= 3
    out = np.full(times.shape[0], np.nan)
    if enough.any():
        out[enough] = np.nanmedian(slope[enough], axis=1)
    return out


def rebuild_times(
    tt_raw: npt.NDArray[Any],
    tt: npt.NDArray[np.int64],
    clipped: npt.NDArray[np.bool_],
    st: npt.NDArray[np.int64],
    period_counter: npt.NDArray[np.int64],
    data_keys: npt.NDArray[np.uint64],
) -> SpinTimes:
    """Decide each spin's time: keep, rebuild from the cycle structure, drop a copy, or exclude.

    Parameters
    ----------
    tt_raw : numpy.ndarray
        ``TT`` as stored (any numeric dtype), shape (rows,); rows = 32 x cycles.
    tt : numpy.ndarray
        ``TT`` floored to whole seconds since 1966-01-01, int64, shape (rows,).
    clipped : numpy.ndarray
        bool, shape (rows,): ``tt`` <= 0 or at/after 1990-01-01 (spec section 2).
    st : numpy.ndarray
        Cycle start ``ST`` of HDU 1, whole seconds, int64, shape (cycles,).
    period_counter : numpy.ndarray
        ``VS[1]`` of each spin, int64, shape (rows,).
    data_keys : numpy.ndarray
        :func:`content_keys` of each row's data other than ``TT``, uint64, shape (rows,).

    Returns
    -------
    SpinTimes

    Notes
    -----
    Per cycle, the spin period ``P`` is the median of (t[k + 16] - t[k]) / 16 over the cycle's
    spins (the file's median when a cycle has fewer than three such pairs), and the cycle's
    own start ``a`` the median of t - position x P.  The cycle's anchor is ``ST`` when it is a
    real time and at least 8 spins (all, if fewer are not clipped) lie within 0.4 P of
    ST + position x P; else ``a`` when at least 3 spins lie within 0.4 P of a + position x P;
    else there is none.  A spin is on time when it lies within 0.4 P of anchor + position x P;
    every other spin (repeated, backwards or clipped time) gets t = anchor + position x P,
    floored.  Without an anchor a non-clipped spin keeps its time and a clipped spin is
    excluded.
    """
    n = tt.size
    n_cycles = n // SPINS_PER_CYCLE
    raw_key = pd.util.hash_array(
        np.asarray(tt_raw).astype(np.float64).view(np.int64), categorize=False
    ).astype(np.uint64)
    with np.errstate(over="ignore"):
        full_key = (data_keys * _MULT) ^ raw_key
    copy = _first_seen(full_key, np.ones(n, dtype=bool))
    valid = ~clipped & ~copy
    repeated = _first_seen(tt, valid)

    pos = _positions(period_counter, n_cycles)
    shape = (n_cycles, SPINS_PER_CYCLE)
    times = np.where(valid, tt, np.nan).astype(np.float64).reshape(shape)
    posf = pos.astype(np.float64).reshape(shape)
    period = _cycle_periods(times, posf)
    file_period = float(np.nanmedian(period)) if np.isfinite(period).any() else np.nan
    period = np.where(np.isfinite(period), period, file_period)
    with np.errstate(invalid="ignore"):
        starts = times - posf * period[:, None]
    has_valid = np.isfinite(starts).any(axis=1)
    own = np.full(n_cycles, np.nan)
    if has_valid.any():
        own[has_valid] = np.nanmedian(starts[has_valid], axis=1)
    tol = _TOLERANCE * period
    n_valid = np.isfinite(starts).sum(axis=1)
    stf = st.astype(np.float64)
    st_real = (st > 0) & (st < CLIP_HIGH_SECONDS)
    with np.errstate(invalid="ignore"):
        n_own = (np.abs(starts - own[:, None]) <= tol[:, None]).sum(axis=1)
        n_st = (np.abs(starts - stf[:, None]) <= tol[:, None]).sum(axis=1)
    base = np.where(n_own >= _MIN_OWN, own, np.nan)
    base = np.where(st_real & (n_st >= np.minimum(_MIN_CONSISTENT, n_valid)), stf, base)
    with np.errstate(invalid="ignore"):
        on_time = np.abs(starts - base[:, None]) <= tol[:, None]
        rebuilt_t = np.floor(base[:, None] + posf * period[:, None]).ravel()
    repairable = np.isfinite(rebuilt_t)
    bad = ~copy & (clipped | (valid & ~on_time.ravel()))
    rebuilt = bad & repairable
    excluded = clipped & ~copy & ~rebuilt
    out_tt = tt.copy()
    out_tt[rebuilt] = rebuilt_t[rebuilt].astype(np.int64)

    kept_own = valid & ~rebuilt
    out_of_order = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(kept_own)
    if rows.size:
        prev_max = np.empty(rows.size, dtype=np.int64)
        prev_max[0] = np.iinfo(np.int64).min
        prev_max[1:] = np.maximum.accumulate(tt[rows])[:-1]
        out_of_order[rows] = tt[rows] < prev_max
    return SpinTimes(out_tt, copy, rebuilt, excluded, repeated, out_of_order)


def shared_spins(
    times: npt.NDArray[np.int64],
    keys: npt.NDArray[np.uint64],
    other_times: npt.NDArray[np.int64],
    other_keys: npt.NDArray[np.uint64],
) -> tuple[int, int]:
    """How many spins of one file another file also holds, by time (issue 10).

    Parameters
    ----------
    times, keys : numpy.ndarray
        Shape (spins,): one file's spin times (int64 ns) and :func:`content_keys` (time and
        data).
    other_times, other_keys : numpy.ndarray
        The same for the other file.

    Returns
    -------
    tuple of int
        Spins with the same time and data (repeats), and spins with the same time but other
        data (conflicts).
    """
    if not (times.size and other_times.size):
        return 0, 0
    if other_times.max() < times.min() or other_times.min() > times.max():
        return 0, 0
    same_time = np.isin(times, other_times)
    repeats = int((same_time & np.isin(keys, other_keys)).sum())
    return repeats, int(same_time.sum()) - repeats
