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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tables

from awa.chem import days, hour_index, schema, sidecar
from data_build import fits, indices, verify
from data_build.stores.across import Across, Written, data_day, drop_across, written_entry
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
    repeats: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

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
        rebuilt = self.quirks.get("times_rebuilt", 0)
        if rebuilt:
            lines.append(
                f"  {rebuilt:,} spins kept with a time rebuilt from the cycle structure"
                f" (Quality bit {schema.QUALITY_TIME_REBUILT}); dropped: "
                f"{self.quirks.get('exact_copies', 0):,} exact copies, "
                f"{self.quirks.get('clipped_excluded', 0):,} clipped spins without cycle structure"
            )
        for line in self.repeats:
            lines.append(f"  REPEATED: {line}")
        for line in self.conflicts:
            lines.append(f"  CONFLICT: {line}")
        for what in ("kp", "dst"):
            missing = self.counts.get(f"spins_without_{what}", 0)
            if missing:
                lines.append(
                    f"  WARNING: {missing:,} spins have no {what.capitalize()}: the index files "
                    f"do not cover their hours (give a file for every period, e.g. --{what} "
                    f"once per {'year' if what == 'kp' else 'file'})"
                )
        for failure in self.failures:
            lines.append(f"  FAILED {failure.name}: {failure.reason}")
        return "\n".join(lines)


def find_fits(fits_dir: str | os.PathLike[str]) -> list[Path]:
    """Daily files in ``fits_dir`` in date order (names ``YYYY_DDD.fits[.gz]``).

    A day present both as ``YYYY_DDD.fits.gz`` and ``YYYY_DDD.fits`` (what ``gunzip -k``
    leaves) gives both, the archive's ``.fits.gz`` first; the build counts their spins once.
    """
    d = Path(fits_dir)
    if not d.is_dir():
        raise BuildError(f"FITS directory {d} does not exist")
    files = [p for p in d.iterdir() if days.is_day_file(p)]
    return sorted(files, key=verify.day_order)


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
    paths = []
    repeats: list[str] = []
    seen_paths: dict[str, Path] = {}
    for p in sorted((Path(p) for p in fits_paths), key=verify.day_order):
        real = os.path.realpath(p)
        if real in seen_paths:
            repeats.append(f"{p} was given twice: read once")
            continue
        seen_paths[real] = p
        paths.append(p)
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
    conflicts: list[str] = []
    written: list[Written] = []
    deferred: list[Path] = []

    def take(result: DayFrames | FileFailure, path: Path, last_pass: bool) -> None:
        nonlocal quirks
        if isinstance(result, FileFailure):
            failures.append(result)
            coverage.append(result.coverage())
            return
        name = result.source["name"]
        if not last_pass and data_day(result) not in ("", verify.named_day(name)):
            deferred.append(path)  # written after the files whose names match their data
            return
        n_spins = len(result.rates)
        across = drop_across(result, written, writers)
        _note_across(result, across, n_spins, repeats, conflicts, counts, coverage)
        n_drop = across.dropped_spins
        if n_drop < n_spins or not n_spins:
            coverage.append(result.coverage)
        _merge_day_indices(result, hourly, kp is not None, dst is not None)
        ranges: dict[str, tuple[int, int]] = {}
        for spec, frame in (
            (schema.PHA_STORE, result.pha),
            (schema.CAL_PHA_STORE, result.cal_pha),
            (schema.RATES_STORE, result.rates),
            (schema.HK_STORE, result.hk),
            (schema.ME_STORE, result.me),
        ):
            before = writers[spec.filename].rows
            writers[spec.filename].append(frame)
            ranges[spec.filename] = (before, writers[spec.filename].rows)
        written.append(written_entry(name, result, ranges))
        ok.append(name)
        sources.append(result.source)
        if n_drop < n_spins or not n_spins:  # else counted already, with its twin
            quirks = quirks + result.quirks
            for k, v in result.counts.items():
                counts[k] = counts.get(k, 0) + v

    try:
        for spec in schema.STORES:
            expected = len(paths) * (700_000 if "pha" in spec.key else 16_000)
            writers[spec.filename] = _StoreWriter(tmp / spec.filename, spec, expected)
        t_batch = time.perf_counter()
        for i, result in enumerate(_ordered_results(paths, periods, workers), start=1):
            take(result, paths[i - 1], last_pass=False)
            if i % batch == 0 or i == len(paths):
                now = time.perf_counter()
                say(
                    f"[{i}/{len(paths)} files] {writers[schema.RATES_STORE.filename].rows:,} "
                    f"spins, {writers[schema.PHA_STORE.filename].rows:,} science events, "
                    f"{len(failures)} failed "
                    f"({now - t_batch:.1f} s for this batch)"
                )
                t_batch = now
        if deferred:  # (no second pool when every file is named for its data's day)
            say(f"{len(deferred)} files named for another day than their data's: read last")
            late = _ordered_results(deferred, periods, workers)
            for path, result in zip(deferred, late, strict=True):
                take(result, path, last_pass=True)
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
            "repeats": repeats,
            "conflicts": conflicts,
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
            w = writers[spec.filename]
            attrs = {
                **common,
                "awa_description": json.dumps(spec.description),
                "awa_units": json.dumps(schema.store_units(spec)),
                "awa_rows": json.dumps(w.rows),
            }
            if w.rows == 0:
                _write_empty(w.path, spec)
            hours = hour_index.merge_hour_starts(w.hour_parts)
            times = np.concatenate(w.times) if w.times else None
            _finish_store(w.path, spec, w.sorted, attrs, hours, w.extras(), times)
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
    sizes = {s.filename: (out / s.filename).stat().st_size for s in schema.STORES}
    return BuildResult(
        out_dir=out,
        rows={name: w.rows for name, w in writers.items()},
        files_ok=ok,
        failures=failures,
        quirks=quirks.as_dict(),
        counts=counts,
        seconds=time.perf_counter() - t0,
        sizes=sizes,
        repeats=repeats,
        conflicts=conflicts,
    )


