"""Streaming rate of the HAPI server (``/hapi/data``) from one gunicorn worker.

Run by hand (never in the tests), on a store built with the real pipeline, e.g. the 30-day
store of ``bench/README.md``::

    .venv/bin/python bench/bench_hapi.py --data bench/out/b30/stores --runs 5

Each case streams one request from a gunicorn worker on 127.0.0.1 (1 worker, result cache
off), reading the body in 1 MiB blocks; it reports the median MB/s over the runs and the
worker's peak RSS (sampled every 20 ms).  The baseline, measured in the same run, is the
plain way to the same CSV in one process: ``pandas.read_hdf`` of the ME store, the species
sums, ``DataFrame.to_csv``.  The machine is shared: numbers are noisy, compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from awa.chem import schema, species

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss(proc: psutil.Process, stop: threading.Event, out: list[int]) -> None:
    peak = 0
    while not stop.is_set():
        try:
            for p in [proc, *proc.children(recursive=True)]:
                if p.pid != proc.pid:
                    peak = max(peak, p.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.02)
    out.append(peak)


def _fetch(url: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = 0
    with urllib.request.urlopen(url, timeout=3600) as r:
        while block := r.read(1 << 20):
            n += len(block)
    return n, time.perf_counter() - t0


def _span(data_dir: Path) -> tuple[str, str]:
    me = pd.read_hdf(data_dir / schema.ME_STORE.filename, schema.ME_STORE.key, columns=["L"])
    first, last = me.index[0], me.index[-1]
    day0 = first.floor("D")
    day1 = last.floor("D") + pd.Timedelta(days=1)
    return day0.strftime("%Y-%m-%dT%H:%M:%SZ"), day1.strftime("%Y-%m-%dT%H:%M:%SZ")


def baseline(data_dir: Path) -> tuple[int, float]:
    """pandas: read the ME store, sum the species boxes, write the CSV (one process)."""
    t0 = time.perf_counter()
    me = pd.read_hdf(data_dir / schema.ME_STORE.filename, schema.ME_STORE.key)
    sums = species.me_species_counts(me.loc[:, 0:].to_numpy())
    names = species.code_names(species.default_regions())
    frame = pd.DataFrame(sums, index=me.index, columns=names)
    text = frame.to_csv(date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    return len(text), time.perf_counter() - t0


def encode_only(data_dir: Path, runs: int) -> tuple[int, float]:
    """The CSV writer alone on the per-cycle ME species table, summed beforehand (what a
    build-time per-cycle species table would let the server stream): bytes, median CPU s."""
    from awa.hapi import datasets as hapi_datasets
    from awa.hapi.encode import csv_chunk

    me = pd.read_hdf(data_dir / schema.ME_STORE.filename, schema.ME_STORE.key)
    sums = species.me_species_counts(me.loc[:, 0:].to_numpy())
    dataset = hapi_datasets.catalog()["CHEM_ME_SPECIES_CYCLE"]
    values = {p.name: sums[:, j] for j, p in enumerate(dataset.parameters)}
    times = me.index.to_numpy("datetime64[ns]").view(np.int64)
    secs = []
    for _ in range(runs):
        t0 = time.process_time()
        n = sum(
            len(csv_chunk(times[i : i + 20000], {k: v[i : i + 20000] for k, v in values.items()},
                          dataset.parameters))
            for i in range(0, len(times), 20000)
        )  # fmt: skip
        secs.append(time.process_time() - t0)
    return n, statistics.median(secs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT / "bench/out/b30/stores")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pha-days", type=int, default=1, help="days of the PHA species case")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    data_dir = args.data.resolve()
    start, stop = _span(data_dir)
    days = (pd.Timestamp(stop) - pd.Timestamp(start)) / pd.Timedelta(days=1)
    pha_stop = (pd.Timestamp(start) + pd.Timedelta(days=args.pha_days)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    port = _free_port()
    env = dict(os.environ, AWA_DATA_DIR=str(data_dir), AWA_CACHE_TYPE="null")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--timeout", "3600", "app:server"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/hapi"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/about", timeout=5).read()
                break
            except OSError:
                time.sleep(0.2)
        proc = psutil.Process(server.pid)
        cases = [
            ("ME species per cycle, csv", "CHEM_ME_SPECIES_CYCLE", "csv", start, stop, args.runs,
             days),
            ("ME species per cycle, binary", "CHEM_ME_SPECIES_CYCLE", "binary", start, stop,
             args.runs, days),
            ("ME 512 counts per cycle, csv", "CHEM_ME_CYCLE", "csv", start, stop, args.runs, days),
            ("rates per spin, csv", "CHEM_RATES_SPIN", "csv", start, stop, args.runs, days),
            (f"PHA species per cycle, csv, {args.pha_days} d", "CHEM_PHA_SPECIES_CYCLE", "csv",
             start, pha_stop, max(1, min(args.runs, 3)), args.pha_days),
        ]  # fmt: skip
        results = []
        for what, dataset, fmt, t0, t1, runs, span_days in cases:
            url = f"{base}/data?dataset={dataset}&start={t0}&stop={t1}&format={fmt}"
            _fetch(url)  # warm: page cache and handles
            rates, sizes, peaks, secs, cpu = [], [], [], [], []
            worker = proc.children()[0]
            for _ in range(runs):
                stop_evt, peak = threading.Event(), []
                sampler = threading.Thread(target=_peak_rss, args=(proc, stop_evt, peak))
                sampler.start()
                c0 = sum(worker.cpu_times()[:2])
                n, dt = _fetch(url)
                cpu.append(sum(worker.cpu_times()[:2]) - c0)
                stop_evt.set()
                sampler.join()
                rates.append(n / dt / 1e6)
                sizes.append(n)
                secs.append(dt)
                peaks.append(peak[0] / 1e6)
            row = {
                "case": what, "MB": sizes[0] / 1e6, "median_s": statistics.median(secs),
                "median_MBps": statistics.median(rates), "peak_rss_MB": max(peaks),
                "MB_per_worker_cpu_s": sizes[0] / 1e6 / max(statistics.median(cpu), 1e-9),
                "year_s": statistics.median(secs) * 365.25 / span_days,
            }  # fmt: skip
            results.append(row)
            print(json.dumps(row), flush=True)
        base_rates = []
        for _ in range(args.runs):
            n, dt = baseline(data_dir)
            base_rates.append(n / dt / 1e6)
        row = {"case": "baseline: pandas read_hdf + species sums + to_csv (ME species)",
               "MB": n / 1e6, "median_MBps": statistics.median(base_rates)}  # fmt: skip
        results.append(row)
        print(json.dumps(row), flush=True)
        n, dt = encode_only(data_dir, args.runs)
        results.append({"case": "CSV writer alone on a summed species table (MB per CPU s)",
                        "MB": n / 1e6, "median_MBps": n / dt / 1e6})  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
        ratio = results[0]["median_MBps"] / row["median_MBps"]
        print(f"ME species CSV: HAPI / baseline = {ratio:.2f}x; store spans {days:.0f} days")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        server.terminate()
        server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
