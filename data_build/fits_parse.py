"""Parse an in-memory APL daily CHEM FITS file into typed tables (spec section 2).

:func:`parse_hdus` is pure: it validates the four binary-table extensions described in
:mod:`data_build.fits_layout` and turns them into a :class:`DayData` (spins, cycles, matrix
elements, events), with every quirk of the archive handled and counted in :class:`Quirks`.
:mod:`data_build.fits` opens files and calls it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from astropy.io import fits

from awa.chem.schema import (
    CLIP_HIGH_SECONDS,
    EPOCH,
    EVENTS_PER_SPIN,
    N_ME,
    SPINS_PER_CYCLE,
    TOF_ARTEFACT,
    WORDS_PER_EVENT,
)
from data_build.fits_day import (
    CYCLE_COLUMNS,
    EVENT_COLUMNS,
    REQUIRED_COLUMNS,
    VALID_PAPS_LEVELS,
    BadFileError,
    DayData,
    Quirks,
)
from data_build.fits_layout import (
    DR_ORDER,
    HDU_HK,
    HDU_ME,
    HDU_ORBIT,
    HDU_SPIN,
    HDUS,
    PHA_WORDS,
    HduSpec,
)
from data_build.fits_times import content_keys, rebuild_times, time_resolution

__all__ = ["parse_hdus"]

_HK_NAMES = {
    "CSHK": "CSHK",
    "DPUMHK": "DPU_Mode",
    "TAKHK": "TAC_Slope",
    "PHAPHK": "PHA_Priority",
    "PAPS": "PAPS_lvl",
}

_EPOCH_NS = EPOCH.to_datetime64().astype("datetime64[ns]")

# ---------------------------------------------------------------------------------------
# Conversions (vectorised)
# ---------------------------------------------------------------------------------------


def _as_int(values: npt.NDArray[Any], dtype: type[np.integer[Any]]) -> npt.NDArray[Any]:
    """Convert to an integer dtype, saturating at its limits (NaN becomes 0)."""
    info = np.iinfo(dtype)
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(arr, nan=0.0, posinf=float(info.max), neginf=float(info.min))
        arr = np.clip(arr, float(info.min), float(info.max))
    elif arr.dtype.kind == "b":
        return arr.astype(dtype)
    elif arr.dtype.kind in "iu":
        src = np.iinfo(arr.dtype)
        if src.min < info.min or src.max > info.max:
            arr = np.clip(arr, max(info.min, src.min), min(info.max, src.max))
    else:
        raise TypeError(f"non-numeric dtype {arr.dtype}")
    return arr.astype(dtype)


def _whole_seconds(values: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Times in seconds since 1966-01-01 -> whole seconds (floor), int64.

    Non-finite values become -1 (they count as clipped).
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return _as_int(arr, np.int64)
    x = arr.astype(np.float64)
    x = np.nan_to_num(x, nan=-1.0, posinf=-1.0, neginf=-1.0)
    x = np.clip(np.floor(x), -(2.0**62), 2.0**62)
    return x.astype(np.int64)


def _clipped(tt: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True where a whole-second time is not a real observation (spec section 2)."""
    return (tt <= 0) | (tt >= CLIP_HIGH_SECONDS)


