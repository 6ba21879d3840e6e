"""Histograms of selected PHA events (E-T channels, M-M/Q) and the selected events themselves.

Each histogram reads the column sidecar when it is present and valid, else the store.  With a
``progress`` callback a histogram is drawn piece by piece (:func:`awa.query.pieces.by_pieces`):
every event lies in exactly one piece, so the sum equals the whole, and ``progress(step)``
follows each piece (the background callbacks' progress bar).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

import awa.query.kernels as kernels
import awa.query.physics_bins as physics_bins
import awa.query.scan as scan
from awa.cache import cached
from awa.chem import physics, schema, sidecar
from awa.model import Selection
from awa.query.masks import detector_tables
from awa.query.pieces import Progress, by_pieces
from awa.query.results import EventSample, Hist2D
from awa.query.store import (
    FloatArray,
    StoreKey,
    get_sidecar,
    get_table,
    row_ranges,
)


def _inside(values: npt.NDArray[Any], edges: FloatArray) -> npt.NDArray[np.bool_]:
    """Values in the half-open span ``[edges[0], edges[-1])`` of a grid."""
    return (values >= edges[0]) & (values < edges[-1])


def channel_edges(lo: float, hi: float, width: float) -> FloatArray:
    """Bin edges in channels covering ``[lo, hi]`` with ``width`` channels per bin."""
    start = np.floor(lo / width) * width
    stop = np.floor(hi / width) * width + width
    return np.arange(start, stop + 0.5 * width, width, dtype=np.float64)


def log_edges(lo: float, hi: float, width: float) -> FloatArray:
    """Bin edges, equal in log10 with ``width`` decades per bin, covering ``[lo, hi]``."""
    a, b = np.log10(lo), np.log10(hi)
    n = max(int(np.ceil((b - a) / width - 1e-9)), 1)
    return np.asarray(10.0 ** (a + width * np.arange(n + 1)), dtype=np.float64)


def exact_log_edges(lo: float, hi: float, width: float) -> FloatArray:
    """The science team's log grid: exactly ``[lo, hi]``, ``int(log10(hi/lo)/width) + 1`` edges.

    The bins are equal in log10 and about ``width`` decades wide (0.5-100 amu at 0.01 decade:
    231 edges, 230 bins of 0.010004 decade).
    """
    num = max(int(np.log10(hi / lo) / width) + 1, 2)
    return np.asarray(np.geomspace(lo, hi, num=num), dtype=np.float64)


@cached
def et_histogram(
    key: StoreKey,
    sel: Selection,
    bin_width: float,
    x_range: tuple[float, float] = (0.0, float(physics.CHANNEL_MAX)),
    y_range: tuple[float, float] = (0.0, float(physics.CHANNEL_MAX)),
    max_rows: int | None = None,
    chunk_rows: int = 2_000_000,
    *,
    progress: Progress | None = None,
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
    max_rows : int, optional
        Largest number of store rows scanned (the whole selection).
    progress : callable, optional
        ``progress(step)`` before the first and after each piece: the selection is then
        drawn piece by piece (:func:`awa.query.pieces.by_pieces`), summed as they arrive.

    Returns
    -------
    Hist2D
        Counts per bin; edges in channels (ns = ch * ``physics.T_NS_PER_CHANNEL``,
        keV = ch * ``physics.E_KEV_PER_CHANNEL``, spec section 4).
    """
    if progress is not None:
        return by_pieces(
            et_histogram, key, sel, max_rows, progress,
            bin_width=bin_width, x_range=x_range, y_range=y_range, chunk_rows=chunk_rows,
        )  # fmt: skip
    xe = channel_edges(*x_range, bin_width)
    ye = channel_edges(*y_range, bin_width)
    side = get_sidecar(key.data_dir)
    if side is not None:
        flat, n_sel = _channel_counts(side, key.data_dir, sel, xe, ye)
        counts = flat.reshape(len(ye) - 1, len(xe) - 1).astype(np.float64)
        return Hist2D(counts, xe, ye, n_sel, int(flat.sum()))
    counts = np.zeros((len(ye) - 1, len(xe) - 1))
    n_sel = 0
    for ev in scan.iter_events(key.data_dir, sel, chunk_rows=chunk_rows, max_rows=max_rows):
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


