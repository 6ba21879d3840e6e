"""Kp and Dst from NASA OMNI2 hourly files ``omni2_YYYY.dat`` (spec section 3).

One line per UT hour with 55 blank-separated words (the published OMNI2 record): word 1
year, 2 day of year (1 = January 1), 3 hour, ..., 39 Kp coded in tenths (``33`` = 3+ = 3.333,
``57`` = 6- = 5.667; fill 99), ..., 41 Dst in nT (fill 99999), ...  Only these five words are
read; the others must be numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _HOUR,
    _NS,
    IndexFileError,
    IndexName,
    PathLike,
    _check_range,
    _check_unique,
    _dates,
    _kp_from_codes,
    _numbers,
    _read_text,
    _series,
    _token_table,
)

__all__ = ["OMNI2_DST_FILL", "OMNI2_KP_FILL", "OMNI2_WORDS", "parse_omni2", "read_omni2"]

#: Words in one OMNI2 hourly record.
OMNI2_WORDS = 55
#: Fill value of the OMNI2 Kp word (Kp coded in tenths).
OMNI2_KP_FILL = 99
#: Fill value of the OMNI2 Dst word (nT).
OMNI2_DST_FILL = 99999
_KP_WORD = 39
_DST_WORD = 41


def _hourly(text: str, source: PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hour start times, Kp codes, Dst values and line numbers of the OMNI2 records."""
    table, line_numbers = _token_table(text, source, OMNI2_WORDS, "no OMNI2 records")
    year = _numbers(table[:, 0], int, "year", source, line_numbers)
    doy = _numbers(table[:, 1], int, "day of year", source, line_numbers)
    hour = _numbers(table[:, 2], int, "hour", source, line_numbers)
    bad = np.flatnonzero((doy < 1) | (doy > 366) | (hour < 0) | (hour > 23))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"day {doy[i]} hour {hour[i]} is not a day 1-366, hour 0-23",
        )
    jan1 = _dates(year, np.ones_like(year), np.ones_like(year), source, line_numbers)
    times = jan1 + (doy - 1) * np.timedelta64(1, "D") + hour * _HOUR
    beyond = np.flatnonzero(times.astype("datetime64[Y]").astype(np.int64) + 1970 != year)
    if beyond.size:
        i = beyond[0]
        raise IndexFileError(source, int(line_numbers[i]), f"{year[i]} has no day {doy[i]}")
    _check_unique(times, source, line_numbers)
    kp = _numbers(table[:, _KP_WORD - 1], int, "Kp", source, line_numbers)
    dst = _numbers(table[:, _DST_WORD - 1], int, "Dst", source, line_numbers)
    return times.astype(_NS), kp, dst, line_numbers


def parse_omni2(text: str, name: IndexName, source: PathLike = "<text>") -> pd.Series:
    """Parse OMNI2 hourly records into hourly Dst or 3-hourly Kp.

    Parameters
    ----------
    text : str
        File content, one 55-word record per UT hour (``omni2_YYYY.dat``).
    name : {"Kp", "Dst"}
        Which index to return.
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        ``"Dst"``: hourly Dst (nT), index = start of hour (naive UTC), NaN at the fill value.
        ``"Kp"``: float64 Kp in GFZ's three-decimal thirds (code 37 -> 3.667), one value per
        3-hour interval (index = interval start, naive UTC), taken from the interval's hours
        (OMNI2 repeats it on each); NaN when every hour has the fill value.  Spec section 3.

    Raises
    ------
    IndexFileError
        Wrong word count, non-numeric time, Kp or Dst word, invalid day or hour, duplicate
        hour, Kp code not a third, Dst outside the plausible range, hours of one 3-hour
        interval with different Kp, or no records.
    """
    times, kp_codes, dst, line_numbers = _hourly(text, source)
    if name == "Dst":
        values = np.where(dst == OMNI2_DST_FILL, np.nan, dst.astype(np.float64))
        _check_range(values, "Dst", source, line_numbers)
        return _series(times, values, "Dst").sort_index()
    kp = _kp_from_codes(np.where(kp_codes == OMNI2_KP_FILL, -1, kp_codes), source, line_numbers)
    starts = times.astype("datetime64[h]")
    starts = (starts - (starts.astype(np.int64) % 3) * np.timedelta64(1, "h")).astype(_NS)
    # per interval: known values first, then by time; the first row is the interval's Kp
    order = np.lexsort((times, np.isnan(kp), starts))
    starts, kp, line_numbers = starts[order], kp[order], line_numbers[order]
    same = np.flatnonzero((starts[1:] == starts[:-1]) & ~np.isnan(kp[1:]) & (kp[1:] != kp[:-1]))
    if same.size:
        i = same[0] + 1
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"Kp {kp[i]:.3f} differs from {kp[i - 1]:.3f} in the same 3-hour interval "
            f"starting {pd.Timestamp(starts[i])}",
        )
    first = np.concatenate(([True], starts[1:] != starts[:-1]))
    return _series(starts[first], kp[first], "Kp")


def read_omni2(path: PathLike, name: IndexName) -> pd.Series:
    """Read Kp or Dst from an OMNI2 hourly file ``omni2_YYYY.dat`` (see `parse_omni2`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    name : {"Kp", "Dst"}
        Which index to return.

    Returns
    -------
    pandas.Series
        Hourly Dst (nT) or 3-hourly Kp (GFZ thirds), index naive UTC, NaN = missing.
    """
    return parse_omni2(_read_text(path), name, source=path)
