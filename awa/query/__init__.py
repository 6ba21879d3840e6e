"""Store access of the AWA app: typed filters in, NumPy arrays out (no Dash here).

Stores are read with PyTables directly, read-only, one handle per process and thread,
opened on first use.  Tables are sorted by ``SpinStartTime``, so a time window becomes a
row range found by bisection; the other filters are NumPy masks over the rows of that
range, read in chunks of bounded size.  PHA events take their per-spin rates (R_n, BR_n,
DCR, TCR, Dst, Kp, sweep membership) from the rates store by matching ``SpinStartTime``.

No text from a user reaches this module: it receives :class:`awa.model.Selection`
objects whose fields are numbers, enums and datetimes.
"""

from __future__ import annotations

import atexit
import functools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.cache import cached
from awa.chem import schema, sidecar
from awa.model import Selection, TimeRange
from awa.query import scan

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Rows of the rates store read beyond a chunk's spins, so that whole sweeps are seen.
SWEEP_MARGIN = 130
#: Rates columns joined onto PHA events.
RATE_JOIN = ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2", "Dst", "Kp")


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
            handle = tables.open_file(str(path), mode="r")
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


def _time_at(table: tables.Table, row: int) -> int:
    # A one-row read of whole rows is far faster than a one-row read of one field.
    return int(table.read(row, row + 1)["SpinStartTime"][0])


def bisect_time(table: tables.Table, t_ns: int) -> int:
    """First row whose ``SpinStartTime`` is >= ``t_ns`` (the table is sorted by time)."""
    lo, hi = 0, table.nrows
    while lo < hi:
        mid = (lo + hi) // 2
        if _time_at(table, mid) < t_ns:
            lo = mid + 1
        else:
            hi = mid
    return lo


def hour_index(table: tables.Table) -> npt.NDArray[np.int64] | None:
    """The store's per-hour row index (``awa.chem.hour_index``), read once per open handle.

    None when the file has none (then time bounds are found by bisection).
    """
    from awa.chem import hour_index as hix

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


def row_ranges(table: tables.Table, times: tuple[TimeRange, ...]) -> list[tuple[int, int]]:
    """Row ranges ``[lo, hi)`` of ``table`` covering the time ranges (all rows if none).

    Uses the store's hour index when it has one, else bisection on the sorted times.
    """
    if not times:
        return [(0, table.nrows)] if table.nrows else []
    from awa.chem import hour_index as hix

    index = hour_index(table)
    out = []
    for r in times:
        if index is not None:
            lo, hi = hix.row_range(table, index, to_ns(r.start), to_ns(r.end))
        else:
            lo = bisect_time(table, to_ns(r.start))
            hi = bisect_time(table, to_ns(r.end))
        if hi > lo:
            out.append((lo, hi))
    return out


# ---------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------


def _in_range(values: npt.NDArray[Any], bounds: tuple[float, float]) -> npt.NDArray[np.bool_]:
    return (values >= bounds[0]) & (values <= bounds[1])


#: Spin-level PHA columns the filters read (constant within a spin).
CONTEXT_COLUMNS = (
    "L", "Voltage_Step", "MLTH", "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority",
)  # fmt: skip
#: Event-level PHA columns the filters read.
DETECTOR_COLUMNS = ("SSDID", "Range", "Energy", "TOF")
#: Rates columns the rate filters read (:func:`spin_mask`).
RATE_FILTER_COLUMNS = (
    "Dst", "Kp", "BR0", "BR1", "BR2", "DCR", "TCR", "R0", "R1", "R2", "Period_Cntr",
    "Voltage_Step", "FSR", "SSD",
)  # fmt: skip


