"""Dst, hourly, from the WDC for Geomagnetism Kyoto in WDC exchange format (spec section 3).

One 120-character record per UT day; hourly value = base value * 100 + hourly value (nT);
9999 = missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _HOUR,
    IndexFileError,
    PathLike,
    _as_bytes,
    _check_range,
    _check_unique,
    _data_lines,
    _dates,
    _download_years,
    _fetch_checked,
    _read_text,
    _series,
)

__all__ = [
    "KYOTO_DST_FINAL_URL",
    "WDC_MISSING",
    "WDC_RECORD_LENGTH",
    "download_dst",
    "parse_wdc_dst",
    "read_wdc_dst",
]

#: Kyoto WDC final Dst, one WDC-format file per month (``year``, ``month``, ``yy`` fields).
KYOTO_DST_FINAL_URL = (
    "https://wdc.kugi.kyoto-u.ac.jp/dst_final/"
    "{year:04d}{month:02d}/dst{yy:02d}{month:02d}.for.request"
)
#: Length of one WDC exchange-format record (characters).
WDC_RECORD_LENGTH = 120
#: Missing-value code of a WDC hourly value (relative to the base value).
WDC_MISSING = 9999


def _fixed_width_ints(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse right-justified Fortran ``Iw`` fields, vectorised.

    Parameters
    ----------
    block : numpy.ndarray of uint8, shape (..., w)
        ASCII codes of the fields.

    Returns
    -------
    values : numpy.ndarray of int64, shape (...)
    ok : numpy.ndarray of bool, shape (...)
        False where the field is not ``[spaces][-]digits``.
    """
    width = block.shape[-1]
    is_digit = (block >= ord("0")) & (block <= ord("9"))
    is_space = block == ord(" ")
    is_minus = block == ord("-")
    nonspace = ~is_space
    first = np.argmax(nonspace, axis=-1)
    pos = np.arange(width)
    after_first = pos >= first[..., None]
    at_first = pos == first[..., None]
    # every position from the first non-blank on is a digit, except a leading minus sign
    shape_ok = np.all(~after_first | is_digit | (at_first & is_minus), axis=-1)
    has_digit = np.any(is_digit, axis=-1)
    ok = shape_ok & has_digit & np.any(nonspace, axis=-1)
    weights = 10 ** (width - 1 - pos)
    digits = np.where(is_digit, block.astype(np.int64) - ord("0"), 0)
    magnitude = (digits * weights).sum(axis=-1)
    negative = np.any(is_minus & at_first, axis=-1)
    return np.where(negative, -magnitude, magnitude), ok


