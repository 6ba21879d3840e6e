"""One day's rows for each store: a parsed daily file shaped into typed frames.

Also the bad-period table (PHA inside a bad period stays out of the science store) and the
merge of the hourly Dst and Kp into the day's rates and housekeeping rows (spec section 3).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from awa.chem import schema
from data_build import fits, indices, verify

__all__ = [
    "BadPeriod",
    "BuildError",
    "DayFrames",
    "FileFailure",
    "coverage_entry",
    "day_frames",
    "in_periods",
    "kp_thirds",
    "read_bad_periods",
]


class BuildError(RuntimeError):
    """The build could not produce stores (nothing was replaced)."""


@dataclass(frozen=True)
class BadPeriod:
    """A UTC interval [start, end) whose PHA data are kept out of the science store."""

    start: pd.Timestamp
    end: pd.Timestamp
    reason: str


def read_bad_periods(path: str | os.PathLike[str] | None = None) -> list[BadPeriod]:
    """Read a bad-period table (CSV ``start,end,reason``; ``#`` lines are comments).

    ``None`` reads the packaged default table (1984-11-14 19:20 to 1984-11-20 00:20 UT).
    """
    if path is None:
        text = resources.files("data_build").joinpath("tables/bad_periods.csv").read_text()
        name = "bad_periods.csv (default)"
    else:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as exc:
            raise BuildError(f"bad-period table {p}: {exc.strerror or exc}") from exc
        name = str(p)
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    periods: list[BadPeriod] = []
    for lineno, rec in enumerate(csv.DictReader(rows), start=2):
        try:
            start = pd.Timestamp(rec["start"])
            end = pd.Timestamp(rec["end"])
        except (KeyError, ValueError, TypeError) as exc:
            raise BuildError(
                f"bad-period table {name}, record {lineno - 1}: need ISO 'start,end,reason' ({exc})"
            ) from exc
        if not end > start:
            raise BuildError(
                f"bad-period table {name}, record {lineno - 1}: end is not after start"
            )
        periods.append(BadPeriod(start, end, (rec.get("reason") or "").strip()))
    return periods


def in_periods(times: np.ndarray, periods: Sequence[BadPeriod]) -> np.ndarray:
    """Boolean mask of ``times`` (datetime64[ns]) inside any of ``periods``."""
    mask = np.zeros(len(times), dtype=bool)
    for period in periods:
        lo = np.datetime64(period.start.as_unit("ns"))
        hi = np.datetime64(period.end.as_unit("ns"))
        mask |= (times >= lo) & (times < hi)
    return mask


@dataclass
class DayFrames:
    """The rows one daily file contributes to each store, each sorted by time."""

    source: dict[str, Any]
    quirks: fits.Quirks
    pha: pd.DataFrame
    cal_pha: pd.DataFrame
    rates: pd.DataFrame
    hk: pd.DataFrame
    me: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFailure:
    """A file the build could not use, and why."""

    name: str
    reason: str

    def coverage(self) -> dict[str, Any]:
        """The coverage entry of an unreadable file."""
        return {
            "date": verify.named_day(self.name),
            "file": self.name,
            "status": verify.BAD,
            "reason": self.reason,
        }


def _typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Columns in schema order with schema dtypes."""
    return pd.DataFrame(
        {name: df[name].to_numpy().astype(dtype) for name, dtype in columns.items()}
    )


def day_frames(day: fits.DayData, bad_periods: Sequence[BadPeriod]) -> DayFrames:
    """Shape one parsed day into store rows (pure; Dst and Kp are merged later).

    Spins the reader excluded (clipped times it could not rebuild) or found to be exact copies
    are dropped and counted; spins with a rebuilt time carry ``QUALITY_TIME_REBUILT``;
    out-of-order spins are sorted into place.  Science PHA holds events of
    CSHK == 0 spins outside the bad periods; calibration PHA holds the CSHK != 0 events.
    """
    spins = day.spins
    cycles = day.cycles
    n_spins = len(spins)
    keep_spin = ~(spins["clipped"].to_numpy() | spins["duplicate"].to_numpy())
    cyc = spins["cycle"].to_numpy()
    ctx = {
        name: cycles[name].to_numpy()[cyc]
        for name in (
            "PAPS_lvl",
            "DPU_Mode",
            "TAC_Slope",
            "PHA_Priority",
            "MAGLAT",
            "MAGLON",
            "MLTH",
            "CSHK",
        )
    }
    times = spins["SpinStartTime"].to_numpy()
    bad = in_periods(times, bad_periods)
    quality = np.zeros(n_spins, dtype=np.int8)
    quality |= np.where(bad, schema.QUALITY_BAD_PERIOD, 0).astype(np.int8)
    quality |= np.where(~spins["rate_ok"].to_numpy(), schema.QUALITY_RATE_RELATION, 0).astype(
        np.int8
    )
    quality |= np.where(spins["L"].isna().to_numpy(), schema.QUALITY_L_FILL, 0).astype(np.int8)
    quality |= np.where(spins["time_rebuilt"].to_numpy(), schema.QUALITY_TIME_REBUILT, 0).astype(
        np.int8
    )

    spin_all = pd.DataFrame(
        {
            "SpinStartTime": times,
            **{k: ctx[k] for k in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority")},
            "L": spins["L"].to_numpy(),
            "MAGLAT": ctx["MAGLAT"],
            "MAGLON": ctx["MAGLON"],
            "MLTH": ctx["MLTH"],
            "Period_Cntr": spins["Period_Cntr"].to_numpy(),
            "Voltage_Step": spins["Voltage_Step"].to_numpy(),
            **{k: spins[k].to_numpy() for k in ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2")},
            **{k: spins[k].to_numpy() for k in ("R0", "R1", "R2")},
            "CSHK": ctx["CSHK"],
            "Quality": quality,
            "Dst": np.full(n_spins, np.nan),
            "Kp": np.full(n_spins, np.nan),
        }
    )
    kept_rows = np.flatnonzero(keep_spin)
    spin_order = kept_rows[np.argsort(times[kept_rows], kind="stable")]
    rates = _typed(spin_all.iloc[spin_order], schema.RATES_COLUMNS)

    # Events: context from their spin, then sorted by spin time (slot order kept within a spin).
    ev = day.events
    ev_spin = ev["spin"].to_numpy()
    ev_keep = keep_spin[ev_spin]
    ev_cal = ctx["CSHK"][ev_spin] != 0
    ev_bad = bad[ev_spin]
    pha_cols = {
        "SpinStartTime": times[ev_spin],
        **{
            k: spin_all[k].to_numpy()[ev_spin]
            for k in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "L", "MLTH")
        },
        "Voltage_Step": spin_all["Voltage_Step"].to_numpy()[ev_spin],
        **{k: ev[k].to_numpy() for k in ("Sector", "SSDID", "Energy", "TOF", "Range")},
    }
    ev_all = pd.DataFrame(pha_cols)

    def _events(mask: np.ndarray) -> pd.DataFrame:
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(ev_all["SpinStartTime"].to_numpy()[rows], kind="stable")]
        return _typed(ev_all.iloc[rows], schema.PHA_COLUMNS)

    pha = _events(ev_keep & ~ev_cal & ~ev_bad)
    cal_pha = _events(ev_keep & ev_cal)

    # Cycles: HK and ME at the cycle start, L of the cycle's first spin.
    n_cycles = len(cycles)
    cyc_times = cycles["CycleStartTime"].to_numpy()
    cyc_raw = cycles["ST"].to_numpy()
    cyc_clipped = (cyc_raw <= 0) | (cyc_raw >= schema.CLIP_HIGH_SECONDS)
    _, first = np.unique(cyc_raw, return_index=True)
    cyc_dup = np.ones(n_cycles, dtype=bool)
    cyc_dup[first] = False
    first_spin = np.minimum(np.arange(n_cycles) * schema.SPINS_PER_CYCLE, max(n_spins - 1, 0))
    cyc_l = spins["L"].to_numpy()[first_spin] if n_spins else np.full(n_cycles, np.nan, np.float32)
    cyc_keep = np.flatnonzero(~cyc_clipped & ~cyc_dup)
    cyc_keep = cyc_keep[np.argsort(cyc_times[cyc_keep], kind="stable")]
    hk_all = pd.DataFrame(
        {
            "SpinStartTime": cyc_times,
            **{
                k: cycles[k].to_numpy()
                for k in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority")
            },
            "L": cyc_l,
            **{k: cycles[k].to_numpy() for k in ("MAGLAT", "MAGLON", "MLTH", "CSHK")},
            "Dst": np.full(n_cycles, np.nan),
            "Kp": np.full(n_cycles, np.nan),
        }
    )
    hk = _typed(hk_all.iloc[cyc_keep], {**schema.HK_COLUMNS, **schema.HK_EXTRAS})
    me_block = np.asarray(day.me, dtype=np.int32)[cyc_keep]
    me = pd.concat(
        [
            pd.DataFrame(
                {
                    "SpinStartTime": cyc_times[cyc_keep],
                    "L": cyc_l[cyc_keep].astype(np.float32),
                }
            ),
            pd.DataFrame(me_block, columns=list(schema.ME_LABELS)),
            pd.DataFrame({"CSHK": cycles["CSHK"].to_numpy()[cyc_keep].astype(np.int16)}),
        ],
        axis=1,
    )
    counts = {
        "spins_dropped_clipped": int(spins["clipped"].sum()),
        "spins_dropped_duplicate": int((spins["duplicate"] & ~spins["clipped"]).sum()),
        "cycles_dropped": int(n_cycles - len(cyc_keep)),
        "events_bad_period": int((ev_keep & ~ev_cal & ev_bad).sum()),
        "events_dropped_with_spin": int((~ev_keep).sum()),
        "events_science": len(pha),
        "events_calibration": len(cal_pha),
        "spins_bad_period": int((bad & keep_spin).sum()),
    }
    return DayFrames(
        source={"name": day.source},
        quirks=day.quirks,
        pha=pha,
        cal_pha=cal_pha,
        rates=rates,
        hk=hk,
        me=me,
        counts=counts,
    )


def coverage_entry(day: fits.DayData, frames: DayFrames) -> dict[str, Any]:
    """One day's line of the coverage table: what it holds and the verify findings."""
    report = verify.report_to_json(verify.VerifyReport([verify.verify_day(day)]))["files"][0]
    rates = frames.rates
    cal = rates["CSHK"].to_numpy() != 0
    steps = np.diff(rates["SpinStartTime"].to_numpy()).astype(np.int64) / 1e9
    steps = steps[(steps > 0) & (steps < 60)]  # whole-second times: mean of in-block steps
    spin_s = float(steps.mean()) if steps.size else 0.0
    return {
        "date": report["day"],
        "file": day.source,
        "status": report["status"],
        "reason": report["reason"],
        "spins": int(len(rates)),
        "cycles": int(len(frames.hk)),
        "calibration_cycles": int((frames.hk["CSHK"].to_numpy() != 0).sum()),
        "calibration_minutes": round(float(cal.sum()) * spin_s / 60.0, 2),
        "pha_events": int(len(frames.pha)),
        "calibration_events": int(len(frames.cal_pha)),
        "bad_period_spins": frames.counts.get("spins_bad_period", 0),
        "blocks": report["blocks"],
        "warnings": report["warnings"],
        "quirks": report["quirks"],
    }


def kp_thirds(kp: Any) -> np.ndarray:
    """Kp as GFZ writes it: the nearest third, to 3 decimals, float64 (spec sections 3, 7).

    Whatever the source (GFZ's 3-decimal thirds, CelesTrak's tenths such as 8.7 for 8+, or a
    float32 copy of either), 8+ becomes 8.667, so that ``where='Kp >= 8.667'`` selects it.

    Parameters
    ----------
    kp : array_like
        Kp values, 0-9 (NaN = missing).

    Returns
    -------
    ndarray of float64
        0.0, 0.333, 0.667, 1.0, ..., 8.667, 9.0; NaN kept.
    """
    values = np.asarray(kp, dtype=np.float64)
    return np.round(np.round(values * 3.0) / 3.0, 3)


def _merge_day_indices(
    frames: DayFrames, hourly: pd.DataFrame | None, has_kp: bool, has_dst: bool
) -> None:
    """Fill Dst and Kp of the day's rates and HK rows from the hourly table (spec section 3).

    Spins left without a value although an index was given are counted
    (``spins_without_kp``, ``spins_without_dst``): the index file does not cover them.
    """
    if hourly is None:
        return
    for df in (frames.rates, frames.hk):
        if df.empty:
            continue
        dst, kp = indices.merge_indices(df["SpinStartTime"].to_numpy(), hourly)
        df["Dst"] = np.asarray(dst, dtype=np.float64)
        df["Kp"] = kp_thirds(kp)
    if has_kp:
        frames.counts["spins_without_kp"] = int(frames.rates["Kp"].isna().sum())
    if has_dst:
        frames.counts["spins_without_dst"] = int(frames.rates["Dst"].isna().sum())
