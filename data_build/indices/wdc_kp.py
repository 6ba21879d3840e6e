"""Kp, 3-hourly, from GFZ's WDC-format files ``kpyymm.wdc`` (spec section 3).

One fixed-width line per UT day (1-based columns): 1-2 year (2 digits), 3-4 month, 5-6 day,
7-10 Bartels rotation number, 11-12 day in the rotation, 13-28 eight I2 Kp coded in tenths
(``33`` = 3+ = 3.333, ``37`` = 4- = 3.667; ``99`` or blank = missing), then the daily sum,
ap, Ap, Cp, C9 and further fields that are not read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _KP_INTERVAL,
    IndexFileError,
    PathLike,
    _as_bytes,
    _check_unique,
    _data_lines,
    _dates,
    _kp_from_codes,
    _read_text,
    _series,
)
from data_build.indices.wdc import _fixed_width_ints

__all__ = ["WDC_KP_MIN_LENGTH", "parse_wdc_kp", "read_wdc_kp"]

#: A WDC Kp line holds at least the date, rotation and the eight Kp codes (columns 1-28).
WDC_KP_MIN_LENGTH = 28
#: Two-digit years from this one on are 19xx, below it 20xx (Kp starts in 1932).
_PIVOT = 32


def parse_wdc_kp(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse GFZ WDC-format Kp (``kpyymm.wdc``) into a 3-hourly Kp series.

    Parameters
    ----------
    text : str
        File content, one line per UT day (layout in the module docstring); blank lines are
        ignored.
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        float64 Kp in GFZ's three-decimal thirds (code 37 -> 3.667), index = interval start
        (naive UTC), NaN where missing.  Two-digit years 32-99 are 1932-1999, 00-31 are
        2000-2031.  Spec section 3.

    Raises
    ------
    IndexFileError
        A line shorter than 28 characters, a non-numeric date or Kp field, an invalid date,
        a Kp code that is not a third, a duplicate day, or no lines.
    """
    records, line_numbers = _data_lines(text, source, "no Kp lines")
    lengths = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
    bad = np.flatnonzero(lengths < WDC_KP_MIN_LENGTH)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"WDC Kp line must have at least {WDC_KP_MIN_LENGTH} characters, found {lengths[i]}",
        )
    chars = _as_bytes([r[:WDC_KP_MIN_LENGTH] for r in records])

    def field(start: int, stop: int, what: str) -> np.ndarray:
        values, ok = _fixed_width_ints(chars[:, start - 1 : stop])
        rows = np.flatnonzero(~ok)
        if rows.size:
            raise IndexFileError(
                source,
                int(line_numbers[rows[0]]),
                f"{what} (columns {start}-{stop}) is not an integer",
            )
        return values

    yy = field(1, 2, "year")
    month = field(3, 4, "month")
    day = field(5, 6, "day")
    year = np.where(yy >= _PIVOT, 1900 + yy, 2000 + yy)
    dates = _dates(year, month, day, source, line_numbers)
    _check_unique(dates, source, line_numbers)
    block = chars[:, 12:28].reshape(len(records), 8, 2)
    codes, ok = _fixed_width_ints(block)
    blank = np.all(block == ord(" "), axis=-1)
    bad_row, bad_k = np.nonzero(~ok & ~blank)
    if bad_row.size:
        k = int(bad_k[0])
        raise IndexFileError(
            source,
            int(line_numbers[bad_row[0]]),
            f"Kp{k + 1} (columns {13 + 2 * k}-{14 + 2 * k}) is not an integer",
        )
    codes = np.where(blank | (codes == 99), -1, codes)
    kp = _kp_from_codes(codes.ravel(), source, np.repeat(line_numbers, 8))
    times = (dates[:, None] + np.arange(8) * _KP_INTERVAL).ravel()
    return _series(times, kp, "Kp").sort_index()


def read_wdc_kp(path: PathLike) -> pd.Series:
    """Read a GFZ WDC-format Kp file ``kpyymm.wdc`` (see `parse_wdc_kp`).

    Parameters
    ----------
    path : str or os.PathLike
        The file (one month, or several concatenated).

    Returns
    -------
    pandas.Series
        3-hourly Kp (GFZ thirds), index = interval start (naive UTC), NaN = missing.
    """
    return parse_wdc_kp(_read_text(path), source=path)
