"""Kp, 3-hourly, from GFZ Potsdam: ``Kp_ap_Ap_SN_F107_YYYY.txt`` (spec section 3).

40 ``#`` header lines, then one blank-separated line per UT day; Kp as decimals in thirds
such as 3.333; missing = -1.000.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _KP_INTERVAL,
    _NS,
    IndexDownloadError,
    IndexFileError,
    PathLike,
    _check_unique,
    _concat,
    _download_years,
    _fetch,
    _numbers,
    _read_text,
    _series,
)

__all__ = [
    "GFZ_DAYS_EPOCH",
    "GFZ_FIELDS",
    "GFZ_KP_MISSING",
    "GFZ_KP_URL",
    "download_gfz_kp",
    "parse_gfz_kp",
    "read_gfz_kp",
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
#: Origin of the GFZ ``days`` column.
GFZ_DAYS_EPOCH = pd.Timestamp("1932-01-01")


def parse_gfz_kp(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse the text of a GFZ ``Kp_ap_Ap_SN_F107`` file into a 3-hourly Kp series.

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
        Kp (dimensionless, decimal thirds), index = start of each 3-hour interval (naive UTC),
        NaN where the file has -1 (missing).  Spec section 3.

    Raises
    ------
    IndexFileError
        Wrong field count, non-numeric field, invalid date, ``days`` inconsistent with the
        date, Kp outside [0, 9], duplicate day, or no data lines.
    """
    lines = text.splitlines()
    keep = [i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not keep:
        raise IndexFileError(source, None, "no data lines (expected one line per UT day)")
    line_numbers = np.asarray(keep) + 1
    tokens = [lines[i].split() for i in keep]
    counts = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    bad = np.flatnonzero(counts != GFZ_FIELDS)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"expected {GFZ_FIELDS} blank-separated fields, found {counts[i]}",
        )
    table = np.array(tokens)
    year, month, day, days = (
        _numbers(table[:, k], int, name, source, line_numbers)
        for k, name in enumerate(("year", "month", "day", "days"))
    )
    kp = np.column_stack(
        [_numbers(table[:, 7 + k], float, f"Kp{k + 1}", source, line_numbers) for k in range(8)]
    )
    dates = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    ).to_numpy(dtype=_NS)
    bad = np.flatnonzero(np.isnat(dates))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"invalid date {year[i]}-{month[i]:02d}-{day[i]:02d}"
        )
    expected_days = (dates - GFZ_DAYS_EPOCH.to_datetime64()) // np.timedelta64(1, "D")
    bad = np.flatnonzero(expected_days != days)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"days since 1932-01-01 is {days[i]} but the date gives {expected_days[i]} "
            "(fields shifted?)",
        )
    _check_unique(dates, source, line_numbers)
    kp = np.where(kp == GFZ_KP_MISSING, np.nan, kp)
    filled = np.nan_to_num(kp, nan=0.0)
    row_max = filled.max(axis=1)
    row_min = filled.min(axis=1)
    bad = np.flatnonzero((row_max > 9.0) | (row_min < 0.0))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), "Kp outside [0, 9] (missing must be written -1.000)"
        )
    times = (dates[:, None] + np.arange(8) * _KP_INTERVAL).ravel()
    series = _series(times, kp.ravel(), "Kp")
    return series.sort_index()


def read_gfz_kp(path: PathLike) -> pd.Series:
    """Read one GFZ ``Kp_ap_Ap_SN_F107_YYYY.txt`` file (see `parse_gfz_kp`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    pandas.Series
        3-hourly Kp (dimensionless), index = interval start (naive UTC), NaN = missing.
    """
    return parse_gfz_kp(_read_text(path), source=path)


def read_gfz_kp_files(paths: Sequence[PathLike]) -> pd.Series:
    """Read several GFZ Kp files (e.g. one per year) into one sorted series.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The files, in any order.

    Returns
    -------
    pandas.Series
        3-hourly Kp (dimensionless), index = interval start (naive UTC), NaN = missing.

    Raises
    ------
    IndexFileError
        A file is malformed, or two files give different Kp for the same interval.
    """
    if not paths:
        raise ValueError("read_gfz_kp_files needs at least one file")
    return _concat([read_gfz_kp(p) for p in paths], [str(p) for p in paths])


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
        url = url_template.format(year=year)
        data = _fetch(url, timeout)
        try:
            parse_gfz_kp(data.decode("latin-1"), source=url)
        except IndexFileError as exc:
            raise IndexDownloadError(f"downloaded file is not GFZ Kp: {exc}") from None
        return data

    return _download_years(years, dest_dir, "Kp_ap_Ap_SN_F107_{year}.txt", fetch_year, overwrite)
