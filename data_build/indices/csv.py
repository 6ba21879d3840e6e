"""Either index as a simple CSV file with columns ``time,value`` (ISO 8601 times, UTC)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_build.indices.common import (
    _NS,
    IndexFileError,
    PathLike,
    _check_range,
    _check_unique,
    _data_lines,
    _kp_thirds,
    _numbers,
    _read_text,
    _series,
)

__all__ = ["parse_csv_index", "read_csv_index"]


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
        Values (Kp dimensionless, Dst nT) named ``name``, sorted by time (naive UTC).  Kp is
        returned as GFZ's three-decimal thirds (7.7, 23/3 and 7.667 all give 7.667).

    Raises
    ------
    IndexFileError
        Missing header, wrong field count, unparsable time or value, duplicate time,
        value outside the plausible range, a Kp that is not a third, or no rows.
    """
    rows, numbers = _data_lines(text, source, "empty CSV (expected a header 'time,value')")
    header = [h.strip().lower() for h in rows[0].split(",")]
    if header != ["time", "value"]:
        raise IndexFileError(
            source, int(numbers[0]), f"header must be 'time,value', found {rows[0]!r}"
        )
    rows, line_numbers = rows[1:], numbers[1:]
    if not rows:
        raise IndexFileError(source, None, "CSV has a header but no rows")
    fields = [row.split(",") for row in rows]
    counts = np.fromiter((len(f) for f in fields), dtype=np.int64, count=len(fields))
    bad = np.flatnonzero(counts != 2)
    if bad.size:
        i = bad[0]
        raise IndexFileError(
            source, int(line_numbers[i]), f"expected 2 comma-separated fields, found {counts[i]}"
        )
    table = np.array(fields, dtype=str).reshape(len(fields), 2)
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
    if name == "Kp":
        values = _kp_thirds(values, source, line_numbers)
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