def parse_wdc_dst(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse WDC exchange-format Dst records into an hourly series.

    Kyoto's record layout (1-based columns, 120 characters): 1-3 ``DST``, 4-5 year (2
    digits), 6-7 month, 8 ``*``, 9-10 day, 11-12 blank or ``RR`` (quick-look), 13 ``X``, 14
    version (0 quick-look, 1 provisional, 2 final, 3+ corrected, or blank), 15-16 century
    (blank = 19), 17-20 base value (units of 100 nT), 21-116 twenty-four I4 hourly values (nT
    relative to the base; first = 00-01 UT; 9999 = missing), 117-120 daily mean.  Final,
    provisional and quick-look files are read alike.

    Parameters
    ----------
    text : str
        File content, one record per line (blank lines are ignored).
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        Dst in nT = base * 100 + hourly value, index = start of each hour (naive UTC), NaN
        where missing.  Spec section 3.

    Raises
    ------
    IndexFileError
        Record not 120 characters, missing ``DST``/``*``/``X`` markers, non-numeric field,
        invalid date, duplicate day, or no records.
    """
    records, line_numbers = _data_lines(text, source, "no Dst records")
    lengths = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
    bad = np.flatnonzero(lengths != WDC_RECORD_LENGTH)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"WDC record must be {WDC_RECORD_LENGTH} characters, found {lengths[i]}",
        )
    chars = _as_bytes(records)

    def fail_first(mask: np.ndarray, reason: str) -> None:
        rows = np.flatnonzero(mask)
        if rows.size:
            raise IndexFileError(source, int(line_numbers[rows[0]]), reason)

    fail_first(
        ~np.all(chars[:, 0:3] == np.frombuffer(b"DST", dtype=np.uint8), axis=1),
        "record does not start with 'DST' (columns 1-3)",
    )
    fail_first(chars[:, 7] != ord("*"), "column 8 must be '*'")
    fail_first(chars[:, 12] != ord("X"), "column 13 must be 'X'")

    def field(start: int, stop: int, what: str) -> np.ndarray:
        values, ok = _fixed_width_ints(chars[:, start - 1 : stop])
        fail_first(~ok, f"{what} (columns {start}-{stop}) is not an integer")
        return values

    yy = field(4, 5, "year")
    month = field(6, 7, "month")
    day = field(9, 10, "day")
    # columns 15-16 may be blank for 19xx (Kyoto's description)
    blank_century = np.all(chars[:, 14:16] == ord(" "), axis=1)
    chars[blank_century, 14:16] = np.frombuffer(b"19", dtype=np.uint8)
    century = field(15, 16, "century")
    base = field(17, 20, "base value")
    hourly, ok = _fixed_width_ints(chars[:, 20:116].reshape(len(records), 24, 4))
    bad_row, bad_hour = np.nonzero(~ok)
    if bad_row.size:
        h = int(bad_hour[0])
        raise IndexFileError(
            source,
            int(line_numbers[bad_row[0]]),
            f"hourly value {h:02d}-{h + 1:02d} UT (columns {21 + 4 * h}-{24 + 4 * h}) "
            "is not an integer",
        )
    year = century * 100 + yy
    dates = _dates(year, month, day, source, line_numbers)
    _check_unique(dates, source, line_numbers)
    values = np.where(hourly == WDC_MISSING, np.nan, base[:, None] * 100.0 + hourly)
    row_lines = np.repeat(line_numbers, 24)
    _check_range(values.ravel(), "Dst", source, row_lines)
    times = (dates[:, None] + np.arange(24) * _HOUR).ravel()
    return _series(times, values.ravel(), "Dst").sort_index()


def read_wdc_dst(path: PathLike) -> pd.Series:
    """Read a WDC exchange-format Dst file (see `parse_wdc_dst`).

    Parameters
    ----------
    path : str or os.PathLike
        The file (e.g. Kyoto's ``dstYYMM.for.request`` or several months concatenated).

    Returns
    -------
    pandas.Series
        Hourly Dst (nT), index = start of hour (naive UTC), NaN = missing.
    """
    return parse_wdc_dst(_read_text(path), source=path)


def download_dst(
    years: Sequence[int] | int,
    dest_dir: PathLike,
    timeout: float = 10.0,
    *,
    url_template: str = KYOTO_DST_FINAL_URL,
    overwrite: bool = False,
) -> list[Path]:
    """Download Kyoto final Dst (WDC format), one file ``dst_YYYY_final.wdc`` per year.

    Each year is fetched as twelve monthly files, checked with `parse_wdc_dst` and written
    as one file.  Existing files are kept unless ``overwrite``.

    Parameters
    ----------
    years : int or sequence of int
        UT years.
    dest_dir : str or os.PathLike
        Output folder (created if needed).
    timeout : float
        Seconds per request.
    url_template : str
        Monthly URL with ``{year}``, ``{month}`` and ``{yy}`` fields.
    overwrite : bool
        Download again even when the file exists.

    Returns
    -------
    list of pathlib.Path
        The yearly files, in year order.

    Raises
    ------
    IndexDownloadError
        Offline, timeout, HTTP error, or the server sent something that is not WDC Dst.
    """

    def fetch_year(year: int) -> bytes:
        chunks = []
        for month in range(1, 13):
            url = url_template.format(year=year, month=month, yy=year % 100)
            text = _fetch_checked(url, timeout, parse_wdc_dst, "WDC Dst").decode("latin-1")
            chunks.append("\n".join(ln for ln in text.splitlines() if ln.strip()) + "\n")
        return "".join(chunks).encode("latin-1")

    return _download_years(years, dest_dir, "dst_{year}_final.wdc", fetch_year, overwrite)
