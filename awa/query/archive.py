"""Store-wide facts: rows and time span of each store, the default view, storm intervals."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from awa.cache import cached
from awa.chem import schema
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
    """Intervals in which hourly Dst (HK store) is at or below ``threshold`` nT.

    Intervals closer than ``merge_hours`` are merged; each is padded to whole hours.
    """
    table = get_table(key.data_dir, schema.HK_STORE)
    t = table.read(field="SpinStartTime").astype(np.int64)
    dst = table.read(field="Dst").astype(np.float64)
    if len(t) == 0:
        return []
    hour = t // (3600 * 10**9)
    uniq, first = np.unique(hour, return_index=True)
    dst_h = dst[first]
    below = np.flatnonzero(np.isfinite(dst_h) & (dst_h <= threshold))
    if below.size == 0:
        return []
    hours_below = uniq[below]
    breaks = np.flatnonzero(np.diff(hours_below) > merge_hours) + 1
    storms = []
    for group in np.split(np.arange(below.size), breaks):
        h0, h1 = hours_below[group[0]], hours_below[group[-1]] + 1
        storms.append(
            Storm(from_ns(h0 * 3600 * 10**9), from_ns(h1 * 3600 * 10**9),
                  float(dst_h[below[group]].min()))
        )  # fmt: skip
    return storms
