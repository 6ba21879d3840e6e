"""Load test with locust: mixed users against gunicorn (gthread workers) + Redis + Celery.

Run by hand (never in the test suite; needs the ``bench`` extra: ``pip install -e '.[bench]'``):

    .venv/bin/python bench/load_locust.py --data bench/out/b15/stores --users 20 --time 60

The runner starts, on 127.0.0.1 and free ports, ``redis-server`` (nothing on disk), one
Celery worker (``celery -A awa.worker worker``, the background jobs) and gunicorn with the
image's config (``--workers 4``, result cache in Redis), then runs locust headless with this
file as its locustfile and prints a table of p50/p95 per request kind.  Each simulated
user mixes, by weight: one-day E-T and M-M/Q views (the page's callbacks, as the browser
posts them), 30-day views (the page's callbacks over 30 days), a 30-day timeline, an
events-CSV download of one hour, a 30-day background job (E-T and M-M/Q summed day by day
in the Celery worker, polled until done) and ``/healthz``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIRST_DOY = 32  # 1986-02-01, the first day of the bench store
DAYS = 15


def _day(doy: int) -> str:
    return f"1986-{doy:03d}-0000"


def _search(t0: int, days: int) -> str:
    return f"?t={_day(t0)}:{_day(t0 + days)}"


def outputs_of(text: str) -> list[dict[str, str]] | dict[str, str]:
    """The ``outputs`` field of a callback request for dependency output ``text``."""
    multi = text.startswith("..")
    parts = text.strip(".").split("...") if multi else [text]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append({"id": cid, "property": prop.split("@")[0]})
    return out if multi else out[0]


def body_of(dep: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A callback request body for ``dep`` with input/state ``values`` by "id.prop"."""

    def items(kind: str) -> list[dict[str, Any]]:
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get(f"{i['id']}.{i['property']}")} for i in dep[kind]]  # fmt: skip

    first = dep["inputs"][0]
    return {
        "output": dep["output"],
        "outputs": outputs_of(dep["output"]),
        "inputs": items("inputs"),
        "state": items("state"),
        "changedPropIds": [f"{first['id']}.{first['property']}"],
    }


try:
    from locust import HttpUser, between, task
except ImportError:  # the runner below needs only the standard library
    HttpUser = object  # type: ignore[assignment,misc]

    def task(weight: int) -> Any:  # type: ignore[no-redef]
        return lambda f: f

    def between(a: float, b: float) -> Any:  # type: ignore[no-redef]
        return None


_DEPS: list[dict[str, Any]] = []


def _dep(deps: list[dict[str, Any]], has: str, background: bool = False) -> dict[str, Any]:
    for d in deps:
        if has in d["output"] and bool(d.get("background")) == background:
            return d
    raise LookupError(f"no callback with output {has}")


