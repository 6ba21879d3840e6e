"""Quick-look atlas: one survey image per UT day, rendered from the stores without a browser.

``awa-build atlas --data DIR --out DIR`` writes ``YYYY-MM-DD.png`` (1200 x 1000 px) and
``thumbs/YYYY-MM-DD.png`` per day plus ``index.json``, which the app's atlas page serves as
static files.  Panels over the UT day: L with MLT, the direct rates, a count-rate
spectrogram against E/Q step, the heavy-ion (Range 2) fraction, Kp, Dst and the species
fractions (the on-board ME counts of each default species region per UT hour, science
cycles only; :func:`awa.chem.species.me_species_counts`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from awa.chem import physics, schema, species

#: Width of the time bins of the spectrogram and heavy-ion fraction (minutes).
BIN_MINUTES = 15
_RATES_COLS = [
    "SpinStartTime",
    "L",
    "MLTH",
    "Voltage_Step",
    "FSR",
    "DCR",
    "TCR",
    "SSD",
    "BR0",
    "BR1",
    "BR2",
    "CSHK",
    "Kp",
    "Dst",
]


class AtlasError(RuntimeError):
    """The atlas could not be rendered (missing store, bad directory)."""


@dataclass
class AtlasResult:
    """What an atlas run wrote."""

    out_dir: Path
    days: list[str]
    empty_days: list[str]
    seconds: float


def store_days(data_dir: str | os.PathLike[str]) -> list[dt.date]:
    """UT days that have at least one cycle in the HK store, in order."""
    path = Path(data_dir) / schema.HK_STORE.filename
    if not path.exists():
        raise AtlasError(f"no HK store {path.name} in {data_dir}: build the stores first")
    times = pd.read_hdf(path, schema.HK_STORE.key, columns=["SpinStartTime"])["SpinStartTime"]
    return sorted({t.date() for t in pd.DatetimeIndex(times.to_numpy()).normalize().unique()})


def read_day_rates(data_dir: str | os.PathLike[str], day: dt.date) -> pd.DataFrame:
    """The rates-store rows of one UT day (science and calibration spins)."""
    start = pd.Timestamp(day)
    end = start + pd.Timedelta(days=1)
    where = f"SpinStartTime >= '{start.isoformat()}' & SpinStartTime < '{end.isoformat()}'"
    df = pd.read_hdf(
        Path(data_dir) / schema.RATES_STORE.filename,
        schema.RATES_STORE.key,
        where=where,
        columns=_RATES_COLS,
    )
    assert isinstance(df, pd.DataFrame)
    return df


def read_day_species(
    data_dir: str | os.PathLike[str], day: dt.date, science: pd.Series | None = None
) -> pd.DataFrame | None:
    """Hourly species fractions of one UT day from the ME store (None without the store).

    Each ME box counts for the default species region holding its centre (spec section 6);
    the counts of the science cycles (those starting at a time of ``science``, the science
    spins' start times, when given) are summed per UT hour.  The result has one row per hour
    with cycles (index: hour 0-23) and one column per code name other than "no mass": the
    share (0-1) of the counts with a mass, NaN without counts.
    """
    path = Path(data_dir) / schema.ME_STORE.filename
    if not path.exists():
        return None
    start = pd.Timestamp(day)
    end = start + pd.Timedelta(days=1)  # noqa: F841 (read by pandas from this scope)
    # a constant condition; pandas takes ``start`` and ``end`` from this scope
    me = pd.read_hdf(path, schema.ME_STORE.key, where="index >= start & index < end")
    assert isinstance(me, pd.DataFrame)
    if science is not None:
        me = me[me.index.isin(pd.DatetimeIndex(science.to_numpy()))]
    if me.empty:
        return None
    boxes = me[[c for c in me.columns if c != "L"]].to_numpy()
    counts = species.me_species_counts(boxes)
    names = species.code_names(species.default_regions())
    times = pd.DatetimeIndex(me.index)
    hours = np.asarray((times - start) / pd.Timedelta(hours=1), dtype=float).astype(int)
    frame = pd.DataFrame(counts[:, :-1], columns=names[:-1]).groupby(hours).sum()
    total = frame.sum(axis=1).replace(0, np.nan)
    return frame.div(total, axis=0)


def _hours(times: pd.Series, day: dt.date) -> np.ndarray:
    return np.asarray((times - pd.Timestamp(day)) / pd.Timedelta(hours=1), dtype=float)


def render_day(
    rates: pd.DataFrame, day: dt.date, fractions: pd.DataFrame | None = None
) -> Figure:
    """The survey figure of one UT day from its rates rows (spec sections 2-4 quantities)
    and its hourly species fractions (:func:`read_day_species`)."""
    fig = Figure(figsize=(12, 10), dpi=100, layout="constrained")
    axes = fig.subplots(
        7, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.2, 1.6, 0.8, 0.7, 0.8, 1.0]}
    )
    doy = day.timetuple().tm_yday
    fig.suptitle(
        f"AMPTE/CCE CHEM  {day.isoformat()}  (day {doy:03d})  quick look",
        fontsize=15,
        weight="bold",
    )
    for ax in axes:
        ax.set_xlim(0, 24)
        ax.grid(alpha=0.3)
    axes[-1].set_xticks(range(0, 25, 2))
    axes[-1].set_xlabel(f"UT hours of {day.isoformat()}")
    science = rates[rates["CSHK"] == 0]
    if science.empty:
        axes[0].text(12, 0.5, "no science data this day", ha="center", va="center", fontsize=16)
        return fig
    hours = _hours(science["SpinStartTime"], day)

    ax = axes[0]
    ax.plot(hours, science["L"], ",", color="black")
    ax.set_ylabel("L (Re)")
    ax.set_ylim(0, 10)
    twin = ax.twinx()
    twin.plot(hours, science["MLTH"], ".", markersize=1, color="tab:purple")
    twin.set_ylim(0, 24)
    twin.set_yticks([0, 6, 12, 18, 24])
    twin.set_ylabel("MLT (h)", color="tab:purple")

    bins = np.arange(0, 24 + BIN_MINUTES / 60, BIN_MINUTES / 60)
    which = np.clip(np.digitize(hours, bins) - 1, 0, len(bins) - 2)
    centres = 0.5 * (bins[1:] + bins[:-1])
    n_per_bin = np.bincount(which, minlength=len(centres)).astype(float)
    ax = axes[1]
    for name in ("FSR", "DCR", "TCR", "SSD"):
        total = np.bincount(which, weights=science[name].to_numpy(float), minlength=len(centres))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n_per_bin > 0, total / n_per_bin, np.nan)
        ax.plot(centres, mean, label=name, lw=1.2)
    ax.set_yscale("log")
    ax.set_ylabel("counts/spin\n(15-min mean)")
    ax.legend(loc="upper right", ncol=4, fontsize=8)

    ax = axes[2]
    step = science["Voltage_Step"].to_numpy().astype(int)
    flat = which * 64 + np.clip(step, 0, 63)
    grid_sum = np.bincount(
        flat, weights=science["DCR"].to_numpy(float), minlength=len(centres) * 64
    )
    grid_n = np.bincount(flat, minlength=len(centres) * 64)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = np.where(grid_n > 0, grid_sum / grid_n, np.nan).reshape(len(centres), 64).T
    positive = grid[np.isfinite(grid) & (grid > 0)]
    norm = LogNorm(vmin=max(positive.min(), 0.1), vmax=positive.max()) if positive.size else None
    mesh = ax.pcolormesh(bins, np.arange(65), np.ma.masked_invalid(grid), norm=norm, cmap="viridis")
    ticks = [4, 20, 36, 52]
    ax.set_yticks([t + 0.5 for t in ticks])
    ax.set_yticklabels([f"{t}: {float(physics.epq_kev(t)):.3g}" for t in ticks], fontsize=8)
    ax.set_ylabel("E/Q step: keV/e")
    fig.colorbar(mesh, ax=ax, label="DCR counts/spin", pad=0.01)

    ax = axes[3]
    heavy = np.bincount(which, weights=science["BR2"].to_numpy(float), minlength=len(centres))
    allbr = np.bincount(
        which,
        weights=(science["BR0"] + science["BR1"] + science["BR2"]).to_numpy(float),
        minlength=len(centres),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(allbr > 0, heavy / allbr, np.nan)
    ax.step(centres, 100 * frac, where="mid", color="tab:red")
    ax.set_ylabel("Range 2\n(% of BR)")
    ax.set_ylim(0, max(5.0, float(np.nanmax(100 * frac)) * 1.1) if np.isfinite(frac).any() else 5)

    ax = axes[4]
    kp = science.groupby(np.floor(hours / 3).astype(int))["Kp"].first()
    if kp.notna().any():
        kp_vals = kp.to_numpy(float)
        colours = schema.kp_colours(kp_vals)
        ax.bar(kp.index.to_numpy() * 3 + 1.5, kp_vals, width=2.8, color=colours)
        ax.set_ylim(0, 9)
    else:
        ax.text(12, 0.5, "no Kp", ha="center", va="center", transform=ax.get_xaxis_transform())
    ax.set_ylabel("Kp")

    ax = axes[5]
    if science["Dst"].notna().any():
        dst = science.groupby(np.floor(hours).astype(int))["Dst"].first()
        ax.step(dst.index.to_numpy() + 0.5, dst.to_numpy(float), where="mid", color="tab:blue")
        ax.axhline(0, color="grey", lw=0.5)
    else:
        ax.text(
            12,
            0.5,
            "no Dst in the stores",
            ha="center",
            va="center",
            transform=ax.get_xaxis_transform(),
        )
    ax.set_ylabel("Dst (nT)")
    _species_panel(axes[6], fractions)
    return fig


def _species_panel(ax: object, fractions: pd.DataFrame | None) -> None:
    """Stacked hourly shares of the species regions (log-free: 0-100 %, ME counts)."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.set_ylabel("species\n(% of ME)")
    if fractions is None or fractions.empty:
        ax.text(12, 0.5, "no ME counts", ha="center", va="center",
                transform=ax.get_xaxis_transform())  # fmt: skip
        return
    shown = [c for c in fractions.columns if c != "H+"]
    hours = fractions.index.to_numpy(dtype=float) + 0.5
    base = np.zeros(len(hours))
    for name in shown:
        share = 100 * fractions[name].fillna(0).to_numpy(float)
        ax.bar(hours, share, width=1.0, bottom=base, label=name, align="center")
        base += share
    ax.set_ylim(0, max(5.0, float(base.max()) * 1.05))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=7, frameon=False,
              title="not H+; ME boxes\nby region of centre", title_fontsize=7)  # fmt: skip


