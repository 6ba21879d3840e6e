"""What the index readers share: errors, value checks, series assembly and the download loop.

All times are naive UTC ``datetime64[ns]``.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "KP_THIRDS",
    "FileKind",
    "IndexDownloadError",
    "IndexFileError",
    "IndexName",
    "PathLike",
    "VALID_RANGE",
]

PathLike = str | os.PathLike[str]
#: Plausible value ranges; values outside are rejected as a malformed file.
VALID_RANGE = {"Kp": (0.0, 9.0), "Dst": (-2000.0, 500.0)}
_HOUR = np.timedelta64(1, "h")
_KP_INTERVAL = np.timedelta64(3, "h")
_NS = "datetime64[ns]"
IndexName = Literal["Kp", "Dst"]
#: The index-file formats AWA reads (see :func:`data_build.indices.read.sniff_index_file`).
FileKind = Literal["gfz", "gfz_3h", "wdc", "wdc_kp", "omni2", "celestrak", "csv"]
#: Kp as GFZ writes it: the 28 thirds 0, 1/3, ..., 9 rounded to three decimals (0.333, 8.667).
#: Every reader returns Kp as one of these float64 values, whatever the source.
KP_THIRDS = np.round(np.arange(28) / 3.0, 3)
#: A decimal Kp farther than this from a third is not a Kp value (CelesTrak's one-decimal 7.7
#: is 0.033 from 23/3).
_KP_SNAP_TOLERANCE = 0.05


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


def _data_lines(text: str, source: PathLike, empty: str) -> tuple[list[str], np.ndarray]:
    """The non-blank lines of ``text`` that do not start with ``#``, and their 1-based numbers.

    Raises `IndexFileError` with reason ``empty`` when there are none.
    """
    lines = text.splitlines()
    keep = [i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not keep:
        raise IndexFileError(source, None, empty)
    return [lines[i] for i in keep], np.asarray(keep, dtype=np.int64) + 1


def _token_table(
    text: str, source: PathLike, fields: int, empty: str
) -> tuple[np.ndarray, np.ndarray]:
    """The data lines as a string table of ``fields`` columns, and their line numbers."""
    lines, line_numbers = _data_lines(text, source, empty)
    tokens = [ln.split() for ln in lines]
    counts = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    bad = np.flatnonzero(counts != fields)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"expected {fields} blank-separated fields, found {counts[i]}",
        )
    return np.array(tokens, dtype=str).reshape(len(tokens), fields), line_numbers


def _as_bytes(records: Sequence[str]) -> np.ndarray:
    """One uint8 row per record (all of one length); characters beyond latin-1 become '?'."""
    raw = "".join(records).encode("latin-1", errors="replace")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(records), -1).copy()


def _dates(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, source: PathLike, line_numbers: np.ndarray
) -> np.ndarray:
    """``datetime64[ns]`` days from year, month and day arrays; the first invalid date is an
    `IndexFileError` naming its line."""
    frame = pd.DataFrame({"year": year, "month": month, "day": day}).astype(np.int64)
    ok = (frame["year"].between(1, 9999) & frame["month"].between(1, 12)).to_numpy()
    dates = np.full(len(frame), np.datetime64("NaT"), dtype=_NS)
    if ok.any():
        dates[ok] = pd.to_datetime(frame[ok], errors="coerce").to_numpy(dtype=_NS)
    bad = np.flatnonzero(np.isnat(dates))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"invalid date {year[i]}-{month[i]:02d}-{day[i]:02d}"
        )
    return dates


def _kp_thirds(values: np.ndarray, source: PathLike, line_numbers: np.ndarray) -> np.ndarray:
    """Decimal Kp (3.333, 23/3, CelesTrak's 7.7) as GFZ's three-decimal thirds (`KP_THIRDS`).

    NaN stays NaN.  A value outside [0, 9] or farther than 0.05 from a third is an
    `IndexFileError` naming its line.  Spec section 3.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = ~np.isnan(values)
    bad = np.flatnonzero(finite & ~((values >= 0.0) & (values <= 9.0)))
    if bad.size:
        i = bad[0]
        raise IndexFileError(source, int(line_numbers[i]), f"Kp outside [0, 9]: {values[i]:g}")
    inside = np.where(finite, values, 0.0)
    thirds = np.rint(inside * 3.0)
    bad = np.flatnonzero(~(np.abs(thirds / 3.0 - inside) <= _KP_SNAP_TOLERANCE))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"Kp value {values[i]:g} is not a third (0, 0.333, 0.667, 1, ..., 8.667, 9)",
        )
    return np.where(finite, KP_THIRDS[np.clip(thirds, 0, 27).astype(np.int64)], np.nan)


def _kp_from_codes(codes: np.ndarray, source: PathLike, line_numbers: np.ndarray) -> np.ndarray:
    """Kp coded in tenths (WDC Kp, OMNI2, CelesTrak: 33 = 3+ = 3.333, 37 = 4- = 3.667, 40 = 4)
    as GFZ's three-decimal thirds (`KP_THIRDS`); the code -1 marks a missing value (NaN).

    The code's tens digit is the whole part, its units digit 0, 3 or 7 adds 0, 1/3 or 2/3.
    A code outside 0-90 or with another units digit is an `IndexFileError` naming its line.
    """
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes == -1
    units = codes % 10
    wrong_unit = (units != 0) & (units != 3) & (units != 7)
    bad = np.flatnonzero(~missing & ((codes < 0) | (codes > 90) | wrong_unit))
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source,
            int(line_numbers[i]),
            f"Kp code {codes[i]} is not a Kp in tenths (00, 03, 07, 10, ..., 87, 90)",
        )
    index = (codes // 10) * 3 + np.select([units == 3, units == 7], [1, 2], 0)
    return np.where(missing, np.nan, KP_THIRDS[np.clip(index, 0, 27)])


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
    except (ValueError, OverflowError):
        for i, token in enumerate(tokens):
            try:
                np.array([token]).astype(dtype)
            except (ValueError, OverflowError):
                raise IndexFileError(
                    source, int(line_numbers[i]), f"{what} {str(token)!r} is not a number"
                ) from None
        raise  # pragma: no cover - astype failed although every token converts


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


def _read_all(paths: Sequence[PathLike], read: Callable[[PathLike], pd.Series]) -> pd.Series:
    """Read every file with ``read`` and concatenate (see `_concat`)."""
    return _concat([read(p) for p in paths], [str(p) for p in paths])


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


def _fetch_checked(
    url: str, timeout: float, parse: Callable[[str, str], object], what: str
) -> bytes:
    """GET one URL and check its text with ``parse(text, source)`` before it is kept."""
    data = _fetch(url, timeout)
    try:
        parse(data.decode("latin-1"), url)
    except IndexFileError as exc:
        raise IndexDownloadError(f"downloaded file is not {what}: {exc}") from None
    return data


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
