"""Store-wide facts: rows and time span of each store, the default view, storm intervals."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from awa.cache import cached
from awa.chem import schema, storms
from awa.model import TimeRange
from awa.query.results import StoreSummary, Storm
from awa.query.store import StoreKey, StoreMissingError, from_ns, get_table, time_at


def summarize(data_dir: str | Path) -> StoreSummary:
    """Rows and first/last times of every store in ``data_dir``; absent stores are listed."""
    rows: dict[str, int] = {}
    spans: dict[str, tuple[datetime, datetime] | None] = {}
    missing = []
    for spec in schema.STORES:
        try:
            table = get_table(data_dir, spec)
        except StoreMissingError:
            missing.append(spec.filename)
            continue
        rows[spec.filename] = int(table.nrows)
        spans[spec.filename] = (
            (from_ns(time_at(table, 0)), from_ns(time_at(table, table.nrows - 1)))
            if table.nrows
            else None
        )
    return StoreSummary(rows, spans, tuple(missing))


def default_time_range(data_dir: str | Path) -> TimeRange | None:
    """The first UTC day of the PHA store (the view shown when the URL names no time)."""
    table = get_table(data_dir, schema.PHA_STORE)
    if table.nrows == 0:
        return None
    first = from_ns(time_at(table, 0))
    day = datetime(first.year, first.month, first.day)
    return TimeRange(day, day + timedelta(days=1))


@cached
def storm_intervals(key: StoreKey, threshold: float, merge_hours: float = 6.0) -> list[Storm]:
    """Storms of the stores' hourly Dst (HK store) by the one rule, :mod:`awa.chem.storms`.

    Parameters
    ----------
    key : StoreKey
        The store folder.
    threshold : float
        Dst at or below which an hour is stormy, nT.
    merge_hours : float
        Stormy hours at most this far apart form one storm, h.
    """
    table = get_table(key.data_dir, schema.HK_STORE)
    t = table.read(field="SpinStartTime").astype(np.int64)
    dst = table.read(field="Dst").astype(np.float64)
    if len(t) == 0:
        return []
    hour_ns = 3600 * 10**9
    uniq, first = np.unique(t // hour_ns, return_index=True)
    found = storms.storm_hours(uniq, dst[first], threshold, merge_hours)
    return [
        Storm(from_ns(int(h0) * hour_ns), from_ns(int(h1) * hour_ns), float(low))
        for h0, h1, low in zip(found.start, found.end, found.min_dst, strict=True)
    ]
