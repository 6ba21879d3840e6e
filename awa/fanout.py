"""Long histograms fanned out over every Celery worker in time chunks, summed exactly.

A long E-T or M-M/Q request (a year, the whole mission) is cut into time chunks (whole UTC
days, at most ``max_chunks`` of them); each chunk is one task of a Celery group run by any
worker of the app's Celery app (``AWA_REDIS_URL``); the caller sums the chunk histograms
(integer counts add exactly; weighted sums to rounding).

- Progress: ``progress(step)`` after each finished chunk says the whole ranges, UTC day
  pieces and events of the chunks done so far (:class:`awa.query.pieces.Step`).
- Cancel: when the caller stops (an exception, or its background job is revoked) the
  group's tasks are revoked; a chunk task whose parent job is revoked returns at once.
- No deadlock: each chunk is claimed once (Redis ``SET NX``) by whoever starts it first,
  and a caller that is itself a worker task claims and draws chunks too, so a request
  finishes even when no other worker is free.  A chunk a worker could not draw (its store
  differs from the caller's, or it failed) is drawn by the caller.
- Every worker reads its own ``AWA_DATA_DIR``: a read-only copy or mount of the same stores
  (checked by file names and sizes).

:func:`histogram` is the hook the views call: outside a worker task (or for a selection
within one day) it is the plain day-by-day query.  No Dash import here.
"""

from __future__ import annotations

import base64
import logging
import math
import os
import socket
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from awa import background, query
from awa.model import Selection, TimeRange
from awa.model.selection import SweepLimit
from awa.query import Hist2D, Progress, StoreKey
from awa.query.pieces import Step
from awa.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

__all__ = [
    "TASK_NAME",
    "FanOutError",
    "Plan",
    "decode_hist",
    "decode_selection",
    "draw_chunk",
    "encode_hist",
    "encode_selection",
    "fan_out",
    "histogram",
    "plan_chunks",
    "register",
]

log = logging.getLogger(__name__)

#: Name of the chunk task in the app's Celery app.
TASK_NAME = "awa.fanout.histogram_chunk"
#: The histogram queries a chunk may run, by name.
KINDS: dict[str, Callable[..., Hist2D]] = {
    "et": query.et_histogram,
    "mmq": query.mmq_histogram,
}
_CLAIM = "awa:fanout:claim:"
_DAY = 86400.0
#: How long a chunk claim lives in Redis, s.
_CLAIM_SECONDS = 3600


class FanOutError(RuntimeError):
    """A fanned-out histogram could not be drawn (the message says which chunk and why)."""


