"""Memory of a background job over many short ranges: pieces summed as they arrive vs kept.

Each mode runs in its own fresh process: the E-T and M-M/Q histograms of N short time ranges
(default 10,000 ranges of 4 s, spread over the store's days), drawn piece by piece as a
background job draws them (result cache off).  Reported: RSS before the job (after imports
and the store opened), RSS after, peak RSS, seconds.

- ``running``: :func:`awa.query.by_pieces` (the sum grows in place);
- ``kept``: the same pieces kept in a list and summed at the end (the former way), the
  baseline measured in the same run.

Run by hand (the machine is shared and noisy: compare modes of one run, not runs)::

    .venv/bin/python bench/bench_jobs_rss.py --data bench/out/b30/stores --ranges 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 1e6


def _ranges(data: str, n: int, seconds: float) -> Any:
    from awa import query
    from awa.model import TimeRange

    span = query.summarize(data).spans["AMPTE_CHEM_nocal_pha.h5"]
    assert span is not None
    start, end = span
    step = (end - start) / n
    return tuple(TimeRange(start + i * step, start + i * step + timedelta(seconds=seconds))
                 for i in range(n))  # fmt: skip


def run_one(data: str, n: int, seconds: float, mode: str) -> dict[str, float]:
    """One mode in this process; returns RSS (MB) before, after, peak and the seconds."""
    from dataclasses import replace

    from awa import query
    from awa.model import Selection

    key = query.store_key(data)
    sel = Selection(times=_ranges(data, n, seconds))
    query.count_rows(data, sel.times[:1])  # open the stores
    before = _rss_mb()
    t0 = time.perf_counter()
    et_args: dict[str, Any] = dict(bin_width=8.0, x_range=(0.0, 1023.0), y_range=(0.0, 1023.0))
    mmq_args: dict[str, Any] = dict(bin_x=0.02, bin_y=0.02, x_range=(0.5, 60.0),
                                    y_range=(0.5, 60.0))  # fmt: skip
    if mode == "running":
        query.et_histogram(key, sel, **et_args, progress=lambda s: None)
        query.mmq_histogram(key, sel, **mmq_args, progress=lambda s: None)
    else:
        for fn, args in ((query.et_histogram, et_args), (query.mmq_histogram, mmq_args)):
            parts = [fn(key, replace(sel, times=(p,)), **args) for p in query.day_pieces(sel.times)]
            query.sum_histograms(parts)
            del parts
    seconds_taken = time.perf_counter() - t0
    after = _rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return {"before": before, "after": after, "peak": peak, "seconds": seconds_taken}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="store folder")
    ap.add_argument("--ranges", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each range, s")
    ap.add_argument("--one", choices=["running", "kept"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.data, args.ranges, args.seconds, args.one)))
        return
    print(f"{args.ranges:,} ranges of {args.seconds:g} s, E-T then M-M/Q, each mode in a fresh "
          f"process")  # fmt: skip
    print("| mode | RSS before MB | RSS after MB | peak RSS MB | seconds |")
    print("|---|---:|---:|---:|---:|")
    for mode in ("kept", "running"):
        out = subprocess.run(
            [sys.executable, __file__, "--data", args.data, "--ranges", str(args.ranges),
             "--seconds", str(args.seconds), "--one", mode],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {mode} | {r['before']:.0f} | {r['after']:.0f} | {r['peak']:.0f} | "
              f"{r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