def context_mask(rows: Any, sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of PHA rows passing the spin-level filters of ``sel`` (``CONTEXT_COLUMNS``).

    ``rows`` is a structured array or a mapping of column arrays.
    """
    mask = np.ones(len(rows["L"]), dtype=bool)
    if sel.l_range is not None:
        mask &= _in_range(rows["L"], sel.l_range)
    if sel.vstep_range is not None:
        mask &= _in_range(rows["Voltage_Step"], sel.vstep_range)
    if sel.mlt_range is not None:
        lo, hi = sel.mlt_range
        mlt = rows["MLTH"]
        if lo <= hi:
            mask &= (mlt >= lo) & (mlt <= hi)
        else:
            mask &= (mlt >= lo) | (mlt <= hi)
    for column, allowed in (
        ("PAPS_lvl", sel.paps_levels),
        ("DPU_Mode", sel.dpu_modes),
        ("TAC_Slope", sel.tac_slopes),
        ("PHA_Priority", sel.pha_priorities),
    ):
        if allowed is not None:
            mask &= np.isin(rows[column], np.asarray(allowed))
    return mask


def detector_mask(rows: Any, sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of PHA rows passing the event-level filters of ``sel`` (``DETECTOR_COLUMNS``)."""
    mask = np.ones(len(rows["TOF"]), dtype=bool)
    for column, allowed in (("SSDID", sel.ssd_ids), ("Range", sel.pha_ranges)):
        if allowed is not None:
            mask &= np.isin(rows[column], np.asarray(allowed))
    if sel.triples_only:
        mask &= rows["Energy"] > 0
    if sel.reject_tof1019:
        mask &= rows["TOF"] != 1019
    if sel.reject_range3:
        mask &= rows["Range"] != 3
    if sel.reject_ssd_high:
        mask &= rows["SSDID"] < 4
    return mask


def event_mask(rows: npt.NDArray[Any], sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of PHA rows (structured array) passing the event-level filters of ``sel``."""
    return context_mask(rows, sel) & detector_mask(rows, sel)


def spin_mask(rates: Any, sel: Selection) -> npt.NDArray[np.bool_]:
    """Mask of rates rows (spins, structured array in time order) passing ``sel``'s rate filters.

    The sweep filter numbers sweeps by counting ``Period_Cntr == 0`` along the rows given,
    so ``rates`` should extend a sweep length beyond the spins of interest.
    """
    mask = np.ones(len(rates["Kp"]), dtype=bool)
    if sel.dst_range is not None:
        mask &= _in_range(rates["Dst"], sel.dst_range)
    if sel.kp_range is not None:
        mask &= _in_range(rates["Kp"], sel.kp_range)
    br = [rates[f"BR{n}"].astype(np.int64) for n in range(3)]
    if sel.sum_br_le_dcr:
        mask &= br[0] + br[1] + br[2] <= rates["DCR"]
    if sel.br2_le_tcr:
        mask &= br[2] <= rates["TCR"]
    if sel.rn_le_brn:
        for n in range(3):
            mask &= rates[f"R{n}"] <= br[n]
    for n, limit in enumerate((sel.max_br0, sel.max_br1, sel.max_br2)):
        if limit is not None:
            mask &= br[n] <= limit
    if sel.sweep is not None:
        sweep_id = np.cumsum(rates["Period_Cntr"] == 0)
        hot = (rates["Voltage_Step"] == sel.sweep.step) & (rates[sel.sweep.rate] > sel.sweep.limit)
        mask &= ~np.isin(sweep_id, np.unique(sweep_id[hot]))
    return mask


# ---------------------------------------------------------------------------------------
# Event streaming
# ---------------------------------------------------------------------------------------


def _join_rates(
    data_dir: str, times_ns: npt.NDArray[np.int64], sel: Selection, need_values: bool
) -> tuple[npt.NDArray[np.bool_], dict[str, FloatArray]]:
    """Per-event pass mask of the rate filters and (optionally) joined rate values."""
    rates_t = get_table(data_dir, schema.RATES_STORE)
    lo = max(bisect_time(rates_t, int(times_ns[0])) - SWEEP_MARGIN, 0)
    hi = min(bisect_time(rates_t, int(times_ns[-1]) + 1) + SWEEP_MARGIN, rates_t.nrows)
    rates = rates_t.read(lo, hi)
    spin_t = rates["SpinStartTime"]
    pos = np.searchsorted(spin_t, times_ns)
    pos_c = np.minimum(pos, max(len(spin_t) - 1, 0))
    found = (pos < len(spin_t)) & (spin_t[pos_c] == times_ns) if len(spin_t) else pos < 0
    ok = found.copy()
    if sel.needs_rates and len(spin_t):
        ok &= spin_mask(rates, sel)[pos_c]
    values: dict[str, FloatArray] = {}
    if need_values:
        for name in RATE_JOIN:
            col = rates[name].astype(np.float64) if len(spin_t) else np.zeros(1)
            values[name] = np.where(found, col[pos_c] if len(spin_t) else np.nan, np.nan)
    return ok, values


def iter_events(
    data_dir: str | Path,
    sel: Selection,
    with_rates: bool = False,
    chunk_rows: int = 2_000_000,
    max_rows: int | None = None,
    spec: schema.StoreSpec = schema.PHA_STORE,
) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """Yield the selected PHA events chunk by chunk, as ``{column: array}``.

    Parameters
    ----------
    data_dir : path
        Store folder.
    sel : Selection
        The filters.
    with_rates : bool
        Also join ``RATE_JOIN`` columns of each event's spin (float64, NaN when absent).
    chunk_rows : int
        Rows read per chunk (bounds memory).
    max_rows : int, optional
        Largest number of rows scanned; more raises :class:`SelectionTooLargeError`.

    Yields
    ------
    dict
        PHA columns (store dtypes, ``SpinStartTime`` as int64 ns) and joined rates.
    """
    folder = str(Path(data_dir).resolve())
    table = get_table(folder, spec)
    ranges = row_ranges(table, sel.times)
    total = sum(hi - lo for lo, hi in ranges)
    if max_rows is not None and total > max_rows:
        raise SelectionTooLargeError(
            f"the time range holds {total:,} events, more than the {max_rows:,} one view "
            f"scans; choose a shorter time range"
        )
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            mask = event_mask(rows, sel)
            if not mask.any():
                continue
            rows = rows[mask]
            joined: dict[str, FloatArray] = {}
            if sel.needs_rates or with_rates:
                ok, joined = _join_rates(folder, rows["SpinStartTime"], sel, with_rates)
                if sel.needs_rates:
                    rows = rows[ok]
                    joined = {k: v[ok] for k, v in joined.items()}
                if len(rows) == 0:
                    continue
            out: dict[str, npt.NDArray[Any]] = {
                name: rows[name] for name in rows.dtype.names or () if name != "index"
            }
            out.update(joined)
            yield out


def count_rows(data_dir: str | Path, times: tuple[TimeRange, ...]) -> int:
    """Number of PHA store rows inside the time ranges (before any other filter)."""
    table = get_table(str(Path(data_dir).resolve()), schema.PHA_STORE)
    return sum(hi - lo for lo, hi in row_ranges(table, times))


# ---------------------------------------------------------------------------------------
# Histograms
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hist2D:
    """A 2-D histogram: ``counts[iy, ix]`` on bin edges ``x_edges``, ``y_edges``.

    ``n_selected`` is the number of events the selection holds; ``n_shown`` the number
    inside the grid (the rest fall outside the axis ranges or have no valid value).
    """

    counts: FloatArray
    x_edges: FloatArray
    y_edges: FloatArray
    n_selected: int
    n_shown: int
    weighted: bool = False


def _inside(values: npt.NDArray[Any], edges: FloatArray) -> npt.NDArray[np.bool_]:
    """Values in the half-open span ``[edges[0], edges[-1])`` of a grid."""
    return (values >= edges[0]) & (values < edges[-1])


def channel_edges(lo: float, hi: float, width: int) -> FloatArray:
    """Bin edges in channels covering ``[lo, hi]`` with ``width`` channels per bin."""
    start = np.floor(lo / width) * width
    stop = np.floor(hi / width) * width + width
    return np.arange(start, stop + 0.5 * width, width, dtype=np.float64)


def log_edges(lo: float, hi: float, width: float) -> FloatArray:
    """Bin edges, equal in log10 with ``width`` decades per bin, covering ``[lo, hi]``."""
    a, b = np.log10(lo), np.log10(hi)
    n = max(int(np.ceil((b - a) / width - 1e-9)), 1)
    return np.asarray(10.0 ** (a + width * np.arange(n + 1)), dtype=np.float64)


@cached
def et_histogram(
    key: StoreKey,
    sel: Selection,
    bin_width: int,
    x_range: tuple[float, float] = (0.0, 1023.0),
    y_range: tuple[float, float] = (0.0, 1023.0),
    max_rows: int | None = None,
    chunk_rows: int = 2_000_000,
) -> Hist2D:
    """Histogram of the selected events: TOF channel (x) versus Energy channel (y).

    Parameters
    ----------
    key : StoreKey
        Store folder (and version).
    sel : Selection
        The filters.
    bin_width : int
        Channels per bin on both axes.
    x_range, y_range : (float, float)
        TOF and Energy channel ranges of the grid.

    Returns
    -------
    Hist2D
        Counts per bin; edges in channels (ns = ch * 320/1023, keV = ch * 1500/1023,
        spec section 4).
    """
    xe = channel_edges(*x_range, bin_width)
    ye = channel_edges(*y_range, bin_width)
    side = get_sidecar(key.data_dir)
    if side is not None:
        flat, n_sel = _channel_counts(side, key.data_dir, sel, xe, ye)
        counts = flat.reshape(len(ye) - 1, len(xe) - 1).astype(np.float64)
        return Hist2D(counts, xe, ye, n_sel, int(flat.sum()))
    counts = np.zeros((len(ye) - 1, len(xe) - 1))
    n_sel = 0
    for ev in iter_events(key.data_dir, sel, chunk_rows=chunk_rows, max_rows=max_rows):
        n_sel += len(ev["TOF"])
        inside = _inside(ev["TOF"], xe) & _inside(ev["Energy"], ye)
        h, _, _ = np.histogram2d(ev["Energy"][inside], ev["TOF"][inside], bins=(ye, xe))
        counts += h
    return Hist2D(counts, xe, ye, n_sel, int(counts.sum()))


@functools.lru_cache(maxsize=64)
def _channel_lut(edges: tuple[float, ...], scale: int) -> npt.NDArray[np.int32]:
    """Bin of every int16 channel value (indexed by its uint16 bit pattern) times ``scale``.

    Values outside ``[edges[0], edges[-1])`` map to a large negative number.  The bin is the
    one ``np.histogram2d`` gives (``searchsorted(edges, v, "right") - 1``), so counts made
    with the table equal the brute-force ones exactly.
    """
    e = np.asarray(edges, dtype=np.float64)
    u = np.arange(65536, dtype=np.int64)
    v = np.where(u < 32768, u, u - 65536).astype(np.float64)
    inside = (v >= e[0]) & (v < e[-1])
    b = np.searchsorted(e, v, side="right") - 1
    return np.where(inside, b * scale, -(2**30)).astype(np.int32)


def _channel_counts(
    side: sidecar.Sidecar, data_dir: str, sel: Selection, xe: FloatArray, ye: FloatArray
) -> tuple[npt.NDArray[np.int64], int]:
    """Flat (Energy bin, TOF bin) counts and the number selected, from the column sidecar."""
    nx, ny = len(xe) - 1, len(ye) - 1
    lut_x = _channel_lut(tuple(xe.tolist()), 1)
    lut_y = _channel_lut(tuple(ye.tolist()), nx)
    flat = np.zeros(nx * ny, dtype=np.int64)
    n_sel = 0
    ranges = row_ranges(get_table(data_dir, schema.PHA_STORE), sel.times)
    for block in scan.scan(side, ranges, sel, ("Energy", "TOF")):
        n_sel += int(np.count_nonzero(block.mask))
        idx = lut_y[block.values["Energy"].view(np.uint16)]
        idx += lut_x[block.values["TOF"].view(np.uint16)]
        keep = block.mask & (idx >= 0)
        flat += np.bincount(idx[keep], minlength=nx * ny)
    return flat, n_sel


def event_weights(ev: dict[str, npt.NDArray[Any]]) -> FloatArray:
    """BR_n / R_n of each event's spin and range n (0 where R_n is 0 or missing)."""
    rng_code = ev["Range"].astype(np.int64)
    br = np.choose(np.clip(rng_code, 0, 2), [ev["BR0"], ev["BR1"], ev["BR2"]])
    r = np.choose(np.clip(rng_code, 0, 2), [ev["R0"], ev["R1"], ev["R2"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where((r > 0) & (rng_code <= 2), br / r, 0.0)
    return np.nan_to_num(np.asarray(w, dtype=np.float64), nan=0.0)


def convert(ev: dict[str, npt.NDArray[Any]]) -> dict[str, FloatArray]:
    """Physical values of events (``awa.chem.physics.convert_events``): E_keV, T_ns, mass, mpq."""
    from awa.chem import physics

    return physics.convert_events(ev["Energy"], ev["TOF"], ev["Voltage_Step"], ev["PAPS_lvl"])


@cached
def mmq_histogram(
    key: StoreKey,
    sel: Selection,
    bin_x: float,
    bin_y: float,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    normalise: bool = False,
    max_rows: int | None = None,
    chunk_rows: int = 2_000_000,
) -> Hist2D:
    """Histogram of mass per charge (x, amu/e) versus mass (y, amu) on log-log bins.

    Parameters
    ----------
    bin_x, bin_y : float
        Bin widths in decades (log10) of M/Q and mass.
    x_range, y_range : (float, float)
        M/Q (amu/e) and mass (amu) ranges of the grid.
    normalise : bool
        Weight each event by BR_n/R_n of its spin and range (the rate it stands for).

    Returns
    -------
    Hist2D
        Counts (or weighted counts) per bin.  Events without an energy signal (mass 0)
        or without a valid M/Q fall outside the grid (spec section 4).
    """
    xe = log_edges(*x_range, bin_x)
    ye = log_edges(*y_range, bin_y)
    acc = _MmqAccumulator(xe, ye, normalise)
    side = get_sidecar(key.data_dir)
    if side is not None:
        ranges = row_ranges(get_table(key.data_dir, schema.PHA_STORE), sel.times)
        weights = ("BR0", "BR1", "BR2", "R0", "R1", "R2") if normalise else ()
        ev_cols = ("Energy", "TOF", "Range") if normalise else ("Energy", "TOF")
        for block in scan.scan(
            side, ranges, sel, ev_cols, ("Voltage_Step", "PAPS_lvl"), weights
        ):
            acc.add({k: v[block.mask] for k, v in block.values.items()})
    else:
        for ev in iter_events(
            key.data_dir, sel, with_rates=normalise, chunk_rows=chunk_rows, max_rows=max_rows
        ):
            acc.add(ev)
    return Hist2D(acc.counts, xe, ye, acc.n_sel, acc.n_shown, weighted=normalise)


class _MmqAccumulator:
    """Sums the M-M/Q histogram of event chunks (selected events only)."""

    def __init__(self, xe: FloatArray, ye: FloatArray, normalise: bool) -> None:
        self.xe, self.ye, self.normalise = xe, ye, normalise
        self.counts = np.zeros((len(ye) - 1, len(xe) - 1))
        self.n_sel = 0
        self.n_shown = 0

    def add(self, ev: dict[str, npt.NDArray[Any]]) -> None:
        xe, ye = self.xe, self.ye
        self.n_sel += len(ev["TOF"])
        if len(ev["TOF"]) == 0:
            return
        from awa.chem import physics

        # The values of physics.convert_events, element by element; M/Q (the costly part)
        # only for events whose mass is on the grid, as no other event can be shown.
        t_ns = physics.tof_ns(ev["TOF"])
        mass = physics.mass_amu(physics.energy_kev(ev["Energy"]), t_ns)
        on_grid = np.flatnonzero(np.isfinite(mass) & _inside(mass, ye))
        mass = mass[on_grid]
        mpq = physics.mass_per_charge(
            t_ns[on_grid], mass, ev["Voltage_Step"][on_grid],
            physics.paps_kv(ev["PAPS_lvl"][on_grid]),
        )  # fmt: skip
        ok = np.isfinite(mpq) & _inside(mpq, xe)
        good = on_grid[ok]
        mass, mpq = mass[ok], mpq[ok]
        weights = event_weights(ev)[good] if self.normalise else None
        h, _, _ = np.histogram2d(mass, mpq, bins=(ye, xe), weights=weights)
        if weights is None:
            self.n_shown += int(h.sum())
        else:
            self.n_shown += len(good)
        self.counts += h


# ---------------------------------------------------------------------------------------
# Individual events (scatter, CSV)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSample:
    """Selected events (when at most ``limit``) with physical values; else only the count."""

    columns: dict[str, npt.NDArray[Any]]
    n_selected: int
    complete: bool


@cached
def select_events(
    key: StoreKey,
    sel: Selection,
    limit: int,
    max_rows: int | None = None,
    chunk_rows: int = 2_000_000,
) -> EventSample:
    """Return the selected events with E_keV, T_ns, mass and mpq, if there are <= ``limit``.

    When the selection holds more than ``limit`` events, ``complete`` is False and
    ``columns`` is empty; ``n_selected`` is then the full count.
    """
    parts: list[dict[str, npt.NDArray[Any]]] = []
    n = 0
    for ev in iter_events(key.data_dir, sel, chunk_rows=chunk_rows, max_rows=max_rows):
        n += len(ev["TOF"])
        if n <= limit:
            parts.append(ev)
        else:
            parts = []
    if n > limit:
        return EventSample({}, n, False)
    if not parts:
        return EventSample({}, 0, True)
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    cols.update(convert(cols))
    return EventSample(cols, n, True)


# ---------------------------------------------------------------------------------------
# Timelines
# ---------------------------------------------------------------------------------------

#: Timeline panel -> (store, columns).  R/BR shows R_n / BR_n for n = 0, 1, 2.
PANEL_SOURCES: dict[str, tuple[schema.StoreSpec, tuple[str, ...]]] = {
    "FSR": (schema.RATES_STORE, ("FSR",)),
    "DCR": (schema.RATES_STORE, ("DCR",)),
    "TCR": (schema.RATES_STORE, ("TCR",)),
    "SSD": (schema.RATES_STORE, ("SSD",)),
    "BR0": (schema.RATES_STORE, ("BR0",)),
    "BR1": (schema.RATES_STORE, ("BR1",)),
    "BR2": (schema.RATES_STORE, ("BR2",)),
    "R0": (schema.RATES_STORE, ("R0",)),
    "R1": (schema.RATES_STORE, ("R1",)),
    "R2": (schema.RATES_STORE, ("R2",)),
    "R/BR": (schema.RATES_STORE, ("R0/BR0", "R1/BR1", "R2/BR2")),
    "VSTEP": (schema.RATES_STORE, ("Voltage_Step",)),
    "L": (schema.HK_STORE, ("L",)),
    "MLT": (schema.HK_STORE, ("MLTH",)),
    "MAGLAT": (schema.HK_STORE, ("MAGLAT",)),
    "PAPS": (schema.HK_STORE, ("PAPS_kV",)),
    "DPU": (schema.HK_STORE, ("DPU_Mode",)),
    "TAC": (schema.HK_STORE, ("TAC_Slope",)),
    "PRIORITY": (schema.HK_STORE, ("PHA_Priority",)),
    "ME": (schema.ME_STORE, ("ME_sum",)),
    "Kp": (schema.HK_STORE, ("Kp",)),
    "Dst": (schema.HK_STORE, ("Dst",)),
}


@dataclass(frozen=True)
class Series:
    """One decimated timeline trace: times (int64 ns, NaT-free) and values; NaN breaks gaps."""

    name: str
    t_ns: npt.NDArray[np.int64]
    values: FloatArray
    n_raw: int


def _fields_for(table: tables.Table, column: str) -> list[str]:
    """Table fields a timeline column is computed from."""
    if "/" in column:
        return column.split("/")
    if column == "PAPS_kV":
        return ["PAPS_lvl"]
    if column == "ME_sum":
        return [n for n in table.colnames if n.startswith("values_block")] + ["CSHK"]
    return [column]


def _me_box_masks(table: tables.Table) -> dict[str, npt.NDArray[np.bool_]]:
    """Per ME value block, which of its columns are boxes (ME0..ME490, spec section 6).

    pandas keeps the names of a block's columns in the table attribute ``<block>_kind``.
    """
    return {
        b: np.array(
            [int(str(name)[2:]) < schema.N_ME_BOXES for name in table.attrs[f"{b}_kind"]],
            dtype=bool,
        )
        for b in table.colnames
        if b.startswith("values_block")
    }


def _derived(
    rows: dict[str, npt.NDArray[Any]],
    column: str,
    me_masks: dict[str, npt.NDArray[np.bool_]] | None = None,
) -> FloatArray:
    """A timeline column from the fields of ``rows`` (ratios, kV, summed ME, valid L).

    The summed ME is the sum of the 491 boxes of a science cycle (NaN for calibration
    cycles); ``me_masks`` (from :func:`_me_box_masks`) says which block columns are boxes.
    """
    if "/" in column:
        num, den = column.split("/")
        r = rows[num].astype(np.float64)
        b = rows[den].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, r / b, np.nan)
    if column == "PAPS_kV":
        from awa.chem import physics

        return np.asarray(physics.paps_kv(rows["PAPS_lvl"]), dtype=np.float64)
    if column == "ME_sum":
        cshk = rows["CSHK"]
        total = np.zeros(len(cshk), dtype=np.float64)
        for name, block in rows.items():
            if not name.startswith("values_block"):
                continue
            values = block.reshape(len(block), -1)
            if me_masks is not None:
                values = values[:, me_masks[name]]
            total += values.sum(axis=1, dtype=np.float64)
        return np.where(cshk == 0, total, np.nan)
    if column == "L":
        return np.where(rows["L"] >= 1, rows["L"], np.nan).astype(np.float64)
    return np.asarray(rows[column], dtype=np.float64)


def read_timeline_column(
    table: tables.Table,
    lo: int,
    hi: int,
    column: str,
    chunk_bytes: int = 64 * 2**20,
    side: sidecar.Sidecar | None = None,
) -> FloatArray:
    """Values of timeline ``column`` for rows ``[lo, hi)``, read field by field in chunks.

    With ``side`` (the column sidecar, for the rates store) the fields are read from it.
    """
    fields = _fields_for(table, column)
    row_bytes = sum(table.coldtypes[f].itemsize for f in fields) or 1
    step = max(chunk_bytes // row_bytes, 1000)

    def read(c0: int, c1: int) -> dict[str, npt.NDArray[Any]]:
        if side is not None:
            return side.read("rates", fields, c0, c1)
        return {f: table.read(c0, c1, field=f) for f in fields}

    masks = _me_box_masks(table) if column == "ME_sum" else None
    parts = [_derived(read(c0, min(c0 + step, hi)), column, masks) for c0 in range(lo, hi, step)]
    return np.concatenate(parts) if parts else np.zeros(0)


def decimate(
    t_ns: npt.NDArray[np.int64], values: FloatArray, points: int
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Reduce a trace to about ``points`` samples keeping each bucket's minimum and maximum.

    Samples are grouped into ``points // 2`` buckets of consecutive rows; each bucket gives
    its minimum and its maximum in time order, so spikes survive.  Short traces pass through.
    """
    n = len(values)
    if n <= points:
        return t_ns, values
    nb = max(points // 2, 1)
    edges = np.linspace(0, n, nb + 1).astype(np.int64)
    starts = edges[:-1]
    filled = np.where(np.isnan(values), -np.inf, values)
    vmax = np.maximum.reduceat(filled, starts)
    imax = _arg_reduce(filled, starts, vmax)
    filled_min = np.where(np.isnan(values), np.inf, values)
    vmin = np.minimum.reduceat(filled_min, starts)
    imin = _arg_reduce(filled_min, starts, vmin)
    idx = np.sort(np.concatenate([imin, imax]))
    return t_ns[idx], values[idx]


def _arg_reduce(
    values: FloatArray, starts: npt.NDArray[np.int64], target: FloatArray
) -> npt.NDArray[np.int64]:
    """Index of the first element of each bucket equal to the bucket's reduced value."""
    bucket = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    hit = np.flatnonzero(values == target[bucket])
    first = np.unique(bucket[hit], return_index=True)[1]
    return hit[first].astype(np.int64)


@cached
def timeline(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    panels: tuple[str, ...],
    points: int = 2000,
    max_rows: int | None = None,
) -> dict[str, list[Series]]:
    """Decimated time series of the requested panels inside the time ranges.

    Parameters
    ----------
    times : tuple of TimeRange
        Ranges (gaps between them are drawn as breaks).
    panels : tuple of str
        Names from ``PANEL_SOURCES`` (``Kp`` and ``Dst`` included).
    points : int
        About this many samples per trace (min/max decimation).

    Returns
    -------
    dict
        Panel name -> list of :class:`Series` (several for R/BR).  Units: rates in
        counts/spin, L in Re, MLT in h, MAGLAT in rad, PAPS in kV, ME in counts/cycle.
    """
    out: dict[str, list[Series]] = {p: [] for p in panels}
    by_store: dict[str, list[str]] = {}
    for panel in panels:
        spec, _ = PANEL_SOURCES[panel]
        by_store.setdefault(spec.key, []).append(panel)
    specs = {s.key: s for s in schema.STORES}
    for store, names in by_store.items():
        table = get_table(key.data_dir, specs[store])
        ranges = row_ranges(table, times)
        total = sum(hi - lo for lo, hi in ranges)
        side = get_sidecar(key.data_dir) if store == schema.RATES_STORE.key else None
        if side is None and max_rows is not None and total > max_rows:
            raise SelectionTooLargeError(
                f"the time range holds {total:,} rows of {specs[store].filename}; "
                f"choose a shorter time range"
            )
        if side is not None:
            pieces = [
                (lo, hi, side.read("rates", ["SpinStartTime"], lo, hi)["SpinStartTime"])
                for lo, hi in ranges
            ]
        else:
            pieces = [(lo, hi, table.read(lo, hi, field="SpinStartTime")) for lo, hi in ranges]
        for panel in names:
            series = []
            for column in PANEL_SOURCES[panel][1]:
                ts, vs = [], []
                for lo, hi, t_raw in pieces:
                    if hi <= lo:
                        continue
                    t = t_raw.astype(np.int64)
                    v = read_timeline_column(table, lo, hi, column, side=side)
                    share = max(int(points * (hi - lo) / max(total, 1)), 10)
                    td, vd = decimate(t, v, share)
                    ts += [td, np.array([td[-1] + 1], dtype=np.int64)]
                    vs += [vd, np.array([np.nan])]
                t_all = np.concatenate(ts[:-1]) if ts else np.zeros(0, np.int64)
                v_all = np.concatenate(vs[:-1]) if vs else np.zeros(0)
                series.append(Series(column, t_all, v_all, total))
            out[panel] = series
    return out


# ---------------------------------------------------------------------------------------
# Store-wide facts: time span, storms
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSummary:
    """Rows and time span of each store present (``None`` span when empty)."""

    rows: dict[str, int]
    spans: dict[str, tuple[datetime, datetime] | None]
    missing: tuple[str, ...]


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
            (from_ns(_time_at(table, 0)), from_ns(_time_at(table, table.nrows - 1)))
            if table.nrows
            else None
        )
    return StoreSummary(rows, spans, tuple(missing))


def default_time_range(data_dir: str | Path) -> TimeRange | None:
    """The first UTC day of the PHA store (the view shown when the URL names no time)."""
    table = get_table(data_dir, schema.PHA_STORE)
    if table.nrows == 0:
        return None
    first = from_ns(_time_at(table, 0))
    day = datetime(first.year, first.month, first.day)
    return TimeRange(day, day + timedelta(days=1))


@dataclass(frozen=True)
class Storm:
    """An interval with Dst below a threshold: start, end (UTC) and minimum Dst (nT)."""

    start: datetime
    end: datetime
    min_dst: float


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


@dataclass(frozen=True)
class MeTotals:
    """Matrix-element counts summed over the selected cycles (ME0..ME511) and the cycles."""

    counts: FloatArray
    n_cycles: int


@cached
def me_totals(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    l_range: tuple[float, float] | None,
    max_rows: int | None = None,
    chunk_rows: int = 20_000,
) -> MeTotals:
    """Sum ME0..ME511 over the science cycles (CSHK 0) inside the time ranges and L range.

    Returns
    -------
    MeTotals
        Counts per matrix element (counts summed over cycles, spec section 6).
    """
    table = get_table(key.data_dir, schema.ME_STORE)
    ranges = row_ranges(table, times)
    total_rows = sum(hi - lo for lo, hi in ranges)
    if max_rows is not None and total_rows > max_rows:
        raise SelectionTooLargeError(
            f"the time range holds {total_rows:,} cycles; choose a shorter time range"
        )
    blocks = [n for n in table.colnames if n.startswith("values_block")]
    # pandas keeps the names of a block's columns in the table attribute <block>_kind;
    # the order is not ME0..ME511, so each column is placed by its name.
    positions = [
        np.array([int(str(name)[2:]) for name in table.attrs[f"{b}_kind"]], dtype=np.int64)
        for b in blocks
    ]
    counts = np.zeros(schema.N_ME)
    n = 0
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            rows = table.read(c0, min(c0 + chunk_rows, hi))
            keep = rows["CSHK"] == 0
            if l_range is not None:
                keep &= _in_range(rows["L"], l_range)
            n += int(keep.sum())
            for b, where in zip(blocks, positions, strict=True):
                values = rows[b].reshape(len(rows), -1)[keep]
                counts[where] += values.sum(axis=0)
    return MeTotals(counts, n)
