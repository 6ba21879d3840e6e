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
