"""Species timelines: selected PHA events of each species region per cycle or per UTC hour.

Events are selected with the filters of the histograms (:mod:`awa.query.scan`: the column
sidecar when present, else the store), placed in the M-M/Q plane with the physics of spec
section 4 (:func:`awa.query.histograms.convert`) and classified into species regions
(:func:`awa.chem.species.classify`).  Each event also carries its weight BR_n/R_n (the
events of range n its spin stands for, :func:`awa.query.histograms.event_weights`).

Spins and accumulation time come from the rates store (one row per spin): a *selected spin*
is a rates row inside the time ranges that passes the spin-level filters (L, MLT, E/Q step,
PAPS, DPU, TAC, priority) and, when the selection has any, the rate filters.  Its duration
is the time to the next spin of the rates store when that is at most :data:`MAX_SPIN_S`,
else :data:`NOMINAL_SPIN_S` (spec section 2: about 6 s, 5.6 s typical).  The accumulation
time of a bin is the sum of the durations of its selected spins.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

import awa.query.physics_bins as physics_bins
import awa.query.scan as scan
from awa.cache import cached
from awa.chem import schema, table_columns
from awa.chem.species import (
    SpeciesRegion,
    classify,
    code_names,
    me_species_counts,
    no_mass_code,
    validate_regions,
)
from awa.model import Selection, TimeRange
from awa.query.histograms import convert, event_weights, mmq_histogram
from awa.query.masks import (
    CONTEXT_COLUMNS,
    RATE_FILTER_COLUMNS,
    SWEEP_MARGIN,
    context_mask,
    spin_mask,
)
from awa.query.me import CYCLE_SPAN_S, CycleFilter, iter_me_cycles
from awa.query.pieces import Progress, Step, day_pieces
from awa.query.results import SpeciesComparison, SpeciesSeries, SpeciesSide
from awa.query.store import StoreKey, get_sidecar, get_table, row_ranges

__all__ = [
    "CADENCES",
    "compare_species",
    "me_species",
    "MAX_SPIN_S",
    "NOMINAL_SPIN_S",
    "merge_series",
    "selected_spins",
    "species_counts",
]

#: Bin cadences: housekeeping cycles (about 3 minutes) or UTC hours.
CADENCES = ("cycle", "hour")
#: Typical spin period, s (spec section 2); the duration of a spin followed by a gap.
NOMINAL_SPIN_S = 5.6
#: Longest time to the next spin counted as one spin's duration, s (spec section 2).
MAX_SPIN_S = 6.5
_NS = 1_000_000_000
_HOUR_NS = 3600 * _NS
_CYCLE_SPAN_NS = int(CYCLE_SPAN_S * _NS)
_WEIGHT_COLUMNS = ("BR0", "BR1", "BR2", "R0", "R1", "R2")
#: Event columns the counts use besides the species code.
_COUNT_COLUMNS = ("TOF", "SpinStartTime", "Range", *_WEIGHT_COLUMNS)
#: Outer edges of :func:`region_grid`: every positive finite mass and M/Q lies between.
_GRID_ENDS = {1e-300, 1e300}
_CHUNK = 1_000_000


def _as_ns(values: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    arr = np.asarray(values)
    return arr.view(np.int64) if arr.dtype.kind == "M" else arr.astype(np.int64)


def selected_spins(data_dir: str, sel: Selection) -> dict[str, npt.NDArray[Any]]:
    """The selected spins (module docstring): ``t`` (int64 ns), ``duration`` (s), Dst, Kp.

    Raises
    ------
    StoreMissingError
        When the rates store is missing.
    """
    table = get_table(data_dir, schema.RATES_STORE)
    names = tuple(dict.fromkeys(("SpinStartTime", *CONTEXT_COLUMNS, *RATE_FILTER_COLUMNS)))
    parts: list[dict[str, npt.NDArray[Any]]] = []
    n = int(table.nrows)
    for lo, hi in row_ranges(table, sel.times):
        for c0 in range(lo, hi, _CHUNK):
            c1 = min(c0 + _CHUNK, hi)
            # margins: whole sweeps for the sweep filter, and the next spin for durations
            r0, r1 = max(c0 - SWEEP_MARGIN, 0), min(c1 + SWEEP_MARGIN + 1, n)
            rows = table_columns.read_columns(table, names, r0, r1)
            t = _as_ns(rows["SpinStartTime"])
            ok = context_mask(rows, sel)
            if sel.needs_rates:
                ok &= spin_mask(rows, sel)
            step = np.diff(t).astype(np.float64) / _NS
            dur = np.where((step > 0) & (step <= MAX_SPIN_S), step, NOMINAL_SPIN_S)
            dur = np.append(dur, NOMINAL_SPIN_S)
            part = slice(c0 - r0, c1 - r0)
            keep = ok[part]
            parts.append(
                {
                    "t": t[part][keep],
                    "duration": dur[part][keep],
                    "Dst": rows["Dst"][part][keep].astype(np.float64),
                    "Kp": rows["Kp"][part][keep].astype(np.float64),
                }
            )
    if not parts:
        empty = np.zeros(0)
        return {"t": np.zeros(0, dtype=np.int64), "duration": empty, "Dst": empty, "Kp": empty}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _cycle_starts(data_dir: str, sel: Selection) -> npt.NDArray[np.int64]:
    """Sorted distinct housekeeping cycle start times (int64 ns) that may hold selected spins."""
    table = get_table(data_dir, schema.HK_STORE)
    span = timedelta(seconds=CYCLE_SPAN_S)
    wider = tuple(TimeRange(r.start - span, r.end) for r in sel.times)
    field = table_columns.time_field(table)
    parts = [
        _as_ns(table.read(lo, hi, field=field)) for lo, hi in row_ranges(table, wider) if hi > lo
    ]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(parts))


class _Binner:
    """Bin start (int64 ns) of each time: its UTC hour, or its housekeeping cycle."""

    def __init__(self, cadence: str, starts: npt.NDArray[np.int64] | None = None) -> None:
        self.cadence = cadence
        self.starts = starts if starts is not None else np.zeros(0, dtype=np.int64)
        nxt = np.append(self.starts[1:], np.iinfo(np.int64).max)
        self.stops = np.minimum(nxt, self.starts + _CYCLE_SPAN_NS)

    def __call__(self, t: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], Any]:
        """Bin start of each time and the mask of times inside a bin."""
        if self.cadence == "hour":
            return np.floor_divide(t, _HOUR_NS) * _HOUR_NS, np.ones(len(t), dtype=bool)
        i = np.searchsorted(self.starts, t, side="right") - 1
        inside = i >= 0
        inside[inside] &= t[inside] < self.stops[i[inside]]
        return self.starts[np.clip(i, 0, None)] if len(self.starts) else t.copy(), inside

    def stop_of(self, start: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Bin stop of each bin start."""
        if self.cadence == "hour":
            return start + _HOUR_NS
        return self.stops[np.searchsorted(self.starts, start)]


