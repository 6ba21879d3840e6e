"""Load test: concurrent users asking for different one-day E-T views from gunicorn.

Run by hand (never in the test suite):

    .venv/bin/python bench/load.py --data bench/out/b30/stores --users 8 --requests 6

Starts ``gunicorn --workers 4`` on 127.0.0.1 (a free port) with the result cache off
(``AWA_CACHE_TYPE=null``, so every request computes), finds the E-T callback in
``/_dash-dependencies`` and has each user thread post that callback for a sequence of
different days, exactly as a browser does when the URL changes.  Prints the latency
percentiles, the errors and the peak RSS of the workers; stops gunicorn at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, body: dict[str, Any], timeout: float = 60) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def et_callback(base: str) -> dict[str, Any]:
    """The dependency entry of the callback whose outputs include the E-T figure."""
    with urllib.request.urlopen(base + "/_dash-dependencies", timeout=60) as resp:
        deps = json.loads(resp.read())
    for dep in deps:
        if "et-graph.figure" in dep["output"] and not dep["output"].endswith("@"):
            return dict(dep)
    raise SystemExit("no callback with output et-graph.figure in /_dash-dependencies")


def outputs_of(dep: dict[str, Any]) -> list[dict[str, str]]:
    text = dep["output"]
    parts = text.strip(".").split("...") if text.startswith("..") else [text]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append({"id": cid, "property": prop.split("@")[0]})
    return out


def worker_rss_mb(master_pid: int) -> dict[int, float]:
    """Peak RSS (VmHWM) of each gunicorn worker, MB."""
    out = {}
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[pid] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "b30" / "stores")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--requests", type=int, default=6, help="requests per user")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--first-day", default="1986-032", help="YYYY-DDD of day 0")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cache", default="null", help="AWA_CACHE_TYPE of the server")
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "AWA_DATA_DIR": str(args.data.resolve()), "AWA_CACHE_TYPE": args.cache}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", "--access-logfile", "/dev/null",
         "app:server"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        dep = et_callback(base)
        inputs = dep["inputs"]
        year, doy = (int(x) for x in args.first_day.split("-"))
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def body(day: int) -> dict[str, Any]:
            d0, d1 = doy + day, doy + day + 1
            search = f"?t={year}-{d0:03d}-0000:{year}-{d1:03d}-0000"
            vals = [
                {"id": i["id"], "property": i["property"],
                 "value": search if i["property"] == "search" else None}
                for i in inputs
            ]  # fmt: skip
            return {
                "output": dep["output"],
                "outputs": outputs_of(dep),
                "inputs": vals,
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
                "state": [],
            }

        # One warm-up request per worker-ish (imports, handles), not measured.
        for d in range(args.workers):
            post(base + "/_dash-update-component", body(d))

        def user(u: int) -> None:
            for k in range(args.requests):
                day = (u * args.requests + k) % args.days
                t0 = time.perf_counter()
                status, data = post(base + "/_dash-update-component", body(day))
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    ok = status == 200 and b"et-graph" in data and b"Selection too" not in data
                    if not ok:
                        errors.append(f"user {u} day {day}: HTTP {status} {data[:120]!r}")

        t0 = time.perf_counter()
        threads = [threading.Thread(target=user, args=(u,)) for u in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        lat = sorted(latencies)
        p = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
        rss = worker_rss_mb(proc.pid)
        print(
            f"{args.users} users x {args.requests} one-day E-T requests, {args.workers} workers, "
            f"cache {args.cache}: {len(lat)} requests in {wall:.1f} s; latency median "
            f"{statistics.median(lat) * 1e3:.0f} ms, p95 {p[94] * 1e3:.0f} ms, max "
            f"{lat[-1] * 1e3:.0f} ms; errors {len(errors)}; worker peak RSS "
            f"{max(rss.values(), default=0):.0f} MB"
        )
        for e in errors[:5]:
            print("  " + e)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
