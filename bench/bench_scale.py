"""Scale benchmark: simulate and build 30, 90, 365 days; query each store; fit cost to events.

Run by hand (never in the test suite):

    .venv/bin/python bench/bench_scale.py --days 30 90 --json bench/out/scale.json
    .venv/bin/python bench/bench_scale.py --days 365 --json bench/out/scale365.json

One folder of simulated daily files (``--fits``, default ``bench/out/scale/fits``) serves
every size: missing days are simulated (day by day, streamed to disk), and the store of N
days is built from the first N files (``awa-build build`` in a child process, with the
real Kp and Dst files of ``../shared/data/indices`` when present).  Per size the script
reports:

- build wall time and peak RSS (the sum over the build's process tree, sampled every
  0.2 s, and the largest single process), and the atlas render time;
- store and sidecar sizes (bytes per PHA event);
- every query case of ``bench_query.py`` (its functions, each case in a forked process,
  pandas baseline in the same run) plus a whole-store M-M/Q and a whole-store timeline;
- the coverage and atlas pages: page layout built and encoded as the browser receives it,
  and ``/api/coverage`` through the Flask test client.

With two or more sizes it fits time = a + b * events (least squares) for the build and the
whole-store cases and projects each to the whole mission (``--mission-events``, 1e9).
Memory stays bounded at every size: the simulator writes one day at a time, the build
streams, the queries scan by segments (peak RSS is printed per case).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_query as bq  # noqa: E402

from awa.chem import schema  # noqa: E402
from awa.model import Selection, TimeRange  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "scale"
START = dt.date(1986, 2, 1)
BIN = ROOT / ".venv" / "bin"


# ---------------------------------------------------------------------------------------
# Simulate and build
# ---------------------------------------------------------------------------------------


def day_files(fits: Path, days: int, workers: int) -> list[Path]:
    """The first ``days`` daily files from START in ``fits``, simulating the missing ones."""
    from data_build.simulate import simulate_days

    fits.mkdir(parents=True, exist_ok=True)
    dates = [START + dt.timedelta(days=i) for i in range(days)]
    paths = [fits / f"{d.year}_{d.timetuple().tm_yday:03d}.fits.gz" for d in dates]
    missing = [d for d, p in zip(dates, paths, strict=True) if not p.exists()]
    if missing:
        simulate_days(missing[0], (missing[-1] - missing[0]).days + 1, fits, seed=1,
                      workers=workers)  # fmt: skip
    return paths


def _tree_rss(proc: Any) -> tuple[int, int]:
    """(sum, max) RSS in bytes of ``proc`` and its descendants (psutil.Process)."""
    import psutil

    total = peak = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in members:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        peak = max(peak, rss)
    return total, peak


def run_measured(cmd: list[str], log: Path) -> dict[str, float]:
    """Run ``cmd``; wall time (s) and peak RSS (MB) of its process tree (sum and largest)."""
    import psutil

    t0 = time.perf_counter()
    with log.open("w") as fh:
        child = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        proc = psutil.Process(child.pid)
        tree = one = 0
        while child.poll() is None:
            s, m = _tree_rss(proc)
            tree, one = max(tree, s), max(one, m)
            time.sleep(0.2)
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}); see {log}")
    return {"wall_s": wall, "tree_rss_mb": tree / 2**20, "proc_rss_mb": one / 2**20}


def build(days: int, paths: list[Path], workers: int, force: bool) -> tuple[Path, dict[str, Any]]:
    """Build the stores of the first ``days`` files (skipped when present and not ``force``)."""
    base = OUT / f"d{days}"
    fits, stores = base / "fits", base / "stores"
    info: dict[str, Any] = {}
    meta = base / "build.json"
    if not force and meta.exists() and (stores / schema.COLUMNS_FILE).exists():
        return stores, dict(json.loads(meta.read_text()))
    fits.mkdir(parents=True, exist_ok=True)
    for old in fits.iterdir():
        old.unlink()
    for p in paths:
        (fits / p.name).symlink_to(p.resolve())
    cmd = [str(BIN / "awa-build"), "build", "--fits", str(fits), "--out", str(stores),
           "--workers", str(workers)]  # fmt: skip
    dst = bq.INDICES / "dst_1984-1989_final.wdc"
    if dst.exists():
        cmd += ["--dst", str(dst)]
    for year in sorted({START.year, (START + dt.timedelta(days=days - 1)).year}):
        kp = bq.INDICES / f"Kp_ap_Ap_SN_F107_{year}.txt"  # one file per year spanned
        if kp.exists():
            cmd += ["--kp", str(kp)]
    info["build"] = run_measured(cmd, base / "build.log")
    atlas_cmd = [str(BIN / "awa-build"), "atlas", "--data", str(stores), "--out",
                 str(stores / "atlas"), "--workers", str(workers)]  # fmt: skip
    info["atlas"] = run_measured(atlas_cmd, base / "atlas.log")
    meta.write_text(json.dumps(info))
    return stores, info


def sizes(stores: Path) -> dict[str, int]:
    """Bytes of every store file and of the sidecar."""
    names = [s.filename for s in schema.STORES] + [schema.COLUMNS_FILE]
    return {n: (stores / n).stat().st_size for n in names if (stores / n).exists()}


# ---------------------------------------------------------------------------------------
# Queries and pages
# ---------------------------------------------------------------------------------------


def scale_cases(data: Path) -> dict[str, dict[str, Any]]:
    """The cases of ``bench_query.py`` plus a whole-store M-M/Q and a whole-store timeline."""
    out = bq.cases(data)
    first, last, nrows = bq.store_span(data)
    whole = TimeRange(first, last)
    out["5c"] = {"label": "whole store M-M/Q, default filters", "kind": "mmq",
                 "sel": Selection(times=(whole,)), "rows": nrows}  # fmt: skip
    out["5d"] = {"label": "whole store timeline FSR DCR TCR SSD (+Kp, Dst)", "kind": "timeline",
                 "sel": Selection(times=(whole,)),
                 "view": {"panels": ("FSR", "DCR", "TCR", "SSD")},
                 "baseline": bq.baseline_timeline}  # fmt: skip
    return out


def page_times(data: Path, repeat: int) -> dict[str, Any]:
    """Median seconds to build and encode the coverage and atlas pages, and /api/coverage."""
    import plotly

    from awa.app import build_app
    from awa.pages import atlas, coverage
    from awa.settings import Settings

    settings = Settings(data_dir=data, cache_type="null")
    app = build_app(settings)
    client = app.server.test_client()
    first, _, _ = bq.store_span(data)
    month = f"?month={first:%Y-%m}"

    def encode(component: Any) -> int:
        return len(json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))

    def api() -> int:
        r = client.get("/api/coverage")
        assert r.status_code == 200, r.status_code
        return len(r.data)

    jobs = {
        "coverage": lambda: encode(coverage.layout(settings)),
        "atlas": lambda: encode(atlas.layout(settings, month)),
        "api_coverage": api,
    }
    out: dict[str, Any] = {}
    with app.server.app_context():
        for name, fn in jobs.items():
            fn()
            times, size = bq._timed(fn, repeat)
            out[name] = {"median_s": statistics.median(times), "bytes": size}
    return out


def query_all(data: Path, repeat: int, only: list[str] | None, baseline: bool) -> list[dict]:
    """Every case in its own forked process, its baseline in another (same run)."""
    results = []
    for name, spec in scale_cases(data).items():
        if only and name not in only:
            continue
        rep = repeat if not name.startswith("5") else max(repeat // 2, 2)
        r = bq.in_child(bq.run_case, name, data, spec, rep)
        r.setdefault("case", name)
        r.setdefault("label", spec["label"])
        if baseline and "error" not in r and spec.get("baseline"):
            r.update(bq.in_child(bq.run_baseline, name, data, spec,
                                 1 if name.startswith("5") else 3))  # fmt: skip
        print(json.dumps({k: v for k, v in r.items() if k != "caption"}), flush=True)
        results.append(r)
    return results


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def fit(events: list[float], seconds: list[float], mission: float) -> str:
    """``a + b * events`` by least squares and its value at ``mission`` events."""
    if len(events) < 2:
        return "one size: no fit"
    b, a = np.polyfit(np.asarray(events), np.asarray(seconds), 1)
    if b <= 0:
        return (
            f"t = {a:.3g} s + {b * 1e6:.3g} s per M events: cost did not grow with size "
            f"(load changed between runs, or cost follows the selection); no projection"
        )
    return (f"t = {a:.3g} s + {b * 1e6:.3g} s per M events -> {a + b * mission:.1f} s at "
            f"{mission:.0e} events")  # fmt: skip


def report(runs: list[dict[str, Any]], mission: float) -> str:
    """The markdown tables of all sizes, then the fits."""
    lines = ["| days | PHA events | build s | build peak RSS MB (tree / largest) | atlas s "
             "| PHA store B/event | sidecar B/event | all stores GB | coverage page ms "
             "| atlas page ms | /api/coverage ms |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for run in runs:
        ev = run["events"]
        b, a = run["build"]["build"], run["build"]["atlas"]
        s, p = run["sizes"], run["pages"]
        pha = s.get(schema.PHA_STORE.filename, 0) / ev
        side = s.get(schema.COLUMNS_FILE, 0) / ev
        lines.append(
            f"| {run['days']} | {ev:,} | {b['wall_s']:.0f} | "
            f"{b['tree_rss_mb']:.0f} / {b['proc_rss_mb']:.0f} | {a['wall_s']:.0f} | "
            f"{pha:.2f} | {side:.2f} | {sum(s.values()) / 1e9:.2f} | "
            f"{p['coverage']['median_s'] * 1e3:.0f} | {p['atlas']['median_s'] * 1e3:.0f} | "
            f"{p['api_coverage']['median_s'] * 1e3:.0f} |"
        )
    for run in runs:
        lines += ["", f"{run['days']} days ({run['events']:,} PHA events):", "",
                  bq.format_table(run["queries"])]  # fmt: skip
    lines += ["", f"Linear fits against PHA events, projected to {mission:.0e} events:", ""]
    evs = [float(r["events"]) for r in runs]
    lines.append(f"- build: {fit(evs, [r['build']['build']['wall_s'] for r in runs], mission)}")
    names = sorted({q["case"] for r in runs for q in r["queries"] if "median_s" in q})
    for name in names:
        pts = [(float(r["events"]), q["median_s"], q["label"]) for r in runs
               for q in r["queries"] if q["case"] == name and "median_s" in q]  # fmt: skip
        if len(pts) == len(runs):
            lines.append(f"- case {name} ({pts[0][2]}): "
                         f"{fit([p[0] for p in pts], [p[1] for p in pts], mission)}")  # fmt: skip
        if name.startswith("5") and pts:
            ev, t, _ = pts[-1]
            lines.append(
                f"  - at the {ev / 1e6:.1f}M-event store's rate ({ev / t / 1e6:.2f}M "
                f"events/s): {mission / (ev / t):.0f} s at {mission:.0e} events"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=int, nargs="*", default=[30, 90], help="sizes (none: report --with-runs)"
    )
    parser.add_argument("--fits", type=Path, default=OUT / "fits", help="shared daily files")
    parser.add_argument("--workers", type=int, default=2, help="simulate/build processes")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case")
    parser.add_argument("--cases", nargs="*", help="only these query cases (e.g. 1 2 5c)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="rebuild existing stores")
    parser.add_argument(
        "--build-only", action="store_true", help="simulate and build; no queries or pages"
    )
    parser.add_argument("--mission-events", type=float, default=1e9)
    parser.add_argument(
        "--with-runs",
        type=Path,
        nargs="*",
        default=[],
        help="earlier --json outputs to fit together with this run",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    os.environ.setdefault("AWA_CACHE_TYPE", "null")
    runs: list[dict[str, Any]] = []
    for path in args.with_runs:
        runs += json.loads(path.read_text())
    for n in sorted(args.days):
        paths = day_files(args.fits, n, args.workers)
        stores, info = build(n, paths, args.workers, args.rebuild)
        events = bq.store_span(stores)[2]
        print(f"{n} days: {events:,} events, build {info}", flush=True)
        if args.build_only:
            continue
        pages = bq.in_child(page_times, stores, args.repeat)
        print(json.dumps({"pages": pages}), flush=True)
        run = {"days": n, "events": events, "build": info, "sizes": sizes(stores),
               "pages": pages,
               "queries": query_all(stores, args.repeat, args.cases,
                                   not args.no_baseline)}  # fmt: skip
        runs.append(run)
        if args.json:
            args.json.write_text(json.dumps(runs, indent=1, default=str))
    runs.sort(key=lambda r: r["events"])
    print()
    print(report(runs, args.mission_events))


if __name__ == "__main__":
    main()
