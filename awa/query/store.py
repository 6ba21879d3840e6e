"""Store access: read-only PyTables handles, time bisection, row ranges, the row limit.

Stores are read with PyTables directly, read-only, one handle per process and thread,
opened on first use.  Tables are sorted by ``SpinStartTime``, so a time window becomes a
row range found through the store's hour index or by bisection.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.chem import hour_index as hix
from awa.chem import schema, sidecar, table_columns
from awa.model import TimeRange

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class StoreMissingError(RuntimeError):
    """A store file is absent or unreadable; the message says which and how to build it."""


class SelectionTooLargeError(RuntimeError):
    """The selection spans more store rows than the app scans in one request."""


# ---------------------------------------------------------------------------------------
# Handles
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreKey:
    """Identifies a store folder and the version of its files (memoization key).

    ``stamp`` holds (file name, size, mtime ns) of each store present, so that a rebuilt
    store never serves stale cached results.
    """

    data_dir: str
    stamp: tuple[tuple[str, int, int], ...]


def store_key(data_dir: str | Path) -> StoreKey:
    """Return the :class:`StoreKey` of ``data_dir`` (one ``stat`` per store file)."""
    folder = Path(data_dir).resolve()
    stamp = []
    for name in [spec.filename for spec in schema.STORES] + [schema.COLUMNS_FILE]:
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append((name, st.st_size, st.st_mtime_ns))
    return StoreKey(str(folder), tuple(stamp))


_local = threading.local()
#: Every handle this process opened (any thread), closed at interpreter exit.
_opened: list[tables.File] = []
_opened_lock = threading.Lock()


def _close_at_exit() -> None:
    with _opened_lock:
        for handle in _opened:
            if handle.isopen:
                handle.close()
        _opened.clear()


atexit.register(_close_at_exit)


def _handles() -> dict[str, tuple[tables.File, tuple[int, int]]]:
    pid = os.getpid()
    if getattr(_local, "pid", None) != pid:
        _local.pid = pid
        _local.files = {}
    files: dict[str, tuple[tables.File, tuple[int, int]]] = _local.files
    return files


def close_all() -> None:
    """Close the handles this thread opened (tests; worker shutdown)."""
    for handle, _ in _handles().values():
        handle.close()
    _handles().clear()
    _local.__dict__.pop("hours", None)
    _local.__dict__.pop("sidecars", None)


#: HDF5 chunk cache of each dataset of a read handle.  Scans read forward, so a few chunks
#: suffice; PyTables' default (16 MiB a dataset, ~30 datasets in a scan, one handle per
#: thread) let a whole-year scan hold 620 MB, 360 MB with this.  2 MiB (300 MB) made
#: selective scans, which re-read rates chunks, 40 % slower (bench/README.md).
CHUNK_CACHE_BYTES = 4 * 2**20


def _open_file(path: Path) -> tables.File | None:
    """The read-only handle of ``path`` for this thread (reopened when the file changed).

    None when the file is absent; raises :class:`StoreMissingError` when it is unreadable.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    version = (st.st_size, st.st_mtime_ns)
    files = _handles()
    entry = files.get(str(path))
    if entry is not None and entry[1] != version:
        _local.__dict__.get("hours", {}).pop(id(entry[0]), None)
        _local.__dict__.get("sidecars", {}).pop(id(entry[0]), None)
        entry[0].close()
        entry = None
    if entry is None:
        try:
            handle = tables.open_file(str(path), mode="r", chunk_cache_size=CHUNK_CACHE_BYTES)
            with _opened_lock:
                _opened[:] = [h for h in _opened if h.isopen] + [handle]
        except (OSError, tables.HDF5ExtError) as exc:
            raise StoreMissingError(f"store {path.name} cannot be opened: {exc}") from None
        entry = (handle, version)
        files[str(path)] = entry
    return entry[0]


def get_table(data_dir: str | Path, spec: schema.StoreSpec) -> tables.Table:
    """Return the PyTables table of store ``spec`` in ``data_dir``, opened read-only on first use.

    Raises
    ------
    StoreMissingError
        When the file is absent or does not hold the expected table.
    """
    path = Path(data_dir).resolve() / spec.filename
    handle = _open_file(path)
    if handle is None:
        raise StoreMissingError(
            f"store {spec.filename} is missing in {path.parent}; build it with "
            f"'awa-build' (the app only reads stores)"
        )
    try:
        node = handle.get_node(f"/{spec.key}/table")
    except tables.NoSuchNodeError:
        raise StoreMissingError(
            f"store {spec.filename} has no table '{spec.key}'; rebuild it with 'awa-build'"
        ) from None
    assert isinstance(node, tables.Table)
    return node


def get_extras(
    table: tables.Table, names: tuple[str, ...] | list[str], lo: int, hi: int
) -> dict[str, npt.NDArray[Any]]:
    """AWA's per-row arrays of ``table``'s file (``StoreSpec.extras``) for rows ``[lo, hi)``.

    Raises
    ------
    StoreMissingError
        The file predates them; the message says to rebuild.
    """
    try:
        return table_columns.read_extras(table._v_file, names, lo, hi)
    except KeyError as exc:
        raise StoreMissingError(str(exc.args[0])) from None


def get_sidecar(data_dir: str | Path) -> sidecar.Sidecar | None:
    """The column sidecar of ``data_dir`` when present and made from its current stores.

    None (the stores are then read directly) when the file is absent, unreadable or stale.
    """
    folder = Path(data_dir).resolve()
    try:
        handle = _open_file(folder / schema.COLUMNS_FILE)
    except StoreMissingError:
        return None
    if handle is None:
        return None
    cache: dict[int, sidecar.Sidecar | None] = _local.__dict__.setdefault("sidecars", {})
    if id(handle) not in cache:
        pha = get_table(folder, schema.PHA_STORE)
        rates = get_table(folder, schema.RATES_STORE)
        ok = sidecar.matches(handle, pha, rates)
        cache[id(handle)] = sidecar.Sidecar(handle) if ok else None
    return cache[id(handle)]