def _save(fig: Figure, path: Path, dpi: float) -> None:
    FigureCanvasAgg(fig)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=dpi)
    os.replace(tmp, path)


def render_one(data_dir: str, day_iso: str, out_dir: str) -> tuple[str, bool]:
    """Render and save one day (runs in a worker); returns (day, had science data)."""
    day = dt.date.fromisoformat(day_iso)
    rates = read_day_rates(data_dir, day)
    science = rates.loc[rates["CSHK"] == 0, "SpinStartTime"]
    fig = render_day(rates, day, read_day_species(data_dir, day, science))
    out = Path(out_dir)
    _save(fig, out / f"{day_iso}.png", dpi=100)
    _save(fig, out / "thumbs" / f"{day_iso}.png", dpi=24)
    return day_iso, bool((rates["CSHK"] == 0).any())


def build_atlas(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    days: Sequence[dt.date] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = print,
) -> AtlasResult:
    """Render the atlas of ``days`` (default: every day in the stores) into ``out_dir``."""
    t0 = time.perf_counter()
    data = Path(data_dir)
    for spec in (schema.RATES_STORE, schema.HK_STORE):
        if not (data / spec.filename).exists():
            raise AtlasError(f"no {spec.filename} in {data}: build the stores first")
    todo = list(days) if days is not None else store_days(data)
    out = Path(out_dir)
    (out / "thumbs").mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _m: None)
    isos = [d.isoformat() for d in todo]
    results: list[tuple[str, bool]] = []
    if workers <= 1:
        for iso in isos:
            results.append(render_one(str(data), iso, str(out)))
            say(f"atlas: {iso}")
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(render_one, str(data), iso, str(out)) for iso in isos]
            for fut in futures:
                results.append(fut.result())
                say(f"atlas: {results[-1][0]}")
    index_path = out / "index.json"
    previous: dict[str, dict[str, object]] = {}
    if index_path.exists():
        try:
            previous = {d["date"]: d for d in json.loads(index_path.read_text())["days"]}
        except (ValueError, KeyError, TypeError):
            previous = {}
    for iso, has_data in results:
        previous[iso] = {
            "date": iso,
            "image": f"{iso}.png",
            "thumb": f"thumbs/{iso}.png",
            "science_data": has_data,
        }
    tmp = index_path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"days": [previous[k] for k in sorted(previous)]}, indent=1))
    os.replace(tmp, index_path)
    return AtlasResult(
        out_dir=out,
        days=[iso for iso, _ in results],
        empty_days=[iso for iso, ok in results if not ok],
        seconds=time.perf_counter() - t0,
    )