class LabUser(HttpUser):  # type: ignore[misc,valid-type]
    """One member of the group using the shared server."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        if not _DEPS:
            _DEPS.extend(self.client.get("/_dash-dependencies", name="setup").json())
        self.et = _dep(_DEPS, "et-graph.figure")
        self.mmq = _dep(_DEPS, "mmq-graph.figure")
        self.tl = next(d for d in _DEPS if d["output"].startswith("..tl-graph.figure...")
                       and d["inputs"][0]["property"] == "search")  # fmt: skip
        self.long_data = _dep(_DEPS, "long-job.data")
        self.long_et = _dep(_DEPS, "et-graph.figure@", background=True)

    def _callback(self, dep: dict[str, Any], search: str, name: str, must: str) -> None:
        body = body_of(dep, {"url.search": search})
        with self.client.post("/_dash-update-component", json=body, name=name,
                              catch_response=True) as r:  # fmt: skip
            if r.status_code != 200 or must not in r.text:
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")

    @task(5)
    def one_day_et(self) -> None:
        doy = FIRST_DOY + random.randrange(DAYS - 1)
        self._callback(self.et, _search(doy, 1), "1-day E-T", "et-graph")

    @task(3)
    def one_day_mmq(self) -> None:
        doy = FIRST_DOY + random.randrange(DAYS - 1)
        self._callback(self.mmq, _search(doy, 1), "1-day M-M/Q", "mmq-graph")

    @task(2)
    def thirty_day_view(self) -> None:
        # the page's callback hands a long selection to the background job: it answers fast
        # (no figure yet); the job itself is background_job below
        self._callback(self.et, _search(FIRST_DOY, 30), "30-day E-T (page)", '"multi":true')

    @task(2)
    def thirty_day_timeline(self) -> None:
        self._callback(self.tl, _search(FIRST_DOY, 30), "30-day timeline", "tl-graph")

    @task(1)
    def download(self) -> None:
        hour = random.randrange(24)
        t = f"1986-{FIRST_DOY + 1:03d}-{hour:02d}00:1986-{FIRST_DOY + 1:03d}-{hour:02d}59"
        with self.client.get(f"/download/events.csv?t={t}", name="events CSV, 1 h",
                             catch_response=True) as r:  # fmt: skip
            if r.status_code != 200 or not r.text.startswith("#"):
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")

    @task(1)
    def background_job(self) -> None:
        # the page's first step: the long-job store for a 30-day selection (L 3-4 to vary)
        lo = random.choice((3, 4, 5))
        search = _search(FIRST_DOY, 30) + f"&L={lo},{lo + 1}"
        r = self.client.post("/_dash-update-component", name="30-day job: start",
                             json=body_of(self.long_data, {"url.search": search}))  # fmt: skip
        if r.status_code != 200:
            return  # counted as a failure by locust
        data = r.json().get("response", {}).get("long-job", {}).get("data")
        body = body_of(self.long_et, {"long-job.data": data})
        t0 = time.perf_counter()
        first = self.client.post("/_dash-update-component", json=body, name="30-day job: submit")
        if first.status_code != 200:
            return
        handle = first.json()
        args = {"cacheKey": handle.get("cacheKey", ""), "job": handle.get("job", "")}
        query = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in args.items())
        for _ in range(300):
            time.sleep(1)
            with self.client.post(f"/_dash-update-component?{query}", json=body,
                                  name="30-day job: poll", catch_response=True) as p:  # fmt: skip
                if p.status_code not in (200, 204):
                    p.failure(f"HTTP {p.status_code}: {p.text[:200]}")
                    return
                if p.status_code == 200 and '"response"' in p.text:
                    total = (time.perf_counter() - t0) * 1000
                    self.environment.events.request.fire(
                        request_type="JOB", name="30-day job: done", response_time=total,
                        response_length=len(p.content), exception=None, context={},
                    )  # fmt: skip
                    return
        self.environment.events.request.fire(
            request_type="JOB", name="30-day job: done", response_time=300_000,
            response_length=0, exception=TimeoutError("job not done in 300 s"), context={},
        )  # fmt: skip

    @task(3)
    def healthz(self) -> None:
        with self.client.get("/healthz", name="/healthz", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")


# ---------------------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def table(stats_csv: Path) -> str:
    """Markdown table (requests, failures, p50, p95, max ms) from locust's ``_stats.csv``."""
    lines = [
        "| request | n | failures | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with stats_csv.open() as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "setup":
                continue
            lines.append(
                f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
                f"{row['50%']} | {row['95%']} | {float(row['Max Response Time']):.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "b15" / "stores")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--time", type=int, default=60, help="seconds of load")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "locust")
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("needs redis-server (Debian package redis-server)")
    args.out.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    rport, port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWA_")}
    env.update(
        AWA_DATA_DIR=str(args.data.resolve()),
        AWA_REDIS_URL=f"redis://127.0.0.1:{rport}/0",
        AWA_WORKERS=str(args.workers),
        AWA_THREADS=str(args.threads),
        GUNICORN_CMD_ARGS=f"--bind 127.0.0.1:{port}",
    )
    logs = {n: (args.out / f"{n}.log").open("w") for n in ("redis", "celery", "gunicorn")}
    procs = [
        subprocess.Popen([redis_server, "--port", str(rport), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no"], cwd=args.out,
                         stdout=logs["redis"], stderr=subprocess.STDOUT),
        subprocess.Popen([str(bindir / "celery"), "-A", "awa.worker", "worker",
                          "--loglevel=warning", "--concurrency=2"], cwd=ROOT, env=env,
                         stdout=logs["celery"], stderr=subprocess.STDOUT),
        subprocess.Popen([str(bindir / "gunicorn"), "--config", "gunicorn.conf.py", "app:server"],
                         cwd=ROOT, env=env, stdout=logs["gunicorn"], stderr=subprocess.STDOUT),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(base + "/healthz")
        print(json.dumps(json.loads(urllib.request.urlopen(base + "/healthz").read())["queue"]))
        prefix = args.out / "run"
        subprocess.run(
            [str(bindir / "locust"), "-f", __file__, "--headless", "-u", str(args.users),
             "-r", str(max(1, args.users // 5)), "-t", f"{args.time}s", "--host", base,
             "--csv", str(prefix), "--only-summary", "--stop-timeout", "60"],
            cwd=ROOT, check=False,
        )  # fmt: skip
        print()
        print(table(Path(f"{prefix}_stats.csv")))
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for fh in logs.values():
            fh.close()


if __name__ == "__main__":
    main()