@functools.lru_cache(maxsize=32)
def region_grid(
    regions: tuple[SpeciesRegion, ...],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """The regions as a grid: M/Q edges (amu/e), mass edges (amu) and the code of each cell.

    The edges are every region bound plus a tiny and a huge one, so each half-open cell lies
    wholly inside or outside each region, and its code is that of its lower corner
    (:func:`awa.chem.species.classify`).  The table is flat, index ``mass bin * nx + M/Q bin``
    (:func:`awa.query.physics_bins.block_bins`).
    """
    xe = np.array(sorted({b for r in regions for b in (r.mpq_min, r.mpq_max)} | _GRID_ENDS))
    ye = np.array(sorted({b for r in regions for b in (r.mass_min, r.mass_max)} | _GRID_ENDS))
    mass, mpq = np.meshgrid(ye[:-1], xe[:-1], indexing="ij")
    table = classify(mass.ravel(), mpq.ravel(), regions)
    return xe, ye, table


def _events(data_dir: str, sel: Selection, regions: tuple[SpeciesRegion, ...]) -> Any:
    """Selected events as ``{column: array}`` chunks (sidecar scan, else the store).

    With the build's M/Q codes in the sidecar, each chunk also holds ``_codes``, the
    species code of each event from :func:`region_grid` look-ups (events whose code
    interval holds a region bound are converted exactly), equal to :func:`classify` of the
    per-request mass and M/Q.
    """
    side = get_sidecar(data_dir)
    if side is None:
        yield from scan.iter_events(data_dir, sel, with_rates=True)
        return
    ranges = row_ranges(get_table(data_dir, schema.PHA_STORE), sel.times)
    codes = side.has_mpq_code
    ev_cols = ("Energy", "TOF", "Range", "mpq_code") if codes else ("Energy", "TOF", "Range")
    xe, ye, table = region_grid(regions)
    off = no_mass_code(regions)
    for block in scan.scan(
        side, ranges, sel, ev_cols, ("SpinStartTime", "Voltage_Step", "PAPS_lvl"),
        _WEIGHT_COLUMNS,
    ):  # fmt: skip
        mask = block.mask
        if codes:  # only what the counts need: time, weights and the codes
            idx = physics_bins.block_bins(block, xe, ye)[mask]
            ev = {k: block.values[k][mask] for k in _COUNT_COLUMNS}
            ev["_codes"] = np.where(idx >= 0, table[np.clip(idx, 0, None)], off).astype(np.int8)
        else:
            ev = {k: v[mask] for k, v in block.values.items()}
        yield ev


def _compute(
    data_dir: str, sel: Selection, regions: tuple[SpeciesRegion, ...], cadence: str
) -> SpeciesSeries:
    names = tuple(code_names(regions))
    k = len(names)
    binner = _Binner(cadence, _cycle_starts(data_dir, sel) if cadence == "cycle" else None)
    spins = selected_spins(data_dir, sel)
    spin_bin, spin_in = binner(spins["t"])
    ev_bins: list[npt.NDArray[np.int64]] = []
    ev_codes: list[npt.NDArray[np.int8]] = []
    ev_w: list[npt.NDArray[np.float64]] = []
    for ev in _events(data_dir, sel, regions):
        if len(ev["TOF"]) == 0:
            continue
        if "_codes" in ev:
            codes = ev["_codes"]
        else:
            phys = convert(ev)
            codes = classify(phys["mass"], phys["mpq"], regions)
        b, inside = binner(_as_ns(ev["SpinStartTime"]))
        ev_bins.append(b[inside])
        ev_codes.append(codes[inside])
        ev_w.append(event_weights(ev)[inside])
    eb = np.concatenate(ev_bins) if ev_bins else np.zeros(0, dtype=np.int64)
    ec = np.concatenate(ev_codes).astype(np.int64) if ev_codes else np.zeros(0, dtype=np.int64)
    ew = np.concatenate(ev_w) if ev_w else np.zeros(0)
    sb, sd = spin_bin[spin_in], spins["duration"][spin_in]
    starts = np.unique(np.concatenate([sb, eb]))
    n = len(starts)
    si, ei = np.searchsorted(starts, sb), np.searchsorted(starts, eb)
    counts = np.bincount(ei * k + ec, minlength=n * k).reshape(n, k).astype(np.int64)
    weighted = np.bincount(ei * k + ec, weights=ew, minlength=n * k).reshape(n, k).astype(float)
    return SpeciesSeries(
        start=starts,
        stop=binner.stop_of(starts),
        names=names,
        counts=counts,
        weighted=weighted,
        spins=np.bincount(si, minlength=n).astype(np.int64),
        accumulation_s=np.bincount(si, weights=sd, minlength=n).astype(np.float64),
        cadence=cadence,
        unbinned_spins=int(np.count_nonzero(~spin_in)),
        index_sums=_index_sums(si, n, {k: spins[k][spin_in] for k in ("Dst", "Kp")}),
    )


def _index_sums(
    index: npt.NDArray[np.int64], n: int, values: dict[str, npt.NDArray[np.float64]]
) -> npt.NDArray[np.float64]:
    """Per bin: sum and number of the finite Dst and Kp values, shape (n, 4)."""
    out = np.zeros((n, 4))
    for j, name in enumerate(("Dst", "Kp")):
        v = values[name]
        ok = np.isfinite(v)
        out[:, 2 * j] = np.bincount(index[ok], weights=v[ok], minlength=n)
        out[:, 2 * j + 1] = np.bincount(index[ok], minlength=n)
    return out


def merge_series(parts: list[SpeciesSeries]) -> SpeciesSeries:
    """Sum series of the same codes and cadence; bins with the same start become one.

    A cycle that straddles the boundary of two parts (e.g. UTC midnight) is one bin of the
    sum, with the counts, spins and accumulation time of both parts.

    Raises
    ------
    ValueError
        When there are no parts or their names or cadences differ.
    """
    if not parts:
        raise ValueError("no species series to merge")
    first = parts[0]
    if any(p.names != first.names or p.cadence != first.cadence for p in parts[1:]):
        raise ValueError("species series to merge must share their codes and cadence")
    start = np.concatenate([p.start for p in parts])
    starts, inv = np.unique(start, return_inverse=True)
    n, k = len(starts), len(first.names)
    stop = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(stop, inv, np.concatenate([p.stop for p in parts]))
    counts = np.zeros((n, k), dtype=np.int64)
    np.add.at(counts, inv, np.concatenate([p.counts for p in parts]))
    weighted = np.zeros((n, k))
    np.add.at(weighted, inv, np.concatenate([p.weighted for p in parts]))
    index_sums = np.zeros((n, 4))
    np.add.at(index_sums, inv, np.concatenate([p.index_sums for p in parts]))
    return SpeciesSeries(
        start=starts,
        stop=stop,
        names=first.names,
        counts=counts,
        weighted=weighted,
        spins=np.bincount(inv, np.concatenate([p.spins for p in parts]), n).astype(np.int64),
        accumulation_s=np.bincount(
            inv, np.concatenate([p.accumulation_s for p in parts]), n
        ).astype(float),
        cadence=first.cadence,
        unbinned_spins=sum(p.unbinned_spins for p in parts),
        index_sums=index_sums,
    )


@cached
def species_counts(
    key: StoreKey,
    sel: Selection,
    regions: tuple[SpeciesRegion, ...],
    cadence: str,
    *,
    progress: Progress | None = None,
) -> SpeciesSeries:
    """Selected PHA events of each species code per cycle or UTC hour, weighted and not.

    Parameters
    ----------
    key : StoreKey
        Store folder (and version).
    sel : Selection
        The filters, the same as the histograms'.
    regions : tuple of SpeciesRegion
        Species regions (:func:`awa.chem.species.default_regions` or edited ones).
    cadence : {"cycle", "hour"}
        Bins: housekeeping cycles (start to the next start, at most ``CYCLE_SPAN_S``;
        spec section 2) or UTC hours.  Only bins holding a selected spin or event appear.
    progress : callable, optional
        ``progress(step)`` (:class:`awa.query.pieces.Step`) after each UTC day: the
        selection is then counted day by
        day, each day memoized on its own, and the days merged (:func:`merge_series`).

    Returns
    -------
    SpeciesSeries
        Counts (n, k) and weighted counts (events x BR_n/R_n of their spin and range n,
        spec section 4) of the k codes, selected spins and accumulation time (s) per bin:
        the sum of the durations of the selected spins (module docstring).  Rates per
        second are ``weighted / accumulation_s``.

    Raises
    ------
    ValueError
        For an unknown cadence or invalid regions.
    StoreMissingError
        When a store needed is missing.
    """
    if cadence not in CADENCES:
        raise ValueError(f"species cadence {cadence!r}: give one of {', '.join(CADENCES)}")
    validate_regions(regions)
    if progress is not None:
        pieces = day_pieces(sel.times)
        parts = []
        for i, piece in enumerate(pieces):
            parts.append(species_counts(key, replace(sel, times=(piece,)), regions, cadence))
            progress(
                Step(
                    ranges_done=sum(r.end <= piece.end for r in sel.times),
                    ranges_total=len(sel.times),
                    pieces_done=i + 1,
                    pieces_total=len(pieces),
                    events=sum(int(p.counts.sum()) for p in parts),
                )
            )
        if not parts:
            return _compute(key.data_dir, sel, regions, cadence)
        return merge_series(parts)
    return _compute(key.data_dir, sel, regions, cadence)


def _side(
    key: StoreKey,
    sel: Selection,
    regions: tuple[SpeciesRegion, ...],
    grid: tuple[float, float, tuple[float, float], tuple[float, float]],
    weighted: bool,
) -> SpeciesSide:
    bin_x, bin_y, x_range, y_range = grid
    counts = mmq_histogram(key, sel, bin_x, bin_y, x_range, y_range, normalise=False)
    shown = (
        mmq_histogram(key, sel, bin_x, bin_y, x_range, y_range, normalise=True)
        if weighted
        else counts
    )
    series = species_counts(key, sel, regions, "hour")
    return SpeciesSide(
        counts=counts,
        shown=shown,
        totals=series.counts.sum(axis=0),
        weighted_totals=series.weighted.sum(axis=0),
        spins=int(series.spins.sum()),
        accumulation_s=float(series.accumulation_s.sum()),
    )


def compare_species(
    key: StoreKey,
    a: Selection,
    b: Selection,
    regions: tuple[SpeciesRegion, ...],
    grid: tuple[float, float, tuple[float, float], tuple[float, float]],
    weighted: bool = True,
) -> SpeciesComparison:
    """Two selections side by side: M-M/Q histograms and species totals of each.

    Parameters
    ----------
    key : StoreKey
    a, b : Selection
        The selections compared (each with the histograms' filters).
    regions : tuple of SpeciesRegion
    grid : (bin_x, bin_y, x_range, y_range)
        The M-M/Q grid of :func:`awa.query.histograms.mmq_histogram` (decades; amu/e, amu).
    weighted : bool
        Compare BR_n/R_n weighted events (spec section 4) rather than events.

    Returns
    -------
    SpeciesComparison
        Each side's histograms are totals over its selection; divide by its ``spins`` for
        the per-spin normalisation of the comparison.
    """
    return SpeciesComparison(
        names=tuple(code_names(regions)),
        a=_side(key, a, regions, grid, weighted),
        b=_side(key, b, regions, grid, weighted),
        weighted=weighted,
    )


@cached
def me_species(
    key: StoreKey, sel: Selection, regions: tuple[SpeciesRegion, ...], cadence: str
) -> SpeciesSeries:
    """The on-board view: ME counts of each species code per cycle or UTC hour.

    Each ME box takes the code of its centre (:func:`awa.chem.species.me_box_codes`, spec
    section 6); the counts of a cycle are summed per code.  The cycles are the science
    cycles passing the per-cycle filters of ``sel`` (:class:`awa.query.me.CycleFilter`).
    ``weighted`` equals ``counts`` (the DPU counts every ion), ``spins`` is 32 per cycle and
    ``accumulation_s`` 32 x :data:`NOMINAL_SPIN_S` per cycle (179.2 s), so rates are
    counts per second of the cycle.  Dst and Kp are not filled (``index_sums`` zero).

    Raises
    ------
    ValueError
        For an unknown cadence or invalid regions.
    StoreMissingError
        When the ME store (or the HK store for HK filters) is missing.
    """
    if cadence not in CADENCES:
        raise ValueError(f"species cadence {cadence!r}: give one of {', '.join(CADENCES)}")
    validate_regions(regions)
    k = len(regions) + 2
    times, parts = [], []
    for chunk in iter_me_cycles(key.data_dir, sel.times, CycleFilter.of(sel)):
        times.append(chunk.t_ns)
        parts.append(me_species_counts(chunk.counts, regions))
    t = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
    per_cycle = np.concatenate(parts) if parts else np.zeros((0, k), dtype=np.int64)
    bins = np.floor_divide(t, _HOUR_NS) * _HOUR_NS if cadence == "hour" else t
    starts, inv = np.unique(bins, return_inverse=True)
    n = len(starts)
    counts = np.zeros((n, k), dtype=np.int64)
    np.add.at(counts, inv, per_cycle)
    cycles = np.bincount(inv, minlength=n).astype(np.int64)
    if cadence == "hour":
        stop = starts + _HOUR_NS
    else:
        stop = np.minimum(np.append(starts[1:], np.iinfo(np.int64).max), starts + _CYCLE_SPAN_NS)
    return SpeciesSeries(
        start=starts,
        stop=stop,
        names=tuple(code_names(regions)),
        counts=counts,
        weighted=counts.astype(np.float64),
        spins=cycles * schema.SPINS_PER_CYCLE,
        accumulation_s=(cycles * schema.SPINS_PER_CYCLE * NOMINAL_SPIN_S).astype(np.float64),
        cadence=cadence,
        index_sums=np.zeros((n, 4)),
    )
