"""Build benchmark: simulate N days, build the stores, report throughput and sizes.

Run by hand (never in the test suite):

    .venv/bin/python bench/bench_build.py --days 10 30 --workers 2

Prints one row per N: simulation and build wall times, spins and events built, build
throughput (spins/s and events/s) and each store's size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import time
from pathlib import Path

from awa.chem import schema
from data_build import indices, stores
from data_build.simulate import simulate_days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start", default="1986-02-01")
    parser.add_argument("--out", type=Path, default=Path("bench/out/build"))
    parser.add_argument("--keep", action="store_true", help="keep the files and stores")
    args = parser.parse_args()

    start = dt.date.fromisoformat(args.start)
    kp = indices.read_kp(None)
    rows = []
    for n in args.days:
        base = args.out / f"{n}d"
        shutil.rmtree(base, ignore_errors=True)
        fits_dir = base / "fits"
        fits_dir.mkdir(parents=True)
        t0 = time.perf_counter()
        simulate_days(start, n, fits_dir, seed=1, workers=args.workers)
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = stores.build_stores(
            stores.find_fits(fits_dir), base / "stores", kp=kp, workers=args.workers
        )
        t_build = time.perf_counter() - t0
        fits_mb = sum(p.stat().st_size for p in fits_dir.iterdir()) / 1e6
        rows.append((n, t_sim, t_build, result, fits_mb))
        if not args.keep:
            shutil.rmtree(fits_dir, ignore_errors=True)

    print()
    print(
        f"{'days':>4} {'sim s':>7} {'build s':>8} {'total s':>8} {'spins':>10} {'events':>12} "
        f"{'spins/s':>9} {'events/s':>10} {'FITS MB':>8}  store sizes (MB)"
    )
    for n, t_sim, t_build, result, fits_mb in rows:
        spins = result.rows[schema.RATES_STORE.key]
        events = result.rows[schema.PHA_STORE.key] + result.rows[schema.CAL_PHA_STORE.key]
        sizes = ", ".join(f"{k} {v / 1e6:.1f}" for k, v in result.sizes.items())
        print(
            f"{n:>4} {t_sim:>7.1f} {t_build:>8.1f} {t_sim + t_build:>8.1f} {spins:>10,} "
            f"{events:>12,} {spins / t_build:>9,.0f} {events / t_build:>10,.0f} {fits_mb:>8.1f}"
            f"  {sizes}"
        )


if __name__ == "__main__":
    main()
