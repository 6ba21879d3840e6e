"""The whole build: daily files in, every store out, replaced only when the build succeeds.

One worker process reads and shapes each file (:func:`process_file`); the parent writes the
day's rows in date order into temporary store files, merges Dst and Kp, sorts globally, builds
completely sorted indexes, records metadata and only then renames the files into place, so a
failed or interrupted build leaves the previous stores untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import tables

from awa.chem import days, hour_index, schema, sidecar
from data_build import fits, indices, verify
from data_build.stores.frames import (
    BadPeriod,
    BuildError,
    DayFrames,
    FileFailure,
    _merge_day_indices,
    coverage_entry,
    day_frames,
    read_bad_periods,
)
from data_build.stores.writer import _finish_store, _StoreWriter, _write_empty, store_metadata

__all__ = ["BUILD_VERSION", "BuildResult", "build_stores", "find_fits", "process_file"]

BUILD_VERSION = "1"


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def process_file(path: str, bad_periods: Sequence[BadPeriod]) -> DayFrames | FileFailure:
    """Read one daily file and shape its rows (runs in a worker process)."""
    p = Path(path)
    if days.is_day_file(p):
        try:
            days.day_of_file(p)
        except days.DayError as exc:
            return FileFailure(p.name, exc.reason)
    try:
        day = fits.read_day(p)
        frames = day_frames(day, bad_periods)
        stat = p.stat()
        frames.source = {"name": p.name, "size": stat.st_size, "sha256": _sha256(p)}
        frames.coverage = coverage_entry(day, frames)
        return frames
    except fits.BadFileError as exc:
        return FileFailure(p.name, exc.reason)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the build
        return FileFailure(p.name, f"unexpected {type(exc).__name__}: {exc}")


@dataclass
class BuildResult:
    """What a build produced."""

    out_dir: Path
    rows: dict[str, int]
    files_ok: list[str]
    failures: list[FileFailure]
    quirks: dict[str, int]
    counts: dict[str, int]
    seconds: float
    sizes: dict[str, int]

    def summary(self) -> str:
        """Human-readable closing lines of a build."""
        lines = [
            f"built {len(self.files_ok)} files into {self.out_dir} in {self.seconds:.1f} s "
            f"({len(self.failures)} failed)",
        ]
        for name, rows in self.rows.items():
            size = self.sizes.get(name, 0)
            lines.append(f"  {name}: {rows:,} rows, {size / 1e6:.1f} MB")
        interesting = {k: v for k, v in {**self.quirks, **self.counts}.items() if v}
        if interesting:
            lines.append("  counted: " + ", ".join(f"{k} {v:,}" for k, v in interesting.items()))
        for what in ("kp", "dst"):
            missing = self.counts.get(f"spins_without_{what}", 0)
            if missing:
                lines.append(
                    f"  WARNING: {missing:,} spins have no {what.capitalize()}: the index file "
                    "does not cover their hours (give the files of every year, e.g. --kp per year)"
                )
        for failure in self.failures:
            lines.append(f"  FAILED {failure.name}: {failure.reason}")
        return "\n".join(lines)


def find_fits(fits_dir: str | os.PathLike[str]) -> list[Path]:
    """Daily files in ``fits_dir`` in date order (names ``YYYY_DDD.fits[.gz]``)."""
    d = Path(fits_dir)
    if not d.is_dir():
        raise BuildError(f"FITS directory {d} does not exist")
    files = [p for p in d.iterdir() if days.is_day_file(p)]
    return sorted(files, key=lambda p: p.name)


def _ordered_results(
    paths: Sequence[Path], bad_periods: Sequence[BadPeriod], workers: int
) -> Iterator[DayFrames | FileFailure]:
    """Results in input order, with at most 2 x workers days in flight (bounded memory)."""
    if workers <= 1:
        for p in paths:
            yield process_file(str(p), bad_periods)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[DayFrames | FileFailure]] = deque()
        todo = iter(paths)
        for p in todo:
            pending.append(pool.submit(process_file, str(p), list(bad_periods)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(process_file, str(nxt), list(bad_periods)))
            yield result


def build_stores(
    fits_paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    kp: pd.Series | None = None,
    dst: pd.Series | None = None,
    index_sources: dict[str, str] | None = None,
    workers: int = 1,
    bad_periods: Sequence[BadPeriod] | None = None,
    progress: Callable[[str], None] | None = print,
    batch: int = 10,
    allow_failures: bool = False,
) -> BuildResult:
    """Build every store of :data:`awa.chem.schema.STORES` from ``fits_paths`` into ``out_dir``.

    Files are processed in date order by ``workers`` processes; unreadable files are listed in
    the result and skipped.  The previous stores in ``out_dir`` are replaced only when the whole
    build succeeded; and not when a file they were built from now fails (its days would be
    lost), unless ``allow_failures``.
    """
    t0 = time.perf_counter()
    paths = sorted((Path(p) for p in fits_paths), key=lambda p: p.name)
    if not paths:
        raise BuildError("no FITS files given")
    periods = list(read_bad_periods() if bad_periods is None else bad_periods)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)

    named = sorted(d for d in (verify.named_day(p.name) for p in paths) if d)
    span_start = pd.Timestamp(named[0]) - pd.Timedelta(days=1) if named else None
    span_end = pd.Timestamp(named[-1]) + pd.Timedelta(days=2) if named else None
    hourly: pd.DataFrame | None = None
    if span_start is not None and span_end is not None and (kp is not None or dst is not None):
        hourly = indices.hourly_indices(kp, dst, span_start, span_end)

    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=out))
    writers: dict[str, _StoreWriter] = {}
    ok: list[str] = []
    failures: list[FileFailure] = []
    sources: list[dict[str, Any]] = []
    quirks = fits.Quirks()
    counts: dict[str, int] = {}
    coverage: list[dict[str, Any]] = []
    try:
        for spec in schema.STORES:
            expected = len(paths) * (700_000 if "pha" in spec.key else 16_000)
            writers[spec.key] = _StoreWriter(tmp / spec.filename, spec, expected)
        t_batch = time.perf_counter()
        for i, result in enumerate(_ordered_results(paths, periods, workers), start=1):
            if isinstance(result, FileFailure):
                failures.append(result)
                coverage.append(result.coverage())
            else:
                coverage.append(result.coverage)
                _merge_day_indices(result, hourly, kp is not None, dst is not None)
                for spec, frame in (
                    (schema.PHA_STORE, result.pha),
                    (schema.CAL_PHA_STORE, result.cal_pha),
                    (schema.RATES_STORE, result.rates),
                    (schema.HK_STORE, result.hk),
                    (schema.ME_STORE, result.me),
                ):
                    writers[spec.key].append(frame)
                ok.append(result.source["name"])
                sources.append(result.source)
                quirks = quirks + result.quirks
                for k, v in result.counts.items():
                    counts[k] = counts.get(k, 0) + v
            if i % batch == 0 or i == len(paths):
                now = time.perf_counter()
                say(
                    f"[{i}/{len(paths)} files] {writers['ampte_rates'].rows:,} spins, "
                    f"{writers['ampte_pha'].rows:,} science events, {len(failures)} failed "
                    f"({now - t_batch:.1f} s for this batch)"
                )
                t_batch = now
        for w in writers.values():
            w.close()
        if not ok:
            raise BuildError(
                "no file could be read; previous stores left as they were:\n"
                + "\n".join(f"  {f.name}: {f.reason}" for f in failures)
            )
        lost = [f for f in failures if f.name in _previous_sources(out)]
        if lost and not allow_failures:
            raise BuildError(
                "the current stores hold data of files that now fail; they are kept as they "
                "were (fix the files, or rebuild with --allow-failures to drop them):\n"
                + "\n".join(f"  {f.name}: {f.reason}" for f in lost)
            )
        verify_summary = {
            "files_ok": len(ok),
            "files_failed": [{"name": f.name, "reason": f.reason} for f in failures],
            "quirks": quirks.as_dict(),
            "counts": counts,
        }
        common = {
            "awa_build_version": json.dumps(BUILD_VERSION),
            "awa_build_time": json.dumps(dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            "awa_sources": json.dumps(sources),
            "awa_index_sources": json.dumps(index_sources or {}),
            "awa_time_zone": json.dumps("UTC, stored naive (no time zone): query with naive times"),
            "awa_verify_summary": json.dumps(verify_summary),
            "awa_bad_periods": json.dumps(
                [
                    {"start": p.start.isoformat(), "end": p.end.isoformat(), "reason": p.reason}
                    for p in periods
                ]
            ),
        }
        say("sorting and indexing ...")
        for spec in schema.STORES:
            w = writers[spec.key]
            attrs = {
                **common,
                "awa_description": json.dumps(spec.description),
                "awa_units": json.dumps({c: schema.UNITS.get(c, "") for c in spec.columns}),
                "awa_rows": json.dumps(w.rows),
            }
            if w.rows == 0:
                _write_empty(w.path, spec)
            hours = hour_index.merge_hour_starts(w.hour_parts)
            _finish_store(w.path, spec, w.sorted, attrs, hours)
        say("writing the column sidecar ...")
        sidecar.write_columns(
            tmp / schema.PHA_STORE.filename,
            tmp / schema.RATES_STORE.filename,
            tmp / schema.COLUMNS_FILE,
        )
        (tmp / schema.COVERAGE_FILE).write_text(
            json.dumps(
                {
                    "build_time": json.loads(common["awa_build_time"]),
                    "bad_periods": json.loads(common["awa_bad_periods"]),
                    "days": sorted(coverage, key=lambda d: (d["date"], d["file"])),
                },
                indent=1,
            )
        )
        for spec in schema.STORES:
            os.replace(tmp / spec.filename, out / spec.filename)
        # After the stores: a reader never pairs new stores with a sidecar it accepts
        # unless both are new (the sidecar records the stores' row counts and build time).
        os.replace(tmp / schema.COLUMNS_FILE, out / schema.COLUMNS_FILE)
        os.replace(tmp / schema.COVERAGE_FILE, out / schema.COVERAGE_FILE)
    finally:
        for w in writers.values():
            with contextlib.suppress(Exception):
                w.close()
        shutil.rmtree(tmp, ignore_errors=True)
    sizes = {s.key: (out / s.filename).stat().st_size for s in schema.STORES}
    return BuildResult(
        out_dir=out,
        rows={k: w.rows for k, w in writers.items()},
        files_ok=ok,
        failures=failures,
        quirks=quirks.as_dict(),
        counts=counts,
        seconds=time.perf_counter() - t0,
        sizes=sizes,
    )


def _previous_sources(out: Path) -> set[str]:
    """Names of the files the stores now in ``out`` were built from (empty if none)."""
    path = out / schema.PHA_STORE.filename
    if not path.exists():
        return set()
    try:
        sources = store_metadata(path, schema.PHA_STORE.key).get("sources", [])
    except (OSError, ValueError, KeyError, tables.NoSuchNodeError):
        return set()
    return {str(src.get("name")) for src in sources if isinstance(src, dict)}
