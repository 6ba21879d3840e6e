"""Query benchmark: the app's real view path against a plain pandas baseline.

Run by hand (never in the test suite):

    .venv/bin/python bench/bench_query.py                      # 30-day store, built if absent
    .venv/bin/python bench/bench_query.py --data awa_data      # any store folder
    .venv/bin/python bench/bench_query.py --json bench/out/after.json

Each case runs in its own forked process (so its peak RSS is its own) and calls the view
functions a Dash callback calls (query + binning + figure + JSON for the browser) several
times; the table gives the median, the median of a straightforward baseline measured in the
same run (``pandas.read_hdf(where=...)`` then ``np.histogram2d``), the bytes of the figure
JSON, the largest trace and the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from awa.chem import physics, schema
from awa.model import AppState, Selection, TimeRange, ViewOptions
from awa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "bench" / "out" / "b30" / "stores"
INDICES = ROOT.parent / "shared" / "data" / "indices"
START = dt.date(1986, 2, 1)
DAYS = 30


# ---------------------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------------------


def ensure_store(folder: Path, days: int = DAYS, workers: int = 2) -> None:
    """Simulate ``days`` days from START and build the stores into ``folder`` if absent."""
    if all((folder / s.filename).exists() for s in schema.STORES):
        return
    from data_build import indices, stores
    from data_build.simulate import simulate_days

    fits_dir = folder.parent / "fits"
    fits_dir.mkdir(parents=True, exist_ok=True)
    if len(list(fits_dir.glob("*.fits*"))) < days:
        simulate_days(START, days, fits_dir, seed=1, workers=workers)
    dst_file = INDICES / "dst_1984-1989_final.wdc"
    kp_file = INDICES / "Kp_ap_Ap_SN_F107_1986.txt"
    kp = indices.read_kp(kp_file if kp_file.exists() else None)
    dst = indices.read_dst(dst_file) if dst_file.exists() else None
    result = stores.build_stores(
        stores.find_fits(fits_dir), folder, kp=kp, dst=dst, workers=workers
    )
    print(result.summary())


# ---------------------------------------------------------------------------------------
# Baselines: pandas.read_hdf(where=...) then np.histogram2d
# ---------------------------------------------------------------------------------------


def _where(r: TimeRange) -> str:
    fmt = "%Y-%m-%d %H:%M:%S"
    return f"SpinStartTime >= '{r.start:{fmt}}' & SpinStartTime < '{r.end:{fmt}}'"


def _default_filters(df: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    if "L" not in df.columns:  # the team's layout: the spin columns are index levels
        df = df.reset_index()
    keep = np.ones(len(df), dtype=bool)
    if sel.l_range:
        keep &= df["L"].between(*sel.l_range).to_numpy()
    keep &= df["DPU_Mode"].isin([0, 2]).to_numpy()
    keep &= (df["TAC_Slope"] == 0).to_numpy()
    keep &= (df["PHA_Priority"] == 78).to_numpy()
    keep &= (df["TOF"] != 1019).to_numpy() & (df["Range"] != 3).to_numpy()
    keep &= (df["SSDID"] < 4).to_numpy()
    return df[keep]


def _et_edges() -> np.ndarray:
    return np.arange(0, 1024 + 8, 8, dtype=np.float64)


def _mmq_edges() -> np.ndarray:
    a, b = np.log10(0.5), np.log10(60.0)
    n = int(np.ceil((b - a) / 0.02 - 1e-9))
    return np.asarray(10.0 ** (a + 0.02 * np.arange(n + 1)))


def _mmq_hist(df: pd.DataFrame) -> np.ndarray:
    phys = physics.convert_events(df["Energy"], df["TOF"], df["Voltage_Step"], df["PAPS_lvl"])
    e = _mmq_edges()
    h, _, _ = np.histogram2d(np.asarray(phys["mass"]), np.asarray(phys["mpq"]), bins=(e, e))
    return h


def baseline_et(data: Path, sel: Selection) -> int:
    df = pd.read_hdf(data / schema.PHA_STORE.filename, schema.PHA_STORE.key,
                     where=_where(sel.times[0]))  # fmt: skip
    assert isinstance(df, pd.DataFrame)
    df = _default_filters(df, sel)
    h, _, _ = np.histogram2d(df["Energy"], df["TOF"], bins=(_et_edges(), _et_edges()))
    return int(h.sum())


def baseline_mmq(data: Path, sel: Selection) -> int:
    r = sel.times[0]
    where = _where(r)
    if sel.l_range:
        where += f" & L >= {sel.l_range[0]} & L <= {sel.l_range[1]}"
    df = pd.read_hdf(data / schema.PHA_STORE.filename, schema.PHA_STORE.key, where=where)
    assert isinstance(df, pd.DataFrame)
    df = _default_filters(df, sel)
    if sel.kp_range:
        rates = pd.read_hdf(data / schema.RATES_STORE.filename, schema.RATES_STORE.key,
                            where=_where(r), columns=["SpinStartTime", "Kp"])  # fmt: skip
        assert isinstance(rates, pd.DataFrame)
        df = df.merge(rates, on="SpinStartTime", how="inner")
        df = df[df["Kp"].between(*sel.kp_range)]
    return int(_mmq_hist(df).sum())


def baseline_timeline(data: Path, sel: Selection) -> int:
    cols = ["SpinStartTime", "FSR", "DCR", "TCR", "SSD"]
    df = pd.read_hdf(data / schema.RATES_STORE.filename, schema.RATES_STORE.key,
                     where=_where(sel.times[0]), columns=cols)  # fmt: skip
    hk_cols = ["SpinStartTime", "Kp", "Dst"]
    hk = pd.read_hdf(data / schema.HK_STORE.filename, schema.HK_STORE.key,
                     where=_where(sel.times[0]), columns=hk_cols)  # fmt: skip
    assert isinstance(df, pd.DataFrame)
    assert isinstance(hk, pd.DataFrame)
    return len(df) + len(hk)


def baseline_scan(data: Path, sel: Selection) -> int:
    """Whole-store filtered histogram by pandas in chunks (bounded memory)."""
    total = np.zeros((128, 128))
    where = None
    if sel.l_range:
        where = f"L >= {sel.l_range[0]} & L <= {sel.l_range[1]}"
    for df in pd.read_hdf(data / schema.PHA_STORE.filename, schema.PHA_STORE.key,
                          where=where, chunksize=2_000_000):  # fmt: skip
        assert isinstance(df, pd.DataFrame)
        df = _default_filters(df, sel)
        h, _, _ = np.histogram2d(df["Energy"], df["TOF"], bins=(_et_edges(), _et_edges()))
        total += h
    return int(total.sum())


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------


def _figure_stats(fig: Any) -> tuple[int, int]:
    """Bytes of the figure JSON and the largest number of points in one trace."""
    text = fig.to_json()
    points = 0
    for trace in fig.data:
        for attr in ("x", "z"):
            v = getattr(trace, attr, None)
            if v is not None:
                points = max(points, int(np.size(v)))
    return len(text.encode()), points


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def _state(sel: Selection, **view: Any) -> AppState:
    return AppState(selection=sel, view=replace(ViewOptions(), **view))


def run_case(name: str, data: Path, spec: dict[str, Any], repeat: int) -> dict[str, Any]:
    """One case in this process: warm-up, ``repeat`` timed runs, baseline, peak RSS."""
    from awa import views

    settings = Settings(data_dir=data, cache_type="null")
    sel: Selection = spec["sel"]
    state = _state(sel, **spec.get("view", {}))
    kind = spec["kind"]
    result: dict[str, Any] = {"case": name, "label": spec["label"]}
    zoom: TimeRange | None = spec.get("zoom")

    def view_fn() -> Any:
        if kind == "et":
            v = views.et_view(settings, state)
        elif kind == "mmq":
            v = views.mmq_view(settings, state)
        else:
            v = views.timeline_view(settings, state)
        v.figure.to_json()
        return v

    if kind == "cache":
        from awa.app import build_app

        cached = Settings(data_dir=data, cache_type="simple")
        app = build_app(cached)
        with app.server.app_context():
            t0 = time.perf_counter()
            first = views.et_view(cached, state)
            first.figure.to_json()
            result["first_s"] = time.perf_counter() - t0

            def hit() -> Any:
                v = views.et_view(cached, state)
                v.figure.to_json()
                return v

            times, v = _timed(hit, repeat)
        result["median_s"] = statistics.median(times)
        result["bytes"], result["points"] = _figure_stats(v.figure)
    else:
        view_fn()  # warm-up: handles, page cache, imports
        times, v = _timed(view_fn, repeat)
        result["median_s"] = statistics.median(times)
        result["bytes"], result["points"] = _figure_stats(v.figure)
        result["caption"] = v.caption[:160]
        if zoom is not None:
            views.timeline_view(settings, state, zoom).figure.to_json()
            ztimes, zv = _timed(
                lambda: views.timeline_view(settings, state, zoom).figure.to_json(), repeat
            )
            result["zoom_s"] = statistics.median(ztimes)
            result["zoom_bytes"], result["zoom_points"] = _figure_stats(
                views.timeline_view(settings, state, zoom).figure
            )
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if "rows" in spec:
        result["rows"] = spec["rows"]
    return result


def run_baseline(name: str, data: Path, spec: dict[str, Any], repeat: int) -> dict[str, Any]:
    fn = spec.get("baseline")
    if fn is None:
        return {}
    times, count = _timed(lambda: fn(data, spec["sel"]), repeat)
    return {
        "base_s": statistics.median(times),
        "base_count": count,
        "base_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(
    target: Callable[..., dict[str, Any]], args: tuple[Any, ...], queue: Any
) -> None:  # pragma: no cover - runs in the child
    try:
        queue.put(target(*args))
    except Exception as exc:  # noqa: BLE001 - reported in the table
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def in_child(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``target(*args)`` in a forked process; return its dict."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return dict(out)


def store_span(data: Path) -> tuple[dt.datetime, dt.datetime, int]:
    import tables

    with tables.open_file(str(data / schema.PHA_STORE.filename)) as h5:
        t = h5.get_node(f"/{schema.PHA_STORE.key}/table")
        first = pd.Timestamp(int(t.read(0, 1)["SpinStartTime"][0]))
        last = pd.Timestamp(int(t.read(t.nrows - 1, t.nrows)["SpinStartTime"][0]))
        return first.floor("D").to_pydatetime(), last.ceil("D").to_pydatetime(), int(t.nrows)


def cases(data: Path) -> dict[str, dict[str, Any]]:
    first, last, nrows = store_span(data)
    day = TimeRange(first + dt.timedelta(days=9), first + dt.timedelta(days=10))
    month = TimeRange(first, min(first + dt.timedelta(days=30), last))
    whole = TimeRange(first, last)
    hour = TimeRange(day.start + dt.timedelta(hours=5), day.start + dt.timedelta(hours=6))
    storm = Selection(times=(month,), l_range=(3.0, 4.0), kp_range=(4.0, 9.0))
    return {
        "1": {"label": "one-day E-T", "kind": "et", "sel": Selection(times=(day,)),
              "baseline": baseline_et},
        "2": {"label": "one-day M-M/Q", "kind": "mmq", "sel": Selection(times=(day,)),
              "baseline": baseline_mmq},
        "3": {"label": "30-day M-M/Q, L 3-4, Kp>=4", "kind": "mmq", "sel": storm,
              "baseline": baseline_mmq},
        "4": {"label": "30-day timeline FSR DCR TCR SSD (+Kp, Dst); zoom 1 h",
              "kind": "timeline", "sel": Selection(times=(month,)),
              "view": {"panels": ("FSR", "DCR", "TCR", "SSD")}, "zoom": hour,
              "baseline": baseline_timeline},
        "5a": {"label": "whole store E-T, default filters", "kind": "et",
               "sel": Selection(times=(whole,)), "rows": nrows, "baseline": baseline_scan},
        "5b": {"label": "whole store E-T, L 3-4, Kp>=4", "kind": "et",
               "sel": Selection(times=(whole,), l_range=(3.0, 4.0), kp_range=(4.0, 9.0)),
               "rows": nrows},
        "6": {"label": "case 1 repeated (cache hit)", "kind": "cache",
              "sel": Selection(times=(day,))},
    }  # fmt: skip


def format_table(results: list[dict[str, Any]]) -> str:
    head = (
        "| case | what | median ms | baseline ms | speed-up | figure KB | max pts/trace "
        "| peak RSS MB | notes |\n|---|---|---:|---:|---:|---:|---:|---:|---|"
    )
    lines = [head]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['case']} | {r.get('label', '')} | error: {r['error']} |||||||")
            continue
        base = r.get("base_s")
        notes = []
        if "zoom_s" in r:
            notes.append(
                f"zoom {r['zoom_s'] * 1e3:.0f} ms, {r['zoom_bytes'] / 1e3:.0f} KB, "
                f"{r['zoom_points']} pts"
            )
        if "rows" in r:
            notes.append(f"{r['rows'] / r['median_s'] / 1e6:.1f}M events/s")
            if base:
                notes.append(f"baseline {r['rows'] / base / 1e6:.1f}M events/s")
        if "first_s" in r:
            notes.append(f"first call {r['first_s'] * 1e3:.0f} ms")
        if "base_rss_mb" in r:
            notes.append(f"baseline RSS {r['base_rss_mb']:.0f} MB")
        speed = "" if base is None else f"{base / r['median_s']:.1f}x"
        lines.append(
            f"| {r['case']} | {r['label']} | {r['median_s'] * 1e3:.1f} | "
            f"{'' if base is None else f'{base * 1e3:.0f}'} | "
            f"{speed} | "
            f"{r['bytes'] / 1e3:.0f} | {r['points']} | {r['rss_mb']:.0f} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="store folder")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case")
    parser.add_argument("--cases", nargs="*", help="run only these cases (e.g. 1 2 5a)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    if args.data == DEFAULT_DATA:
        ensure_store(args.data)
    all_cases = cases(args.data)
    results = []
    for name, spec in all_cases.items():
        if args.cases and name not in args.cases:
            continue
        repeat = args.repeat if not name.startswith("5") else max(args.repeat // 2, 2)
        r = in_child(run_case, name, args.data, spec, repeat)
        r.setdefault("case", name)
        r.setdefault("label", spec["label"])
        if not args.no_baseline and "error" not in r:
            brep = 1 if name.startswith("5") else 3
            r.update(in_child(run_baseline, name, args.data, spec, brep))
        print(json.dumps({k: v for k, v in r.items() if k != "caption"}), flush=True)
        results.append(r)
    print()
    print(f"store: {args.data} ({store_span(args.data)[2]:,} PHA events)")
    print(format_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
