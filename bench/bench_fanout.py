"""Fan-out benchmark: a whole-store histogram on 1, 2, ... Celery workers against one process.

Run by hand (never in the test suite; needs ``redis-server``):

    .venv/bin/python bench/bench_fanout.py --data bench/out/scale/d90/stores --workers 1 2

Starts a throw-away ``redis-server`` on 127.0.0.1 and, for each worker count, that many
``celery -A awa.worker worker`` processes (solo pool, one process each, result cache off),
then draws the whole-store M-M/Q and E-T histograms with :func:`awa.fanout.fan_out` (the
caller only dispatches and sums: ``local=False``) and, in the same run, in this one process
(:func:`awa.query.mmq_histogram`).  Prints medians, the speed-up against one process and
against one worker, and checks every fanned-out result equals the one-process one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from awa import fanout, query  # noqa: E402
from awa.background import make_celery  # noqa: E402
from awa.model import Selection, TimeRange  # noqa: E402
from awa.settings import Settings  # noqa: E402
from bench.bench_query import store_span  # noqa: E402
from tests.redisserver import start_celery_worker, start_redis  # noqa: E402

MMQ = (0.02, 0.02, (0.5, 60.0), (0.5, 60.0))
ET = (8.0,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="store folder")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-chunks", type=int, default=64)
    args = parser.parse_args()

    data = args.data.resolve()
    first, last, nrows = store_span(data)
    sel = Selection(times=(TimeRange(first, last),))
    key = query.store_key(data)
    plan = fanout.plan_chunks(sel.times, max_chunks=args.max_chunks)
    print(f"{data}: {nrows:,} PHA events, {len(plan.chunks)} chunks", flush=True)

    def one_process(kind: str) -> tuple[float, query.Hist2D]:
        fn = query.mmq_histogram if kind == "mmq" else query.et_histogram
        params = MMQ if kind == "mmq" else ET
        times, h = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            h = fn(key, sel, *params)
            times.append(time.perf_counter() - t0)
        assert h is not None
        return statistics.median(times), h

    rows: list[tuple[str, str, float, str]] = []
    ref: dict[str, query.Hist2D] = {}
    for kind in ("mmq", "et"):
        t, ref[kind] = one_process(kind)
        rows.append((kind, "one process", t, ""))
        print(rows[-1], flush=True)

    with tempfile.TemporaryDirectory(prefix="awa-fanout-bench-") as tmp:
        folder = Path(tmp)
        server = start_redis(folder / "redis")
        app = make_celery(Settings(data_dir=data, redis_url=server.url))
        env = {"AWA_REDIS_URL": server.url, "AWA_DATA_DIR": str(data), "AWA_CACHE_TYPE": "null"}
        try:
            for n in args.workers:
                workers = [start_celery_worker("awa.worker", env, folder / f"n{n}w{i}",
                                               name=f"w{i}") for i in range(n)]  # fmt: skip
                try:
                    for kind in ("mmq", "et"):
                        params: Any = MMQ if kind == "mmq" else ET
                        times, hosts = [], Counter[str]()
                        for _ in range(args.repeat):
                            log: list[dict[str, Any]] = []
                            t0 = time.perf_counter()
                            h = fanout.fan_out(app, kind, key, sel, params, plan=plan,
                                               local=False, chunk_log=log, poll=0.01)  # fmt: skip
                            times.append(time.perf_counter() - t0)
                            assert np.array_equal(h.counts, ref[kind].counts), kind
                            assert h.n_selected == ref[kind].n_selected
                            hosts.update(e["host"].split("@")[0] for e in log)
                        who = ", ".join(f"{k} {v}" for k, v in sorted(hosts.items()))
                        rows.append((kind, f"{n} worker(s)", statistics.median(times), who))
                        print(rows[-1], flush=True)
                finally:
                    for w in workers:
                        w.stop()
        finally:
            app.close()
            server.stop()

    print()
    print(f"{nrows:,} PHA events, {len(plan.chunks)} chunks; results equal to one process")
    print("| histogram | run | median s | M events/s | vs one process | vs 1 worker | chunks by |")
    print("|---|---|---:|---:|---:|---:|---|")
    for kind, run, t, who in rows:
        base = next(r[2] for r in rows if r[0] == kind and r[1] == "one process")
        w1 = next((r[2] for r in rows if r[0] == kind and r[1] == "1 worker(s)"), None)
        vs1 = f"{w1 / t:.2f}x" if w1 else ""
        print(f"| {kind} | {run} | {t:.2f} | {nrows / t / 1e6:.1f} | {base / t:.2f}x | {vs1} "
              f"| {who} |")  # fmt: skip


if __name__ == "__main__":
    main()
