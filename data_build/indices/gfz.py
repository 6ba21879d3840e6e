"""Kp, 3-hourly, from GFZ Potsdam (spec section 3).

Two text layouts, both with ``#`` header lines, blank-separated fields, Kp as decimals in
thirds such as 3.333, and -1.000 for a missing Kp:

- ``Kp_ap_Ap_SN_F107_YYYY.txt`` (and ``Kp_ap_Ap_SN_F107_since_1932.txt``): one line per UT
  day, 28 fields ``YYYY MM DD days days_m Bsr dB Kp1..Kp8 ap1..ap8 Ap SN F10.7obs F10.7adj D``.
- ``Kp_ap_since_1932.txt`` and the nowcast file ``Kp_ap_nowcast.txt``: one line per 3-hour
  interval, 10 fields ``YYYY MM DD hh.h hh._m days days_m Kp ap D``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _HOUR,
    _KP_INTERVAL,
    _NS,
    IndexFileError,
    PathLike,
    _check_unique,
    _dates,
    _download_years,
    _fetch_checked,
    _kp_thirds,
    _numbers,
    _read_all,
    _read_text,
    _series,
    _token_table,
)

__all__ = [
    "GFZ_3H_FIELDS",
    "GFZ_DAYS_EPOCH",
    "GFZ_FIELDS",
    "GFZ_KP_MISSING",
    "GFZ_KP_URL",
    "download_gfz_kp",
    "parse_gfz_kp",
    "parse_gfz_kp_3h",
    "read_gfz_kp",
    "read_gfz_kp_3h",
    "read_gfz_kp_files",
]

#: GFZ Potsdam Kp, ap, Ap, SN and F10.7, one file per year (``year`` field).
GFZ_KP_URL = (
    "ftp://ftp.gfz-potsdam.de/pub/home/obs/Kp_ap_Ap_SN_F107/Kp_ap_Ap_SN_F107_{year:04d}.txt"
)
#: Missing-value code of GFZ Kp.
GFZ_KP_MISSING = -1.0
#: Number of blank-separated fields in one GFZ ``Kp_ap_Ap_SN_F107`` data line.
GFZ_FIELDS = 28
#: Number of blank-separated fields in one ``Kp_ap_since_1932`` / nowcast data line.
GFZ_3H_FIELDS = 10
#: Origin of the GFZ ``days`` column.
GFZ_DAYS_EPOCH = pd.Timestamp("1932-01-01")
_DAY = np.timedelta64(1, "D")


def _days_of(table: np.ndarray, source: PathLike, line_numbers: np.ndarray) -> np.ndarray:
    year, month, day = (
        _numbers(table[:, k], int, name, source, line_numbers)
        for k, name in enumerate(("year", "month", "day"))
    )
    return _dates(year, month, day, source, line_numbers)


def _check_days(
    times: np.ndarray, days: np.ndarray, source: PathLike, line_numbers: np.ndarray
) -> None:
    """GFZ's ``days`` column (days since 1932-01-01) must agree with the date and hour."""
    expected = (times - GFZ_DAYS_EPOCH.to_datetime64()) / _DAY
    bad = np.flatnonzero(~(np.abs(expected - days) < 1e-4))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"days since 1932-01-01 is {days[i]:g} but the date gives {expected[i]:g} "
            "(fields shifted?)",
        )


def _kp_column(values: np.ndarray, source: PathLike, line_numbers: np.ndarray) -> np.ndarray:
    values = np.where(values == GFZ_KP_MISSING, np.nan, values)
    return _kp_thirds(values, source, line_numbers)


