"""Timelines: decimated time series of rates, housekeeping and summed ME per panel."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import tables

from awa.cache import cached
from awa.chem import physics, schema, sidecar, table_columns
from awa.model import TimeRange
from awa.query.downsample import decimate
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

    With ``side`` (the column sidecar, for the rates store) the fields are read from it.
    Fields that are not columns of the table (the HK ``MLTH``, the ME ``CSHK``) are AWA's
    arrays beside it (``StoreSpec.extras``).
    """
    fields = _fields_for(table, column)
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

    masks = _me_box_masks(table) if column == "ME_sum" else None
    parts = [_derived(read(c0, min(c0 + step, hi)), column, masks) for c0 in range(lo, hi, step)]
    return np.concatenate(parts) if parts else np.zeros(0)


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
