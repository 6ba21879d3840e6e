"""Do long streamed downloads block other requests?  ``/healthz`` latency while N slow
clients download multi-day events CSVs, for sync workers (before) and gthread workers (after).

Run by hand (never in the test suite):

    .venv/bin/python bench/load_stream.py --data bench/out/b15/stores

For each worker class, starts the image's gunicorn command (``--workers 2``; gthread with
``AWA_THREADS`` threads) on 127.0.0.1, starts ``--downloads`` clients that each read a
``--days``-day events CSV slowly (64 KiB every 50 ms, as over a slow link; the app
streams 200,000 rows a chunk), waits 2 s,
then asks ``/healthz`` every 0.5 s for ``--seconds`` s and reports the median and the
largest latency and how many probes got no answer within ``--timeout`` s.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def slow_reader(url: str, stop: threading.Event, got: list[int]) -> None:
    try:
        with urllib.request.urlopen(url, timeout=300) as resp:
            while not stop.is_set():
                chunk = resp.read(65536)
                if not chunk:
                    break
                got.append(len(chunk))
                time.sleep(0.05)
    except OSError:
        pass


def run(kind: str, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWA_")}
    env.update(
        AWA_DATA_DIR=str(args.data.resolve()),
        AWA_CACHE_TYPE="null",
        AWA_WORKERS="2",
        AWA_THREADS=str(args.threads),
        AWA_MAX_ROWS=str(10**9),
        AWA_CHUNK_ROWS="200000",
    )
    # gunicorn runs gthread whenever threads > 1: the sync baseline needs --threads 1
    extra = "--worker-class sync --threads 1" if kind == "sync" else "--worker-class gthread"
    env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port} {extra}"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py",
         "app:server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        t = f"1986-032-0000:1986-{32 + args.days:03d}-0000"
        got: list[int] = []
        readers = [
            threading.Thread(target=slow_reader, args=(f"{base}/download/events.csv?t={t}",
                                                       stop, got), daemon=True)
            for _ in range(args.downloads)
        ]  # fmt: skip
        for r in readers:
            r.start()
        time.sleep(2)
        lat: list[float] = []
        lost = 0
        before = sum(got)
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                urllib.request.urlopen(base + "/healthz", timeout=args.timeout).read()
                lat.append(time.perf_counter() - t0)
            except OSError:
                lost += 1
            time.sleep(0.5)
        streamed = (sum(got) - before) / 1e6
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {
        "probes": len(lat) + lost,
        "median_ms": statistics.median(lat) * 1000 if lat else float("nan"),
        "max_ms": max(lat) * 1000 if lat else float("nan"),
        "no_answer": lost,
        "streamed_mb": streamed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "b15" / "stores")
    parser.add_argument("--downloads", type=int, default=4)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="probing time")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    print(f"{args.downloads} slow {args.days}-day events downloads, 2 workers; /healthz probes:")
    print("| workers | /healthz median ms | max ms | no answer in "
          f"{args.timeout:.0f} s | MB streamed meanwhile |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for kind in ("sync", "gthread"):
        r = run(kind, args)
        label = "sync (before)" if kind == "sync" else f"gthread x{args.threads} (after)"
        print(f"| {label} | {r['median_ms']:.1f} | {r['max_ms']:.1f} | "
              f"{r['no_answer']:.0f} of {r['probes']:.0f} | {r['streamed_mb']:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