# ---------------------------------------------------------------------------------------
# Chunks
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Time chunks of a selection: ``chunks[i]`` is drawn by one task; ``days[i]`` its UTC days."""

    chunks: tuple[TimeRange, ...]
    days: tuple[int, ...]


def plan_chunks(
    times: tuple[TimeRange, ...], *, chunk_seconds: float | None = None, max_chunks: int = 64
) -> Plan:
    """Cut time ranges into chunks aligned on multiples of ``chunk_seconds`` since 1970.

    Parameters
    ----------
    times : tuple of TimeRange
        The selection's ranges (half-open, sorted, disjoint).
    chunk_seconds : float, optional
        Chunk length, s.  Default: the smallest whole number of days giving at most
        ``max_chunks`` chunks.
    max_chunks : int
        Upper bound of the default chunk count.

    Returns
    -------
    Plan
        The chunks (half-open, covering exactly the instants of ``times``, in time order)
        and the number of UTC day pieces of each.

    Raises
    ------
    ValueError
        When ``chunk_seconds`` is not positive.
    """
    if chunk_seconds is None:
        span = sum(r.seconds for r in times) / _DAY
        chunk_seconds = _DAY * max(1, math.ceil(span / max(max_chunks, 1)))
    if not chunk_seconds > 0:
        raise ValueError(f"chunk length must be > 0 s, not {chunk_seconds}")
    epoch = datetime(1970, 1, 1)
    step = timedelta(seconds=chunk_seconds)
    chunks: list[TimeRange] = []
    for r in times:
        start = r.start
        while start < r.end:
            k = math.floor((start - epoch) / step) + 1
            end = min(epoch + k * step, r.end)
            chunks.append(TimeRange(start, end))
            start = end
    days = tuple(len(query.day_pieces((c,))) for c in chunks)
    return Plan(tuple(chunks), days)


# ---------------------------------------------------------------------------------------
# JSON payloads (no pickle on the broker)
# ---------------------------------------------------------------------------------------


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def encode_selection(sel: Selection) -> dict[str, Any]:
    """``sel`` as JSON-ready values (times as ISO text, tuples as lists)."""
    out: dict[str, Any] = {}
    for f in fields(sel):
        v = getattr(sel, f.name)
        if f.name == "times":
            v = [[r.start.isoformat(), r.end.isoformat()] for r in v]
        elif isinstance(v, SweepLimit):
            v = {"rate": v.rate, "limit": v.limit, "step": v.step}
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def decode_selection(data: dict[str, Any]) -> Selection:
    """The :class:`Selection` of :func:`encode_selection` (equal to the original)."""
    kw: dict[str, Any] = {}
    for f in fields(Selection):
        if f.name not in data:
            continue
        v = data[f.name]
        if f.name == "times":
            v = tuple(TimeRange(datetime.fromisoformat(a), datetime.fromisoformat(b))
                      for a, b in v)  # fmt: skip
        elif f.name == "sweep" and v is not None:
            v = SweepLimit(str(v["rate"]), float(v["limit"]), int(v["step"]))
        else:
            v = _tuples(v)
        kw[f.name] = v
    return Selection(**kw)


def encode_hist(h: Hist2D) -> dict[str, Any]:
    """``h`` as JSON-ready values: counts zlib-compressed (int64 unless weighted)."""
    dtype = "<f8" if h.weighted else "<i8"
    raw = np.ascontiguousarray(h.counts, dtype=dtype).tobytes()
    return {
        "counts": base64.b64encode(zlib.compress(raw, 1)).decode(),
        "dtype": dtype,
        "shape": list(h.counts.shape),
        "x_edges": h.x_edges.tolist(),
        "y_edges": h.y_edges.tolist(),
        "n_selected": int(h.n_selected),
        "n_shown": int(h.n_shown),
        "weighted": bool(h.weighted),
    }


def decode_hist(data: dict[str, Any]) -> Hist2D:
    """The :class:`Hist2D` of :func:`encode_hist` (counts as float64, like the queries')."""
    raw = zlib.decompress(base64.b64decode(data["counts"]))
    counts = np.frombuffer(raw, dtype=data["dtype"]).reshape(data["shape"])
    return Hist2D(
        counts.astype(np.float64),
        np.asarray(data["x_edges"], dtype=np.float64),
        np.asarray(data["y_edges"], dtype=np.float64),
        int(data["n_selected"]),
        int(data["n_shown"]),
        weighted=bool(data["weighted"]),
    )


def _sizes(key: StoreKey) -> list[list[Any]]:
    return [[name, size] for name, size, _ in key.stamp]


def _payload(
    kind: str,
    key: StoreKey,
    sel: Selection,
    call: tuple[tuple[Any, ...], dict[str, Any]],
    index: int,
    job: str,
    parent: str | None,
) -> dict[str, Any]:
    args, kwargs = call
    return {"kind": kind, "sel": encode_selection(sel), "args": list(args), "kwargs": kwargs,
            "stores": _sizes(key), "index": index, "job": job, "parent": parent}  # fmt: skip


def draw_chunk(payload: dict[str, Any], data_dir: str) -> dict[str, Any]:
    """Draw one chunk on the stores in ``data_dir``; the encoded histogram and who drew it.

    Raises
    ------
    FanOutError
        When the kind is unknown or the stores in ``data_dir`` differ (names or sizes)
        from the caller's.
    """
    kind = payload["kind"]
    if kind not in KINDS:
        raise FanOutError(f"unknown histogram kind {kind!r}; known: {', '.join(KINDS)}")
    key = query.store_key(data_dir)
    if _sizes(key) != payload["stores"]:
        raise FanOutError(
            f"host {socket.gethostname()}: the stores in {data_dir} differ from the "
            f"caller's (file names or sizes); give every worker the same store folder"
        )
    sel = decode_selection(payload["sel"])
    kwargs = {k: _tuples(v) for k, v in payload["kwargs"].items()}
    args = tuple(_tuples(a) for a in payload["args"])
    hist = KINDS[kind](key, sel, *args, **kwargs)
    out = encode_hist(hist)
    out.update(index=payload["index"], host=socket.gethostname(), pid=os.getpid())
    return out


# ---------------------------------------------------------------------------------------
# Celery
# ---------------------------------------------------------------------------------------


def _redis(app: Celery) -> Any:
    import redis

    return redis.Redis.from_url(str(app.conf.broker_url))


def _claim(client: Any, job: str, index: int, who: str) -> bool:
    return bool(client.set(f"{_CLAIM}{job}:{index}", who, nx=True, ex=_CLAIM_SECONDS))


def register(app: Celery, settings: Settings) -> None:
    """Register the chunk task on ``app`` (a worker's Celery app, stores in ``settings``)."""

    @app.task(name=TASK_NAME, bind=True)  # type: ignore[misc]
    def histogram_chunk(task: Any, payload: dict[str, Any]) -> dict[str, Any]:
        host = task.request.hostname or socket.gethostname()
        parent = payload.get("parent")
        if parent and app.AsyncResult(parent).state == "REVOKED":
            return {"skipped": "cancelled", "index": payload["index"], "host": host}
        if not _claim(_redis(app), payload["job"], payload["index"], host):
            return {"skipped": "claimed", "index": payload["index"], "host": host}
        out = draw_chunk(payload, str(settings.data_dir))
        out["host"] = host
        return out


def _step(times: tuple[TimeRange, ...], plan: Plan, parts: dict[int, Hist2D]) -> Step:
    """What the finished chunks ``parts`` cover: whole ranges, UTC day pieces, events."""
    ranges_done = sum(
        all(i in parts for i, c in enumerate(plan.chunks) if r.start <= c.start < r.end)
        for r in times
    )
    return Step(
        ranges_done=ranges_done,
        ranges_total=len(times),
        pieces_done=sum(plan.days[i] for i in parts),
        pieces_total=sum(plan.days),
        events=sum(int(h.n_selected) for h in parts.values()),
    )


def fan_out(
    app: Celery,
    kind: str,
    key: StoreKey,
    sel: Selection,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    plan: Plan | None = None,
    progress: Progress | None = None,
    local: bool = True,
    poll: float = 0.05,
    stall_seconds: float = 600.0,
    parent: str | None = None,
    chunk_log: list[dict[str, Any]] | None = None,
) -> Hist2D:
    """Draw histogram ``kind`` of ``sel`` as a Celery group of time chunks; sum them.

    Parameters
    ----------
    app : celery.Celery
        The app whose workers run :data:`TASK_NAME` (see :func:`register`).
    kind : {"et", "mmq"}
        :func:`awa.query.et_histogram` or :func:`awa.query.mmq_histogram`.
    key, sel, args, kwargs
        What that query takes after ``key`` and ``sel`` (JSON values: numbers, tuples).
    plan : Plan, optional
        The chunks (default :func:`plan_chunks` of ``sel.times``).
    progress : callable, optional
        ``progress(step)`` (:class:`awa.query.pieces.Step`) after each finished chunk:
        whole ranges, UTC day pieces and events of the chunks done so far.
    local : bool
        The caller also claims and draws chunks (set inside a worker task, so that the
        request finishes when no other worker is free).
    poll : float
        Seconds between looks at the group's results.
    stall_seconds : float
        When no chunk finished for this long, the caller draws the missing ones itself
        (``local``) or gives up.
    parent : str, optional
        Id of the background job this request runs in: its chunks are skipped once it
        is revoked.
    chunk_log : list, optional
        Receives ``{"index", "host", "pid"}`` of every chunk drawn.

    Returns
    -------
    Hist2D
        The sum of the chunk histograms: equal to the one-process histogram.

    Raises
    ------
    FanOutError
        When a chunk failed or stalled and the caller does not draw chunks.
    """
    from celery import group

    kwargs = dict(kwargs or {})
    plan = plan or plan_chunks(sel.times)
    n = len(plan.chunks)
    job = f"{os.getpid()}-{time.time_ns()}"
    me = f"caller@{socket.gethostname()}"
    payloads = [_payload(kind, key, replace(sel, times=(c,)), (args, kwargs), i, job, parent)
                for i, c in enumerate(plan.chunks)]  # fmt: skip
    sig = app.signature(TASK_NAME)
    result = group(sig.clone(args=(p,)) for p in payloads).apply_async()
    client = _redis(app)
    parts: dict[int, Hist2D] = {}
    pending = set(range(n))
    reported = -1
    last_change = time.monotonic()
    done_ok = False

    def draw_here(i: int) -> None:
        out = draw_chunk(payloads[i], key.data_dir)
        parts[i] = decode_hist(out)
        if chunk_log is not None:
            chunk_log.append({"index": i, "host": me, "pid": os.getpid()})

    try:
        while pending:
            for i in sorted(pending):
                r = result.results[i]
                if not r.ready():
                    continue
                if r.successful():
                    out = r.get(disable_sync_subtasks=False)
                    if "skipped" not in out:
                        parts[i] = decode_hist(out)
                        if chunk_log is not None:
                            chunk_log.append({k: out[k] for k in ("index", "host", "pid")})
                        pending.discard(i)
                    elif out["skipped"] == "cancelled":
                        raise FanOutError("the request was cancelled")
                else:
                    msg = f"chunk {i + 1} of {n} failed on a worker: {r.result!r}"
                    if not local:
                        raise FanOutError(msg)
                    log.warning("%s; drawing it here", msg)
                    draw_here(i)
                    pending.discard(i)
            drawn_here = False
            if local:
                for i in sorted(pending, reverse=True):
                    if _claim(client, job, i, me):
                        draw_here(i)
                        pending.discard(i)
                        drawn_here = True
                        break
            done = sum(plan.days[i] for i in parts)
            if done != reported:
                reported, last_change = done, time.monotonic()
                if progress is not None:
                    progress(_step(sel.times, plan, parts))
            if pending and not drawn_here:
                if time.monotonic() - last_change > stall_seconds:
                    if not local:
                        raise FanOutError(
                            f"{len(pending)} of {n} chunks stalled for {stall_seconds:.0f} s "
                            "(no worker running?)"
                        )
                    for i in sorted(pending):
                        draw_here(i)
                    pending.clear()
                else:
                    time.sleep(poll)
        done_ok = True
    finally:
        # Chunks still queued (drawn here, or the request stopped) are revoked; the claims
        # expire on their own, so a worker that missed the revoke still skips its chunk.
        unfinished = [r for r in result.results if not r.ready()]
        if unfinished or not done_ok:
            app.control.revoke([r.id for r in unfinished or result.results])
        client.close()
    return query.sum_histograms([parts[i] for i in range(n)])


# ---------------------------------------------------------------------------------------
# The views' hook
# ---------------------------------------------------------------------------------------


def _current_task() -> Any:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return None
    if not current_task:  # a proxy: false outside a task
        return None
    task = current_task._get_current_object()
    if getattr(task.request, "called_directly", True):
        return None
    if TASK_NAME not in task.app.tasks:
        return None
    return task


def histogram(
    fn: Callable[..., Hist2D], label: str, key: StoreKey, sel: Selection, *args: Any,
    **kwargs: Any,
) -> Hist2D:  # fmt: skip
    """``fn(key, sel, *args, **kwargs)`` with progress, fanned out when it is worth it.

    Inside a Celery worker task (a background callback of a Celery-run app) a selection
    over more than one UTC day is drawn by :func:`fan_out` with the row limit checked once
    on the whole selection; otherwise this is ``fn(..., progress=day_progress(label))``.
    """
    progress = background.day_progress(label)
    kind = next((k for k, f in KINDS.items() if f is fn), None)
    task = _current_task()
    if task is None or kind is None or len(query.day_pieces(sel.times)) <= 1:
        return fn(key, sel, *args, progress=progress, **kwargs)
    max_rows = kwargs.get("max_rows", args[3] if kind == "et" and len(args) > 3 else None)
    if kind == "mmq" and len(args) > 5:
        max_rows = args[5]
    if max_rows is not None:
        query.check_row_limit(query.count_rows(key.data_dir, sel.times), max_rows, "events",
                              scans="one view scans")  # fmt: skip
    return fan_out(task.app, kind, key, sel, args, kwargs, progress=progress, local=True,
                   parent=task.request.id)  # fmt: skip