def parse_gfz_kp(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse the text of a GFZ ``Kp_ap_Ap_SN_F107`` file (one line per day) into 3-hourly Kp.

    Parameters
    ----------
    text : str
        File content: ``#`` header lines, then one line per UT day with 28 blank-separated
        fields (YYYY MM DD days days_m Bsr dB Kp1..Kp8 ap1..ap8 Ap SN F10.7obs F10.7adj D).
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        float64 Kp in GFZ's three-decimal thirds (0.333, 7.667), index = start of each 3-hour
        interval (naive UTC), NaN where the file has -1 (missing).  Spec section 3.

    Raises
    ------
    IndexFileError
        Wrong field count, non-numeric field, invalid date, ``days`` inconsistent with the
        date, Kp not a third in [0, 9], duplicate day, or no data lines.
    """
    table, line_numbers = _token_table(
        text, source, GFZ_FIELDS, "no data lines (expected one line per UT day)"
    )
    dates = _days_of(table, source, line_numbers)
    days = _numbers(table[:, 3], float, "days", source, line_numbers)
    kp = np.column_stack(
        [_numbers(table[:, 7 + k], float, f"Kp{k + 1}", source, line_numbers) for k in range(8)]
    )
    _check_days(dates, days, source, line_numbers)
    _check_unique(dates, source, line_numbers)
    kp = _kp_column(kp.ravel(), source, np.repeat(line_numbers, 8))
    times = (dates[:, None] + np.arange(8) * _KP_INTERVAL).ravel()
    return _series(times, kp, "Kp").sort_index()


def parse_gfz_kp_3h(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse GFZ ``Kp_ap_since_1932.txt`` or ``Kp_ap_nowcast.txt`` (one line per interval).

    Parameters
    ----------
    text : str
        File content: ``#`` header lines, then one line per 3-hour interval with 10
        blank-separated fields (YYYY MM DD hh.h hh._m days days_m Kp ap D).
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        float64 Kp in GFZ's three-decimal thirds, index = interval start (naive UTC), NaN
        where the file has -1.000 (missing, e.g. intervals not yet in the nowcast).
        Spec section 3.

    Raises
    ------
    IndexFileError
        Wrong field count, non-numeric field, invalid date, a start hour that is not 0, 3,
        ..., 21, ``days`` inconsistent with the time, Kp not a third, duplicate interval, or
        no data lines.
    """
    table, line_numbers = _token_table(
        text, source, GFZ_3H_FIELDS, "no data lines (expected one line per 3-hour interval)"
    )
    dates = _days_of(table, source, line_numbers)
    hour = _numbers(table[:, 3], float, "hour", source, line_numbers)
    bad = np.flatnonzero(~np.isin(hour, np.arange(0.0, 24.0, 3.0)))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"start hour {hour[i]:g} is not 0, 3, ..., 21"
        )
    times = dates + np.nan_to_num(hour).astype(np.int64) * _HOUR
    days = _numbers(table[:, 5], float, "days", source, line_numbers)
    _check_days(times, days, source, line_numbers)
    _check_unique(times, source, line_numbers)
    kp = _kp_column(_numbers(table[:, 7], float, "Kp", source, line_numbers), source, line_numbers)
    return _series(times.astype(_NS), kp, "Kp").sort_index()


def read_gfz_kp(path: PathLike) -> pd.Series:
    """Read one GFZ ``Kp_ap_Ap_SN_F107_YYYY.txt`` file (see `parse_gfz_kp`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    pandas.Series
        3-hourly Kp (GFZ thirds), index = interval start (naive UTC), NaN = missing.
    """
    return parse_gfz_kp(_read_text(path), source=path)


def read_gfz_kp_3h(path: PathLike) -> pd.Series:
    """Read GFZ ``Kp_ap_since_1932.txt`` or ``Kp_ap_nowcast.txt`` (see `parse_gfz_kp_3h`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    pandas.Series
        3-hourly Kp (GFZ thirds), index = interval start (naive UTC), NaN = missing.
    """
    return parse_gfz_kp_3h(_read_text(path), source=path)


def read_gfz_kp_files(paths: Sequence[PathLike]) -> pd.Series:
    """Read several GFZ Kp files (e.g. one per year) into one sorted series.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The files, in any order.

    Returns
    -------
    pandas.Series
        3-hourly Kp (GFZ thirds), index = interval start (naive UTC), NaN = missing.

    Raises
    ------
    IndexFileError
        A file is malformed, or two files give different Kp for the same interval.
    """
    if not paths:
        raise ValueError("read_gfz_kp_files needs at least one file")
    return _read_all(paths, read_gfz_kp)


def download_gfz_kp(
    years: Sequence[int] | int,
    dest_dir: PathLike,
    timeout: float = 10.0,
    *,
    url_template: str = GFZ_KP_URL,
    overwrite: bool = False,
) -> list[Path]:
    """Download GFZ ``Kp_ap_Ap_SN_F107_YYYY.txt`` files, one per year.

    Each file is checked with `parse_gfz_kp` before it is written.  Existing files are kept
    unless ``overwrite``.

    Parameters
    ----------
    years : int or sequence of int
        UT years.
    dest_dir : str or os.PathLike
        Output folder (created if needed).
    timeout : float
        Seconds per request.
    url_template : str
        URL with a ``{year}`` field.
    overwrite : bool
        Download again even when the file exists.

    Returns
    -------
    list of pathlib.Path
        The yearly files, in year order.

    Raises
    ------
    IndexDownloadError
        Offline, timeout, HTTP error, or the server sent something that is not GFZ Kp.
    """

    def fetch_year(year: int) -> bytes:
        return _fetch_checked(url_template.format(year=year), timeout, parse_gfz_kp, "GFZ Kp")

    return _download_years(years, dest_dir, "Kp_ap_Ap_SN_F107_{year}.txt", fetch_year, overwrite)