def to_ns(t: datetime) -> int:
    """Naive UTC datetime -> int64 ns since 1970 (the stores' time encoding)."""
    return int(np.datetime64(t, "ns").astype(np.int64))


def from_ns(ns: int) -> datetime:
    """int64 ns since 1970 -> naive UTC datetime (to the microsecond)."""
    return datetime(1970, 1, 1) + timedelta(microseconds=int(ns) // 1000)


def time_at(table: tables.Table, row: int) -> int:
    """``SpinStartTime`` (int64 ns) of row ``row`` (the field ``index`` of the ME store)."""
    # A one-row read of whole rows is far faster than a one-row read of one field.
    return int(table.read(row, row + 1)[table_columns.time_field(table)][0])


def bisect_time(table: tables.Table, t_ns: int) -> int:
    """First row whose ``SpinStartTime`` is >= ``t_ns`` (the table is sorted by time)."""
    lo, hi = 0, table.nrows
    while lo < hi:
        mid = (lo + hi) // 2
        if time_at(table, mid) < t_ns:
            lo = mid + 1
        else:
            hi = mid
    return lo


def hour_index(table: tables.Table) -> npt.NDArray[np.int64] | None:
    """The store's per-hour row index (``awa.chem.hour_index``), read once per open handle.

    None when the file has none (then time bounds are found by bisection).
    """
    cache: dict[int, npt.NDArray[np.int64] | None] = _local.__dict__.setdefault("hours", {})
    h5 = table._v_file
    key = id(h5)
    if key not in cache or not h5.isopen:
        index = hix.read_hour_index(h5)
        nrows = None
        if index is not None:
            node = h5.get_node(f"/{hix.NODE_GROUP}/{hix.NODE_NAME}")
            nrows = node.attrs["nrows"] if "nrows" in node.attrs else None
        # An index written for another number of rows is stale: do not trust it.
        cache[key] = index if nrows is None or int(nrows) == table.nrows else None
    return cache[key]


def _runs_search(table: tables.Table) -> hix.InHour | None:
    """Bounds inside an hour of the PHA store from the sidecar's runs, when it matches.

    The sidecar holds each run's (spin's) first row and time, so a bound reads a few
    hundred run times instead of an hour of PHA rows (25 ms each on a 30-day store).
    """
    path = Path(table._v_file.filename)
    if path.name != schema.PHA_STORE.filename or table._v_pathname != (
        f"/{schema.PHA_STORE.key}/table"
    ):
        return None
    side = get_sidecar(path.parent)
    if side is None or side.n_events != int(table.nrows):
        return None
    starts, run_times = side.node("/pha/runs/start"), side.node("/pha/runs/SpinStartTime")

    def search(lo: int, hi: int, t_ns: int) -> int:
        r0, r1 = side.run_of_row(lo), side.run_of_row(hi)
        t = np.asarray(run_times[r0:r1], dtype=np.int64)
        j = r0 + int(np.searchsorted(t, t_ns, side="left"))
        return int(starts[j]) if j < r1 else hi

    return search


def row_ranges(table: tables.Table, times: tuple[TimeRange, ...]) -> list[tuple[int, int]]:
    """Row ranges ``[lo, hi)`` of ``table`` covering the time ranges (all rows if none).

    Uses the store's hour index when it has one, else bisection on the sorted times.
    """
    if not times:
        return [(0, table.nrows)] if table.nrows else []
    index = hour_index(table)
    search = _runs_search(table)
    out = []
    for r in times:
        if index is not None:
            lo, hi = hix.row_range(table, index, to_ns(r.start), to_ns(r.end), search)
        else:
            lo = bisect_time(table, to_ns(r.start))
            hi = bisect_time(table, to_ns(r.end))
        if hi > lo:
            out.append((lo, hi))
    return out


def count_rows(data_dir: str | Path, times: tuple[TimeRange, ...]) -> int:
    """Number of PHA store rows inside the time ranges (before any other filter)."""
    table = get_table(str(Path(data_dir).resolve()), schema.PHA_STORE)
    return sum(hi - lo for lo, hi in row_ranges(table, times))


#: Functions called as ``hook(what, rows)`` by :func:`check_row_limit` with the rows every
#: scan is about to read (the app's request log counts them); process-wide, set at startup.
SCAN_HOOKS: list[Callable[[str, int], None]] = []


def check_row_limit(
    total: int, limit: int | None, what: str, *, scans: str | None = None, hint: str = ""
) -> None:
    """Refuse a request that would scan more than ``limit`` store rows (the one row-limit rule).

    Parameters
    ----------
    total : int
        Store rows the request would read.
    limit : int or None
        Largest number of rows allowed (None: no limit).
    what : str
        What the rows are, e.g. ``"events"``, ``"cycles"``, ``"rows of <file>"``.
    scans : str, optional
        Who scans them, e.g. ``"one view scans"``: the message then names the limit.
    hint : str
        Text appended to the message.

    Raises
    ------
    SelectionTooLargeError
        When ``total`` exceeds ``limit``; the message says to choose a shorter time range.
    """
    for hook in SCAN_HOOKS:  # e.g. the request log's "events scanned"
        hook(what, total)
    if limit is None or total <= limit:
        return
    beyond = f", more than the {limit:,} {scans}" if scans else ""
    raise SelectionTooLargeError(
        f"the time range holds {total:,} {what}{beyond}; choose a shorter time range{hint}"
    )