def _to_datetime(tt: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """Whole seconds since 1966-01-01 -> datetime64[ns], clipped to [1966-01-01, 1990-01-01]."""
    secs = np.clip(tt, 0, CLIP_HIGH_SECONDS).astype("timedelta64[s]").astype("timedelta64[ns]")
    return _EPOCH_NS + secs


def _l_shell(values: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """McIlwain L as float32 with NaN where missing (fill 0x00100000, any L < 1)."""
    lvals = np.asarray(values).astype(np.float32)
    with np.errstate(invalid="ignore"):
        missing = ~(lvals >= 1.0)
    lvals[missing] = np.nan
    return lvals


def _mlt_hours(maglon: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Magnetic local time in hours, [0, 24), from MAGLON (rad): MLT = 12/pi * MAGLON."""
    hours = np.mod(maglon.astype(np.float64) * (12.0 / np.pi), 24.0).astype(np.float32)
    hours[hours >= np.float32(24.0)] = np.float32(0.0)
    return hours


# ---------------------------------------------------------------------------------------
# HDU access with validation
# ---------------------------------------------------------------------------------------


def _label(spec: HduSpec) -> str:
    return f"HDU {spec.index} ({spec.name})"


def _table(hdul: fits.HDUList, spec: HduSpec, source: str) -> tuple[Any, dict[str, str], int]:
    """The data of one extension, its column names (upper case -> actual) and row count."""
    hdu = hdul[spec.index]
    if not isinstance(hdu, fits.BinTableHDU):
        raise BadFileError(source, f"{_label(spec)} is not a binary table ({type(hdu).__name__})")
    names = {name.upper(): name for name in hdu.columns.names}
    for name in REQUIRED_COLUMNS[spec.index]:
        if name.upper() not in names:
            raise BadFileError(source, f"{_label(spec)} has no column {name!r}")
    data = hdu.data
    n_rows = 0 if data is None else len(data)
    return data, names, n_rows


def _column(
    table: tuple[Any, dict[str, str], int], spec: HduSpec, name: str, source: str
) -> npt.NDArray[Any]:
    """One column as a plain array: shape (rows,) for scalars, (rows, repeat) for vectors."""
    data, names, n_rows = table
    repeat = spec.columns[name][1]
    if data is None:
        shape: tuple[int, ...] = (0,) if repeat == 1 else (0, repeat)
        return np.zeros(shape, dtype=np.float64)
    try:
        arr = np.asarray(data.field(names[name.upper()]))
    except Exception as exc:  # astropy raises many types on malformed columns
        raise BadFileError(source, f"cannot read column {name} in {_label(spec)}: {exc}") from None
    if arr.dtype.kind not in "iufb":
        raise BadFileError(
            source, f"column {name} in {_label(spec)} is not numeric (dtype {arr.dtype})"
        )
    per_row = int(np.prod(arr.shape[1:], dtype=np.int64))
    if per_row != repeat:
        raise BadFileError(
            source,
            f"column {name} in {_label(spec)} has {per_row} values per row, expected {repeat}",
        )
    return arr.reshape(n_rows) if repeat == 1 else arr.reshape(n_rows, repeat)


# ---------------------------------------------------------------------------------------
# Parse
# ---------------------------------------------------------------------------------------


def parse_hdus(hdul: fits.HDUList, source: str = "<memory>") -> DayData:
    """Parse the HDUs of one daily CHEM file into typed tables (spec section 2).

    Parameters
    ----------
    hdul : astropy.io.fits.HDUList
        Primary HDU plus at least four binary-table extensions in the layout of
        :mod:`data_build.fits_layout` (orbit, housekeeping, matrix elements, spins).
    source : str
        Name used in :attr:`DayData.source` and in error messages (a path or basename).

    Returns
    -------
    DayData
        Spins (time, L in Earth radii, voltage step, period counter, direct rates and
        sector-summed basic rates in counts/spin, PHA range counts, flags), cycles (start time,
        MAGLAT/MAGLON in rad, MLT in h, housekeeping codes), matrix elements (counts/cycle) and
        non-empty PHA events (channels), plus the :class:`Quirks` counters.

    Raises
    ------
    BadFileError
        Fewer than four extensions, an extension that is not a binary table, a missing or
        non-numeric column, a wrong number of values per row (PHA 430, SBR 96, ME 512, DR 4,
        VS 2, scalars 1), HDU 1-3 row counts that differ, or HDU 4 rows != 32 x cycles.

    Notes
    -----
    Times: ``TT``/``ST`` floored to whole seconds since 1966-01-01; values <= 0 or at/after
    1990-01-01 are "clipped" (datetime clipped to those limits, flagged, counted).  Duplicate
    and out-of-order flags consider non-clipped spins only.  L below 1 (the 0x00100000 fill)
    becomes NaN.  ``DR`` order is FSR, DCR, TCR, SSD; ``SBR`` is (3 ranges, 32 sectors)
    range-major.  PHA slots whose five words are all zero are dropped and counted; TOF artefact
    (``TOF_ARTEFACT``), SSDID outside 1-3 and Range 3 events are kept and counted.
    """
    name = os.path.basename(source)
    if len(hdul) < 1 + len(HDUS):
        raise BadFileError(
            source, f"FITS file has {max(len(hdul) - 1, 0)} extensions, expected {len(HDUS)}"
        )
    t_orbit = _table(hdul, HDU_ORBIT, source)
    t_hk = _table(hdul, HDU_HK, source)
    t_me = _table(hdul, HDU_ME, source)
    t_spin = _table(hdul, HDU_SPIN, source)
    n_cycles = t_orbit[2]
    if not (t_hk[2] == t_me[2] == n_cycles):
        raise BadFileError(
            source,
            f"HDU 1/2/3 row counts differ: ORBIT {n_cycles}, HK {t_hk[2]}, ME {t_me[2]}",
        )
    n_spins = t_spin[2]
    if n_spins != SPINS_PER_CYCLE * n_cycles:
        raise BadFileError(
            source,
            f"HDU 4 (SPIN) has {n_spins} rows, expected {SPINS_PER_CYCLE} x {n_cycles} cycles"
            f" = {SPINS_PER_CYCLE * n_cycles}",
        )

    # Read (and shape-check) every column before converting anything.
    raw = {col: _column(t_orbit, HDU_ORBIT, col, source) for col in REQUIRED_COLUMNS[1]}
    raw.update({col: _column(t_hk, HDU_HK, col, source) for col in REQUIRED_COLUMNS[2]})
    raw.update({col: _column(t_me, HDU_ME, col, source) for col in REQUIRED_COLUMNS[3]})
    raw.update({col: _column(t_spin, HDU_SPIN, col, source) for col in REQUIRED_COLUMNS[4]})

    cycles, quirks = _parse_cycles(raw, n_cycles)
    me = _as_int(raw["ME"], np.int32).reshape(n_cycles, N_ME)
    spins, events, spin_quirks = _parse_spins(raw, n_spins, cycles["ST"].to_numpy())
    quirks = quirks + spin_quirks
    return DayData(source=name, spins=spins, cycles=cycles, me=me, events=events, quirks=quirks)


def _parse_cycles(raw: dict[str, npt.NDArray[Any]], n_cycles: int) -> tuple[pd.DataFrame, Quirks]:
    st = _whole_seconds(raw["ST"])
    maglat = raw["MAGLAT"].astype(np.float32)
    maglon = raw["MAGLON"].astype(np.float32)
    cols: dict[str, npt.NDArray[Any]] = {
        "ST": st,
        "CycleStartTime": _to_datetime(st),
        "MAGLAT": maglat,
        "MAGLON": maglon,
        "MLTH": _mlt_hours(maglon),
    }
    for fits_name, out_name in _HK_NAMES.items():
        cols[out_name] = _as_int(raw[fits_name], np.dtype(CYCLE_COLUMNS[out_name]).type)
    cycles = pd.DataFrame(cols, index=pd.RangeIndex(n_cycles), copy=False)
    quirks = Quirks(
        n_cycles=n_cycles,
        calibration_cycles=int(np.count_nonzero(cols["CSHK"] != 0)),
        invalid_paps=int(np.count_nonzero(~np.isin(cols["PAPS_lvl"], VALID_PAPS_LEVELS))),
    )
    return cycles, quirks


def _parse_spins(
    raw: dict[str, npt.NDArray[Any]], n_spins: int, st: npt.NDArray[np.int64]
) -> tuple[pd.DataFrame, pd.DataFrame, Quirks]:
    tt_file = _whole_seconds(raw["TT"])
    raw_clipped = _clipped(tt_file)
    vs = raw["VS"]
    data_key = content_keys([raw[c] for c in ("L", "VS", "PHA", "DR", "SBR")])
    times = rebuild_times(
        raw["TT"], tt_file, raw_clipped, st, _as_int(vs[:, 1], np.int64), data_key
    )
    tt = times.tt
    lvals = _l_shell(raw["L"])
    dr = _as_int(raw["DR"], np.int32)
    br = _as_int(raw["SBR"], np.int64).reshape(n_spins, 3, 32).sum(axis=2)
    br32 = _as_int(br, np.int32)

    # PHA: (spins, 86 slots, 5 words); a slot is empty when all five words are zero.
    words = raw["PHA"].reshape(n_spins, EVENTS_PER_SPIN, WORDS_PER_EVENT)
    filled = words.any(axis=2)
    spin_of_event, _slot = np.nonzero(filled)
    ev_words = words[filled]
    events_cols: dict[str, npt.NDArray[Any]] = {"spin": spin_of_event.astype(np.int32)}
    for i, word in enumerate(PHA_WORDS):
        events_cols[word] = _as_int(ev_words[:, i], np.dtype(EVENT_COLUMNS[word]).type)
    events = pd.DataFrame(events_cols, copy=False)
    rng = events_cols["Range"]
    r_counts = [
        np.bincount(spin_of_event[rng == n], minlength=n_spins).astype(np.int64) for n in range(3)
    ]

    dcr = dr[:, DR_ORDER.index("DCR")].astype(np.int64)
    tcr = dr[:, DR_ORDER.index("TCR")].astype(np.int64)
    rate_ok = (
        (r_counts[0] <= br[:, 0])
        & (r_counts[1] <= br[:, 1])
        & (r_counts[2] <= br[:, 2])
        & (br.sum(axis=1) <= dcr)
        & (br[:, 2] <= tcr)
    )

    cols: dict[str, npt.NDArray[Any]] = {
        "TT": tt,
        "SpinStartTime": _to_datetime(tt),
        "clipped": times.excluded,
        "L": lvals,
        "Voltage_Step": _as_int(vs[:, 0], np.int8),
        "Period_Cntr": _as_int(vs[:, 1], np.int16),
    }
    for i, rate in enumerate(DR_ORDER):
        cols[rate] = dr[:, i].copy()
    for n in range(3):
        cols[f"BR{n}"] = br32[:, n].copy()
    for n in range(3):
        cols[f"R{n}"] = _as_int(r_counts[n], np.int16)
    cols["cycle"] = (np.arange(n_spins, dtype=np.int64) // SPINS_PER_CYCLE).astype(np.int32)
    cols["duplicate"] = times.copy
    cols["out_of_order"] = times.out_of_order
    cols["rate_ok"] = rate_ok
    cols["time_rebuilt"] = times.rebuilt
    cols["data_key"] = data_key
    spins = pd.DataFrame(cols, index=pd.RangeIndex(n_spins), copy=False)

    ssdid = events_cols["SSDID"]
    quirks = Quirks(
        n_spins=n_spins,
        n_events=int(ev_words.shape[0]),
        clipped_times=int(np.count_nonzero(raw_clipped)),
        l_fill=int(np.count_nonzero(np.isnan(lvals))),
        duplicate_spins=int(np.count_nonzero(times.repeated)),
        out_of_order_spins=int(np.count_nonzero(times.out_of_order)),
        exact_copies=int(np.count_nonzero(times.copy)),
        times_rebuilt=int(np.count_nonzero(times.rebuilt)),
        clipped_excluded=int(np.count_nonzero(times.excluded)),
        float32_times=n_spins if time_resolution(raw["TT"]) > 1.0 else 0,
        empty_pha_slots=int(filled.size - ev_words.shape[0]),
        rate_violations=int(np.count_nonzero(~rate_ok)),
        tof_1019=int(np.count_nonzero(events_cols["TOF"] == TOF_ARTEFACT)),
        ssdid_invalid=int(np.count_nonzero((ssdid < 1) | (ssdid > 3))),
        range3=int(np.count_nonzero(rng == 3)),
    )
    return spins, events, quirks


# ---------------------------------------------------------------------------------------
# Open
# ---------------------------------------------------------------------------------------
