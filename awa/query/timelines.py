"""Timelines: decimated time series of rates, housekeeping and summed ME per panel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.cache import cached
from awa.chem import physics, schema, sidecar, table_columns
from awa.model import Selection, TimeRange
from awa.model.view import own_panel_quantities
from awa.query.downsample import decimate
from awa.query.masks import (
    CONTEXT_COLUMNS,
    RATE_FILTER_COLUMNS,
    SWEEP_MARGIN,
    context_mask,
    rate_relations,
    spin_mask,
)
from awa.query.me import me_block_layout
from awa.query.results import Series
from awa.query.store import (
    FloatArray,
    StoreKey,
    check_row_limit,
    get_extras,
    get_sidecar,
    get_table,
    row_ranges,
)

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
    """Per ME value block, which of its columns are boxes (ME0..ME490, spec section 6)."""
    return {block: where < schema.N_ME_BOXES for block, where in me_block_layout(table)}


def _derived(
    rows: dict[str, npt.NDArray[Any]],
    column: str,
    me_masks: dict[str, npt.NDArray[np.bool_]] | None = None,
) -> FloatArray:
    """A timeline column from the fields of ``rows`` (ratios, kV, summed ME, valid L).

    The summed ME is the sum of the ``N_ME_BOXES`` boxes of a science cycle (NaN for calibration
    cycles); ``me_masks`` (from :func:`_me_box_masks`) says which block columns are boxes.
    """
    if "/" in column:
        num, den = column.split("/")
        r = rows[num].astype(np.float64)
        b = rows[den].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, r / b, np.nan)
    if column == "PAPS_kV":
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

    With ``side`` (the column sidecar, for the rates store) the fields are read from it
    when it holds them all.
    Fields that are not columns of the table (the HK ``MLTH``, the ME ``CSHK``) are AWA's
    arrays beside it (``StoreSpec.extras``).
    """
    fields = _fields_for(table, column)
    if side is not None and not set(fields) <= set(schema.SIDECAR_RATES_COLUMNS):
        side = None  # L, MLTH, MAGLAT of a panel of one's own: only in the store
    own = [f for f in fields if f in table.colnames]
    extras = [f for f in fields if f not in table.colnames]  # AWA arrays beside the table
    row_bytes = sum(table.coldtypes[f].itemsize for f in own) + 8 * len(extras) or 1
    step = max(chunk_bytes // row_bytes, 1000)

    def read(c0: int, c1: int) -> dict[str, npt.NDArray[Any]]:
        if side is not None:
            return side.read("rates", fields, c0, c1)
        out = {f: table.read(c0, c1, field=f) for f in own}
        if extras:
            out.update(get_extras(table, extras, c0, c1))
        return out

    box_masks = _me_box_masks(table) if column == "ME_sum" else None
    parts = [_derived(read(c0, min(c0 + step, hi)), column, box_masks)
             for c0 in range(lo, hi, step)]  # fmt: skip
    return np.concatenate(parts) if parts else np.zeros(0)


def panel_source(panel: str) -> tuple[schema.StoreSpec, tuple[str, ...]]:
    """Store and columns of a timeline panel: ``PANEL_SOURCES``, or a panel of one's own
    (:func:`awa.model.view.own_panel_name`: rates-store quantities and ratios on one axis).

    Raises
    ------
    KeyError
        For a name that is neither.
    """
    own = own_panel_quantities(panel)
    if own is not None:
        return schema.RATES_STORE, own
    return PANEL_SOURCES[panel]


def spin_filters(sel: Selection) -> Selection:
    """``sel`` without its event-level filters (SSD, Range, triples, TOF 1019, Range 3,
    SSDID >= 4): the filters a spin can pass or fail, as "with filters" timelines apply."""
    return replace(sel, ssd_ids=None, pha_ranges=None, triples_only=False,
                   reject_tof1019=False, reject_range3=False, reject_ssd_high=False)  # fmt: skip


def event_filters(sel: Selection) -> Selection:
    """``sel`` with only its event-level filters (those :func:`spin_filters` drops)."""
    return replace(no_relations(sel), l_range=None, vstep_range=None, mlt_range=None,
                   dst_range=None, kp_range=None, paps_levels=None, dpu_modes=None,
                   tac_slopes=None, pha_priorities=None)  # fmt: skip


def no_relations(sel: Selection) -> Selection:
    """``sel`` with every rate relation off (sum BR, BR2, R_n, BR maximums, sweep)."""
    return replace(sel, sum_br_le_dcr=False, br2_le_tcr=False, rn_le_brn=False,
                   max_br0=None, max_br1=None, max_br2=None, sweep=None)  # fmt: skip


def quantity_values(rows: Any, quantity: str) -> FloatArray:
    """Values of a timeline quantity (a column or a ratio ``A/B``, NaN where B is 0) from
    rates rows (structured array or mapping of columns)."""
    fields = quantity.split("/")
    return _derived({f: np.asarray(rows[f]) for f in fields}, quantity)


def spin_masks(
    table: tables.Table,
    lo: int,
    hi: int,
    sel: Selection | None,
    pc0: bool,
    chunk_rows: int = 500_000,
) -> tuple[npt.NDArray[np.bool_] | None, npt.NDArray[np.bool_] | None]:
    """Which rates rows ``[lo, hi)`` pass the spin filters of ``sel``, and which are the
    first spin of a voltage sweep (``Period_Cntr == 0``, when ``pc0``).

    The spin filters are those of the PHA views that a spin carries: L, E/Q step, MLT,
    PAPS, DPU, TAC, priority (:func:`awa.query.masks.context_mask`), Dst, Kp and the rate
    relations (:func:`awa.query.masks.spin_mask`); the event-level ones (SSD, Range,
    triples, TOF 1019) do not describe a spin.  Rows are read in chunks, with a sweep's
    margin around each for the sweep filter.

    Returns
    -------
    passes, first : bool arrays of ``hi - lo`` rows, or None when not asked for
    """
    fields: set[str] = {"Period_Cntr"} if pc0 else set()
    if sel is not None:
        fields |= set(CONTEXT_COLUMNS)
        if sel.needs_rates:
            fields |= set(RATE_FILTER_COLUMNS)
    margin = SWEEP_MARGIN if sel is not None and sel.sweep is not None else 0
    passes, first = [], []
    for c0 in range(lo, hi, chunk_rows):
        c1 = min(c0 + chunk_rows, hi)
        a, b = max(c0 - margin, 0), min(c1 + margin, int(table.nrows))
        rows = {f: table.read(a, b, field=f) for f in sorted(fields)}
        cut = slice(c0 - a, c1 - a)
        if sel is not None:
            ok = context_mask(rows, sel)
            if sel.needs_rates:
                ok &= spin_mask(rows, sel)
            passes.append(ok[cut])
        if pc0:
            first.append(rows["Period_Cntr"][cut] == 0)
    empty = np.zeros(0, dtype=bool)
    return (
        (np.concatenate(passes) if passes else empty) if sel is not None else None,
        (np.concatenate(first) if first else empty) if pc0 else None,
    )


@cached
def timeline(
    key: StoreKey,
    times: tuple[TimeRange, ...],
    panels: tuple[str, ...],
    points: int = 2000,
    max_rows: int | None = None,
    sel: Selection | None = None,
    pc0: bool = False,
) -> dict[str, list[Series]]:
    """Decimated time series of the requested panels inside the time ranges.

    Parameters
    ----------
    times : tuple of TimeRange
        Ranges (gaps between them are drawn as breaks).
    panels : tuple of str
        Names from ``PANEL_SOURCES`` (``Kp`` and ``Dst`` included) or panels of one's own
        (:func:`awa.model.view.own_panel_name`).
    points : int
        About this many samples per trace (min/max decimation).
    sel : Selection, optional
        "With filters": spins of the rates-store panels that fail its spin filters
        (:func:`spin_masks`) are gaps (NaN).  HK, ME, Kp and Dst panels are not filtered.
    pc0 : bool
        Rates-store panels keep only the first spin of each sweep (``Period_Cntr == 0``).

    Returns
    -------
    dict
        Panel name -> list of :class:`Series` (several for R/BR and panels of one's own).
        Units: rates in counts/spin, ratios dimensionless (a zero denominator is a gap),
        L in Re, MLT in h, MAGLAT in rad, PAPS in kV, ME in counts/cycle.  ``n_raw`` is
        the rows read, or for filtered rates-store panels the spins kept.
    """
    out: dict[str, list[Series]] = {p: [] for p in panels}
    by_store: dict[str, list[str]] = {}
    for panel in panels:
        spec, _ = panel_source(panel)
        by_store.setdefault(spec.key, []).append(panel)
    specs = {s.key: s for s in schema.STORES if s is not schema.CAL_PHA_STORE}
    for store, names in by_store.items():
        table = get_table(key.data_dir, specs[store])
        ranges = row_ranges(table, times)
        total = sum(hi - lo for lo, hi in ranges)
        side = get_sidecar(key.data_dir) if store == schema.RATES_STORE.key else None
        if side is None:
            check_row_limit(total, max_rows, f"rows of {specs[store].filename}")
        if side is not None:
            pieces = [
                (lo, hi, side.read("rates", ["SpinStartTime"], lo, hi)["SpinStartTime"])
                for lo, hi in ranges
            ]
        else:
            field = table_columns.time_field(table)
            pieces = [(lo, hi, table.read(lo, hi, field=field)) for lo, hi in ranges]
        filtered = store == schema.RATES_STORE.key and (sel is not None or pc0)
        keep = [spin_masks(table, lo, hi, sel, pc0) if filtered else (None, None)
                for lo, hi in ranges]  # fmt: skip
        n_kept = sum(_kept(lo, hi, k) for (lo, hi), k in zip(ranges, keep, strict=True))
        for panel in names:
            series = []
            for column in panel_source(panel)[1]:
                ts, vs = [], []
                for (lo, hi, t_raw), (passes, first) in zip(pieces, keep, strict=True):
                    if hi <= lo:
                        continue
                    t = t_raw.astype(np.int64)
                    v = read_timeline_column(table, lo, hi, column, side=side)
                    if passes is not None:
                        v = np.where(passes, v, np.nan)
                    if first is not None:
                        t, v = t[first], v[first]
                    if len(t) == 0:
                        continue
                    share = max(int(points * (hi - lo) / max(total, 1)), 10)
                    td, vd = decimate(t, v, share)
                    ts += [td, np.array([td[-1] + 1], dtype=np.int64)]
                    vs += [vd, np.array([np.nan])]
                t_all = np.concatenate(ts[:-1]) if ts else np.zeros(0, np.int64)
                v_all = np.concatenate(vs[:-1]) if vs else np.zeros(0)
                series.append(Series(column, t_all, v_all, n_kept if filtered else total))
            out[panel] = series
    return out


def _kept(lo: int, hi: int, keep: tuple[Any, Any]) -> int:
    """Spins of rows ``[lo, hi)`` a filtered timeline keeps (passing, and first of sweep)."""
    passes, first = keep
    ok = np.ones(hi - lo, dtype=bool)
    for m in (passes, first):
        if m is not None:
            ok &= m
    return int(ok.sum())


def spin_count(data_dir: str | Path, times: tuple[TimeRange, ...]) -> int:
    """Spins (rows of the rates store) inside the time ranges."""
    table = get_table(data_dir, schema.RATES_STORE)
    return sum(hi - lo for lo, hi in row_ranges(table, times))


#: Rates columns of the rejected-spins list, after the time and the failed relations.
REJECTED_COLUMNS = (
    "Period_Cntr", "Voltage_Step", "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2",
    "R0", "R1", "R2",
)  # fmt: skip


def iter_rejected_spins(
    data_dir: str | Path,
    sel: Selection,
    chunk_rows: int = 200_000,
    max_rows: int | None = None,
) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """The spins inside ``sel.times`` that a rate relation of ``sel`` rejects, in chunks.

    Relations (:func:`awa.query.masks.rate_relations`): sum BR <= DCR, BR2 <= TCR,
    R_n <= BR_n, the BR maximums and the sweep filter, those switched on.

    Yields
    ------
    dict
        ``SpinStartTime`` (int64 ns), ``failed`` (str: the relations the spin fails,
        joined by ``"; "``), ``other_filters`` (bool: the spin passes the other spin
        filters, L to priority, Dst and Kp) and the :data:`REJECTED_COLUMNS`
        (counts/spin, codes), for the rejected spins of one chunk.

    Raises
    ------
    SelectionTooLargeError
        Over ``max_rows`` spins.
    """
    table = get_table(data_dir, schema.RATES_STORE)
    ranges = row_ranges(table, sel.times)
    check_row_limit(sum(hi - lo for lo, hi in ranges), max_rows, "spins")
    fields = sorted({"SpinStartTime", *RATE_FILTER_COLUMNS, *CONTEXT_COLUMNS,
                     *REJECTED_COLUMNS})  # fmt: skip
    margin = SWEEP_MARGIN if sel.sweep is not None else 0
    for lo, hi in ranges:
        for c0 in range(lo, hi, chunk_rows):
            c1 = min(c0 + chunk_rows, hi)
            a, b = max(c0 - margin, 0), min(c1 + margin, int(table.nrows))
            rows = {f: table.read(a, b, field=f) for f in fields}
            cut = slice(c0 - a, c1 - a)
            tests = {k: v[cut] for k, v in rate_relations(rows, sel).items()}
            if not tests:
                return
            bad = ~np.logical_and.reduce(list(tests.values()))
            if not bad.any():
                continue
            failed = np.full(int(bad.sum()), "", dtype=object)
            for name, passed in tests.items():
                hit = ~passed[bad]
                failed[hit] = [f"{x}; {name}" if x else name for x in failed[hit]]
            other = context_mask(rows, sel)[cut] & spin_mask(rows, no_relations(sel))[cut]
            out: dict[str, npt.NDArray[Any]] = {
                "SpinStartTime": rows["SpinStartTime"][cut][bad].astype(np.int64),
                "failed": failed,
                "other_filters": other[bad],
            }
            out.update({c: rows[c][cut][bad] for c in REJECTED_COLUMNS})
            yield out


# ---------------------------------------------------------------------------------------
# Store-wide facts: time span, storms
# ---------------------------------------------------------------------------------------