def overlapped(blocks: Iterable[Any], count: Callable[[Any], None]) -> None:
    """Call ``count(block)`` on each block in a second thread while the next one is read.

    ``count`` runs one block at a time, in order (so it may add into shared arrays); the
    compiled loops of :mod:`awa.query.kernels` release the GIL, so reading (main thread) and
    counting (second thread) use both cores.  An exception of ``count`` is raised here.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="awa-count") as pool:
        pending: Future[None] | None = None
        try:
            for block in blocks:
                if pending is not None:
                    pending.result()
                pending = pool.submit(count, block)
        finally:
            if pending is not None:
                pending.result()


def _channel_counts(
    side: sidecar.Sidecar, data_dir: str, sel: Selection, xe: FloatArray, ye: FloatArray
) -> tuple[npt.NDArray[np.int64], int]:
    """Flat (Energy bin, TOF bin) counts and the number selected, from the column sidecar."""
    nx, ny = len(xe) - 1, len(ye) - 1
    lut_x = _channel_lut(tuple(xe.tolist()), 1)
    lut_y = _channel_lut(tuple(ye.tolist()), nx)
    tables = detector_tables(sel)
    flat = np.zeros(nx * ny, dtype=np.int64)
    n_sel = 0

    def count(block: scan.Block) -> None:
        nonlocal n_sel
        n_sel += kernels.et_counts(block.values, block.mask, tables, lut_y, lut_x, flat)

    ranges = row_ranges(get_table(data_dir, schema.PHA_STORE), sel.times)
    overlapped(scan.scan(side, ranges, sel, ("Energy", "TOF"), detector=False), count)
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
    *,
    progress: Progress | None = None,
    exact_range: bool = False,
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
    max_rows : int, optional
        Largest number of store rows scanned (the whole selection).
    progress : callable, optional
        ``progress(step)`` after each piece, as for :func:`et_histogram`.
    exact_range : bool
        The science team's grid (:func:`exact_log_edges`) instead of :func:`log_edges`.

    Returns
    -------
    Hist2D
        Counts (or weighted counts) per bin.  Events without an energy signal (mass 0)
        or without a valid M/Q fall outside the grid (spec section 4).
    """
    if progress is not None:
        return by_pieces(
            mmq_histogram, key, sel, max_rows, progress, bin_x=bin_x, bin_y=bin_y,
            x_range=x_range, y_range=y_range, normalise=normalise, chunk_rows=chunk_rows,
            exact_range=exact_range,
        )  # fmt: skip
    edges = exact_log_edges if exact_range else log_edges
    xe = edges(*x_range, bin_x)
    ye = edges(*y_range, bin_y)
    acc = _MmqAccumulator(xe, ye, normalise)
    side = get_sidecar(key.data_dir)
    if side is not None and side.has_mpq_code:
        return _mmq_from_codes(side, key.data_dir, sel, xe, ye, normalise)
    if side is not None:
        ranges = row_ranges(get_table(key.data_dir, schema.PHA_STORE), sel.times)
        weights = ("BR0", "BR1", "BR2", "R0", "R1", "R2") if normalise else ()
        ev_cols = ("Energy", "TOF", "Range") if normalise else ("Energy", "TOF")
        for block in scan.scan(side, ranges, sel, ev_cols, ("Voltage_Step", "PAPS_lvl"), weights):
            acc.add({k: v[block.mask] for k, v in block.values.items()})
    else:
        for ev in scan.iter_events(
            key.data_dir, sel, with_rates=normalise, chunk_rows=chunk_rows, max_rows=max_rows
        ):
            acc.add(ev)
    return Hist2D(acc.counts, xe, ye, acc.n_sel, acc.n_shown, weighted=normalise)


def _mmq_from_codes(
    side: sidecar.Sidecar,
    data_dir: str,
    sel: Selection,
    xe: FloatArray,
    ye: FloatArray,
    normalise: bool,
) -> Hist2D:
    """M-M/Q histogram from the build's M/Q codes (:mod:`awa.query.physics_bins`).

    Equal bin for bin to the per-request conversion (:class:`_MmqAccumulator`); weighted
    counts add in the same order, so they are equal too.
    """
    nx, ny = len(xe) - 1, len(ye) - 1
    ranges = row_ranges(get_table(data_dir, schema.PHA_STORE), sel.times)
    if not normalise:
        return _mmq_counts(side, ranges, sel, xe, ye)
    flat = np.zeros(nx * ny, dtype=np.float64)
    n_sel = n_shown = 0
    rate_cols = ("BR0", "BR1", "BR2", "R0", "R1", "R2")
    ev_cols = ("Energy", "TOF", "Range", "mpq_code")
    for block in scan.scan(side, ranges, sel, ev_cols, (), rate_cols):
        n_sel += int(np.count_nonzero(block.mask))
        idx = physics_bins.block_bins(block, xe, ye)
        keep = block.mask & (idx >= 0)
        n_shown += int(np.count_nonzero(keep))
        w = event_weights({k: v[keep] for k, v in block.values.items()})
        flat += np.bincount(idx[keep], weights=w, minlength=nx * ny)
    counts = flat.reshape(ny, nx).astype(np.float64)
    return Hist2D(counts, xe, ye, n_sel, n_shown, weighted=True)


def _mmq_counts(
    side: sidecar.Sidecar,
    ranges: list[tuple[int, int]],
    sel: Selection,
    xe: FloatArray,
    ye: FloatArray,
) -> Hist2D:
    """Unweighted M-M/Q counts from the stored M/Q codes, one compiled pass per block.

    Events whose code straddles a bin edge (or whose channels are outside 0-1023) are
    converted exactly (:func:`physics_bins.exact_bins`), so the counts equal the
    per-request computation's.
    """
    nx, ny = len(xe) - 1, len(ye) - 1
    mass_bin = physics_bins.mass_table(tuple(ye.tolist()), nx)
    code_bin = physics_bins.code_table(tuple(xe.tolist()))
    tables = detector_tables(sel)
    flat = np.zeros(nx * ny, dtype=np.int64)
    n_sel = n_shown = 0

    def count(block: scan.Block) -> None:
        nonlocal n_sel, n_shown
        n, shown, redo = kernels.mmq_counts(
            block.values, block.mask, tables, mass_bin, code_bin,
            physics_bins.STRADDLE, physics_bins.CHANNELS, flat,
        )  # fmt: skip
        n_sel += n
        n_shown += shown
        if len(redo):
            idx = physics_bins.exact_bins(
                block.values["Energy"][redo], block.values["TOF"][redo],
                block.run_values("Voltage_Step", redo), block.run_values("PAPS_lvl", redo),
                xe, ye,
            )  # fmt: skip
            idx = idx[idx >= 0]
            n_shown += len(idx)
            np.add(flat, np.bincount(idx, minlength=nx * ny), out=flat)

    cols = ("Energy", "TOF", "mpq_code")
    overlapped(scan.scan(side, ranges, sel, cols, detector=False), count)
    counts = flat.reshape(ny, nx).astype(np.float64)
    return Hist2D(counts, xe, ye, n_sel, n_shown)


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
    for ev in scan.iter_events(key.data_dir, sel, chunk_rows=chunk_rows, max_rows=max_rows):
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