def _note_across(
    frames: DayFrames,
    across: Across,
    n_spins: int,
    repeats: list[str],
    conflicts: list[str],
    counts: dict[str, int],
    coverage: list[dict[str, Any]],
) -> None:
    """Summary lines, counts and coverage notes of the rows one file shares with others."""
    name = frames.source["name"]
    n_rep, holder = across.repeated.get("rates", 0), across.repeat_holder
    n_conf, other = across.conflicting.get("rates", 0), across.conflict_holder
    if n_rep:
        every = "all" if n_rep == n_spins else f"{n_rep:,} of"
        repeats.append(
            f"{name}: {every} {n_spins:,} spins repeat {holder} (same time and data),"
            f" kept once, from {holder}"
        )
    if n_conf:
        conflicts.append(
            f"{name}: {n_conf:,} spins have the times of {other} with other data; kept {other}'s"
        )
    for key, value in (
        ("spins_repeated_across_files", n_rep),
        ("spins_conflicting_across_files", n_conf),
        ("hk_cycles_conflicting_across_files", across.conflicting.get("hk", 0)),
        ("me_cycles_conflicting_across_files", across.conflicting.get("me", 0)),
    ):
        if value:
            counts[key] = counts.get(key, 0) + value
    if not (n_rep or n_conf):
        return
    if n_rep == n_spins:  # the whole file repeats: its day is listed once, under the holder
        for entry in coverage:
            if entry.get("file") == holder:
                entry.setdefault("warnings", []).append(
                    f"also given as {name} (the same spins, counted once)"
                )
        return
    entry = frames.coverage
    entry["spins"] = int(len(frames.rates))
    entry["pha_events"] = int(len(frames.pha))
    entry["calibration_events"] = int(len(frames.cal_pha))
    if n_rep:
        entry.setdefault("warnings", []).append(
            f"{n_rep:,} of {n_spins:,} spins repeat {holder} (counted there)"
        )
    if n_conf:
        entry.setdefault("warnings", []).append(
            f"{n_conf:,} of {n_spins:,} spins have the times of {other} with other data"
            f" (dropped: {other}'s kept)"
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
