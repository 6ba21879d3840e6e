"""Species timelines benchmark: the species page's timeline path over a 30-day store.

Run by hand (never in the test suite):

    .venv/bin/python bench/bench_species.py                    # bench/out/b30/stores
    .venv/bin/python bench/bench_species.py --data DIR --runs 5

Each case calls what the page's callback calls (species query of every selected event,
ME species, figure and its JSON for the browser) with the result cache off, ``--runs``
times, and reports the median; the baseline, measured in the same run, is the app's
30-day M-M/Q histogram (the same event scan without classification).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from awa import query
from awa.chem import species
from awa.figures.species import species_timeline_figure
from awa.model import Selection, ViewOptions, parse_time_ranges
from awa.query.species import me_species, species_counts

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "bench" / "out" / "b30" / "stores"
RATIOS = (("O+", "H+"), ("He+", "He++"))


def _timeline(data: Path, times: str, cadence: str) -> Callable[[], int]:
    def run() -> int:
        key = query.store_key(data)
        sel = Selection(times=parse_time_ranges(times))
        regions = species.default_regions()
        series = species_counts(key, sel, regions, cadence)
        me = me_species(key, sel, regions, cadence)
        fig = species_timeline_figure(series, "rates", ("H+", "He++", "He+", "O+"), RATIOS,
                                      "bench", me)  # fmt: skip
        return len(fig.to_json())

    return run


def _baseline(data: Path, times: str) -> Callable[[], int]:
    def run() -> int:
        v = ViewOptions()
        h = query.mmq_histogram(query.store_key(data), Selection(times=parse_time_ranges(times)),
                                v.mmq_binx, v.mmq_biny, v.mmq_x, v.mmq_y)  # fmt: skip
        return h.n_selected

    return run


def _median_ms(fn: Callable[[], int], runs: int) -> tuple[float, int]:
    fn()  # warm: page cache, imports
    times, out = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times), out


def main() -> None:
    """Print a table of median milliseconds per case."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    summary = query.summarize(args.data)
    span = summary.spans.get("AMPTE_CHEM_nocal_pha.h5") or next(
        s for s in summary.spans.values() if s)  # fmt: skip
    first = span[0].date()
    last = span[1].date()
    whole = f"{first.isoformat()}T00:00/{last.isoformat()}T23:59:59"
    one = first.isoformat()
    cases = [
        (f"species timeline per hour, {first} to {last}", _timeline(args.data, whole, "hour")),
        (f"species timeline per cycle, {first} to {last}", _timeline(args.data, whole, "cycle")),
        (f"species timeline per cycle, {one}", _timeline(args.data, one, "cycle")),
        (f"baseline: M-M/Q histogram, {first} to {last}", _baseline(args.data, whole)),
    ]
    print(f"store {args.data}: {summary.rows}")
    print("| case | median ms | result |")
    print("|---|---:|---:|")
    for name, fn in cases:
        ms, out = _median_ms(fn, args.runs)
        print(f"| {name} | {ms:.0f} | {out:,} |", flush=True)


if __name__ == "__main__":
    main()
