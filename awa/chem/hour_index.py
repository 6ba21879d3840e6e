"""Time windows as row ranges: the per-hour row index of a time-sorted store.

Every store is globally sorted by ``SpinStartTime`` (the field ``index`` of the ME store).
The build records, for each UT hour that has rows, the first row of that hour (node
``/awa/hour_index`` of the store file: an int64 array of shape (n, 2) holding hour start in ns
since 1970 and first row).  A time window
[t0, t1) then becomes a row range with two look-ups and, when a bound falls inside an hour,
one read of that hour's ``SpinStartTime`` values, instead of a search of the whole table.
No Dash, no pandas: plain PyTables and NumPy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import tables

from awa.chem.table_columns import time_field

NODE_GROUP = "awa"
NODE_NAME = "hour_index"
HOUR_NS = 3_600_000_000_000


def hour_starts(times_ns: npt.NDArray[np.int64], first_row: int) -> npt.NDArray[np.int64]:
    """(hour_ns, row) pairs of the first row of each hour in sorted ``times_ns``.

    ``first_row`` is the row number of ``times_ns[0]`` in the table.
    """
    hours = np.floor_divide(times_ns, HOUR_NS)
    uniq, first = np.unique(hours, return_index=True)
    return np.stack([uniq * HOUR_NS, first.astype(np.int64) + first_row], axis=1)


def merge_hour_starts(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """Concatenate per-chunk hour starts of a sorted table, keeping each hour's first row."""
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    allp = np.concatenate(parts)
    _, first = np.unique(allp[:, 0], return_index=True)
    return allp[first]


def scan_hour_index(table: tables.Table, chunk: int = 2_000_000) -> npt.NDArray[np.int64]:
    """Hour index of a sorted table by one sequential read of its ``SpinStartTime``."""
    parts = []
    for start in range(0, table.nrows, chunk):
        t = table.read(start, min(start + chunk, table.nrows), field=time_field(table))
        parts.append(hour_starts(np.asarray(t, dtype=np.int64), start))
    return merge_hour_starts(parts)


def write_hour_index(h5: tables.File, index: npt.NDArray[np.int64], nrows: int) -> None:
    """Store ``index`` as ``/awa/hour_index`` (replacing an older one)."""
    if f"/{NODE_GROUP}" not in h5:
        h5.create_group("/", NODE_GROUP, "AWA row indexes")
    where = f"/{NODE_GROUP}"
    if f"{where}/{NODE_NAME}" in h5:
        h5.remove_node(where, NODE_NAME)
    arr = h5.create_earray(
        where,
        NODE_NAME,
        atom=tables.Int64Atom(),
        shape=(0, 2),
        title="first row of each UT hour: (hour start ns since 1970, row)",
        filters=tables.Filters(complevel=5, complib="blosc:zstd"),
        expectedrows=max(len(index), 1),
    )
    if len(index):
        arr.append(np.asarray(index, dtype=np.int64).reshape(-1, 2))
    arr.attrs["nrows"] = int(nrows)


def read_hour_index(h5: tables.File) -> npt.NDArray[np.int64] | None:
    """The hour index of a store file, or None when the file has none (older builds)."""
    path = f"/{NODE_GROUP}/{NODE_NAME}"
    if path not in h5:
        return None
    return np.asarray(h5.get_node(path).read(), dtype=np.int64).reshape(-1, 2)


#: ``search(lo, hi, t_ns)``: the first row in ``[lo, hi)`` (one hour of a sorted table) whose
#: SpinStartTime is >= ``t_ns``, ``hi`` if none.
InHour = Callable[[int, int, int], int]


def _bound(
    table: tables.Table, index: npt.NDArray[np.int64], t_ns: int, search: InHour | None = None
) -> int:
    """First row with SpinStartTime >= t_ns (``search`` finds it inside an hour)."""
    nrows = int(table.nrows)
    if len(index) == 0:
        return nrows
    hour = (t_ns // HOUR_NS) * HOUR_NS
    k = int(np.searchsorted(index[:, 0], hour, side="left"))
    if k >= len(index):
        return nrows
    lo = int(index[k, 1])
    if index[k, 0] != hour or t_ns == hour:
        return lo  # the hour has no rows, or the bound is its start: the next hour's first row
    hi = int(index[k + 1, 1]) if k + 1 < len(index) else nrows
    if search is not None:
        return search(lo, hi, t_ns)
    times = np.asarray(table.read(lo, hi, field=time_field(table)), dtype=np.int64)
    return lo + int(np.searchsorted(times, t_ns, side="left"))


def row_range(
    table: tables.Table,
    index: npt.NDArray[np.int64],
    t0_ns: int,
    t1_ns: int,
    search: InHour | None = None,
) -> tuple[int, int]:
    """Rows [start, stop) of a sorted table whose SpinStartTime lies in [t0_ns, t1_ns).

    ``search`` finds a bound inside an hour (default: read the hour's times from the table).
    """
    if t1_ns <= t0_ns:
        return (0, 0)
    start = _bound(table, index, t0_ns, search)
    stop = _bound(table, index, t1_ns, search)
    return (start, max(start, stop))
