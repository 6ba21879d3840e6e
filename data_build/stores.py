"""Build the AWA stores (spec section 7) from daily CHEM FITS files.

One worker process reads and shapes each file (:func:`process_file`); the parent writes the
day's rows in date order into temporary store files, merges Dst and Kp, sorts globally, builds
completely sorted indexes, records metadata and only then renames the files into place, so a
failed or interrupted build leaves the previous stores untouched.
"""

from __future__ import annotations

import contextlib
import csv
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
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tables

from awa.chem import hour_index, schema, sidecar
from data_build import fits, indices, verify
from data_build.layout import FILENAME_RE

BUILD_VERSION = "1"
_COMPLIB: Any = "blosc:zstd"  # pandas-stubs lists only the base library names
_COMPLEVEL = 5


class BuildError(RuntimeError):
    """The build could not produce stores (nothing was replaced)."""


# ---------------------------------------------------------------------------------------
# Bad periods
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadPeriod:
    """A UTC interval [start, end) whose PHA data are kept out of the science store."""

    start: pd.Timestamp
    end: pd.Timestamp
    reason: str


def read_bad_periods(path: str | os.PathLike[str] | None = None) -> list[BadPeriod]:
    """Read a bad-period table (CSV ``start,end,reason``; ``#`` lines are comments).

    ``None`` reads the packaged default table (1984-11-14 19:20 to 1984-11-20 00:20 UT).
    """
    if path is None:
        text = resources.files("data_build").joinpath("tables/bad_periods.csv").read_text()
        name = "bad_periods.csv (default)"
    else:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as exc:
            raise BuildError(f"bad-period table {p}: {exc.strerror or exc}") from exc
        name = str(p)
    rows = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    periods: list[BadPeriod] = []
    for lineno, rec in enumerate(csv.DictReader(rows), start=2):
        try:
            start = pd.Timestamp(rec["start"])
            end = pd.Timestamp(rec["end"])
        except (KeyError, ValueError, TypeError) as exc:
            raise BuildError(
                f"bad-period table {name}, record {lineno - 1}: need ISO 'start,end,reason' ({exc})"
            ) from exc
        if not end > start:
            raise BuildError(
                f"bad-period table {name}, record {lineno - 1}: end is not after start"
            )
        periods.append(BadPeriod(start, end, (rec.get("reason") or "").strip()))
    return periods


def in_periods(times: np.ndarray, periods: Sequence[BadPeriod]) -> np.ndarray:
    """Boolean mask of ``times`` (datetime64[ns]) inside any of ``periods``."""
    mask = np.zeros(len(times), dtype=bool)
    for period in periods:
        lo = np.datetime64(period.start.as_unit("ns"))
        hi = np.datetime64(period.end.as_unit("ns"))
        mask |= (times >= lo) & (times < hi)
    return mask


# ---------------------------------------------------------------------------------------
# One day: DayData -> typed frames of the stores
# ---------------------------------------------------------------------------------------


@dataclass
class DayFrames:
    """The rows one daily file contributes to each store, each sorted by time."""

    source: dict[str, Any]
    quirks: fits.Quirks
    pha: pd.DataFrame
    cal_pha: pd.DataFrame
    rates: pd.DataFrame
    hk: pd.DataFrame
    me: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFailure:
    """A file the build could not use, and why."""

    name: str
    reason: str

    def coverage(self) -> dict[str, Any]:
        """The coverage entry of an unreadable file."""
        day = day_of_file(self.name)
        return {
            "date": day.isoformat() if day else "",
            "file": self.name,
            "status": verify.BAD,
            "reason": self.reason,
        }


def _typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Columns in schema order with schema dtypes."""
    return pd.DataFrame(
        {name: df[name].to_numpy().astype(dtype) for name, dtype in columns.items()}
    )


def day_frames(day: fits.DayData, bad_periods: Sequence[BadPeriod]) -> DayFrames:
    """Shape one parsed day into store rows (pure; Dst and Kp are merged later).

    Clipped times and duplicated spins (every repeat of a time already seen in the file) are
    dropped and counted; out-of-order spins are sorted into place.  Science PHA holds events of
    CSHK == 0 spins outside the bad periods; calibration PHA holds the CSHK != 0 events.
    """
    spins = day.spins
    cycles = day.cycles
    n_spins = len(spins)
    keep_spin = ~(spins["clipped"].to_numpy() | spins["duplicate"].to_numpy())
    cyc = spins["cycle"].to_numpy()
    ctx = {
        name: cycles[name].to_numpy()[cyc]
        for name in (
            "PAPS_lvl",
            "DPU_Mode",
            "TAC_Slope",
            "PHA_Priority",
            "MAGLAT",
            "MAGLON",
            "MLTH",
            "CSHK",
        )
    }
    times = spins["SpinStartTime"].to_numpy()
    bad = in_periods(times, bad_periods)
    quality = np.zeros(n_spins, dtype=np.int8)
    quality |= np.where(bad, schema.QUALITY_BAD_PERIOD, 0).astype(np.int8)
    quality |= np.where(~spins["rate_ok"].to_numpy(), schema.QUALITY_RATE_RELATION, 0).astype(
        np.int8
    )
    quality |= np.where(spins["L"].isna().to_numpy(), schema.QUALITY_L_FILL, 0).astype(np.int8)

    spin_all = pd.DataFrame(
        {
            "SpinStartTime": times,
            **{k: ctx[k] for k in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority")},
            "L": spins["L"].to_numpy(),
            "MAGLAT": ctx["MAGLAT"],
            "MAGLON": ctx["MAGLON"],
            "MLTH": ctx["MLTH"],
            "Period_Cntr": spins["Period_Cntr"].to_numpy(),
            "Voltage_Step": spins["Voltage_Step"].to_numpy(),
            **{k: spins[k].to_numpy() for k in ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2")},
            **{k: spins[k].to_numpy() for k in ("R0", "R1", "R2")},
            "CSHK": ctx["CSHK"],
            "Quality": quality,
            "Dst": np.full(n_spins, np.nan, dtype=np.float32),
            "Kp": np.full(n_spins, np.nan, dtype=np.float32),
        }
    )
    kept_rows = np.flatnonzero(keep_spin)
    spin_order = kept_rows[np.argsort(times[kept_rows], kind="stable")]
    rates = _typed(spin_all.iloc[spin_order], schema.RATES_COLUMNS)

    # Events: context from their spin, then sorted by spin time (slot order kept within a spin).
    ev = day.events
    ev_spin = ev["spin"].to_numpy()
    ev_keep = keep_spin[ev_spin]
    ev_cal = ctx["CSHK"][ev_spin] != 0
    ev_bad = bad[ev_spin]
    pha_cols = {
        "SpinStartTime": times[ev_spin],
        **{
            k: spin_all[k].to_numpy()[ev_spin]
            for k in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "L", "MLTH")
        },
        "Voltage_Step": spin_all["Voltage_Step"].to_numpy()[ev_spin],
        **{k: ev[k].to_numpy() for k in ("Sector", "SSDID", "Energy", "TOF", "Range")},
    }
    ev_all = pd.DataFrame(pha_cols)

    def _events(mask: np.ndarray) -> pd.DataFrame:
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(ev_all["SpinStartTime"].to_numpy()[rows], kind="stable")]
        return _typed(ev_all.iloc[rows], schema.PHA_COLUMNS)

    pha = _events(ev_keep & ~ev_cal & ~ev_bad)
    cal_pha = _events(ev_keep & ev_cal)

    # Cycles: HK and ME at the cycle start, L of the cycle's first spin.
    n_cycles = len(cycles)
    cyc_times = cycles["CycleStartTime"].to_numpy()
    cyc_raw = cycles["ST"].to_numpy()
    cyc_clipped = (cyc_raw <= 0) | (cyc_raw >= schema.CLIP_HIGH_SECONDS)
    _, first = np.unique(cyc_raw, return_index=True)
    cyc_dup = np.ones(n_cycles, dtype=bool)
    cyc_dup[first] = False
    first_spin = np.minimum(np.arange(n_cycles) * schema.SPINS_PER_CYCLE, max(n_spins - 1, 0))
    cyc_l = spins["L"].to_numpy()[first_spin] if n_spins else np.full(n_cycles, np.nan, np.float32)
    cyc_keep = np.flatnonzero(~cyc_clipped & ~cyc_dup)
    cyc_keep = cyc_keep[np.argsort(cyc_times[cyc_keep], kind="stable")]
    hk_all = pd.DataFrame(
        {
            "SpinStartTime": cyc_times,
            **{
                k: cycles[k].to_numpy()
                for k in ("PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority")
            },
            "L": cyc_l,
            **{k: cycles[k].to_numpy() for k in ("MAGLAT", "MAGLON", "MLTH", "CSHK")},
            "Dst": np.full(n_cycles, np.nan, dtype=np.float32),
            "Kp": np.full(n_cycles, np.nan, dtype=np.float32),
        }
    )
    hk = _typed(hk_all.iloc[cyc_keep], schema.HK_COLUMNS)
    me_block = np.asarray(day.me, dtype=np.int32)[cyc_keep]
    me = pd.concat(
        [
            pd.DataFrame(
                {
                    "SpinStartTime": cyc_times[cyc_keep],
                    "L": cyc_l[cyc_keep].astype(np.float32),
                    "CSHK": cycles["CSHK"].to_numpy()[cyc_keep].astype(np.int16),
                }
            ),
            pd.DataFrame(me_block, columns=schema.ME_COLUMN_NAMES),
        ],
        axis=1,
    )
    counts = {
        "spins_dropped_clipped": int(spins["clipped"].sum()),
        "spins_dropped_duplicate": int((spins["duplicate"] & ~spins["clipped"]).sum()),
        "cycles_dropped": int(n_cycles - len(cyc_keep)),
        "events_bad_period": int((ev_keep & ~ev_cal & ev_bad).sum()),
        "events_dropped_with_spin": int((~ev_keep).sum()),
        "events_science": len(pha),
        "events_calibration": len(cal_pha),
        "spins_bad_period": int((bad & keep_spin).sum()),
    }
    return DayFrames(
        source={"name": day.source},
        quirks=day.quirks,
        pha=pha,
        cal_pha=cal_pha,
        rates=rates,
        hk=hk,
        me=me,
        counts=counts,
    )


def coverage_entry(day: fits.DayData, frames: DayFrames) -> dict[str, Any]:
    """One day's line of the coverage table: what it holds and the verify findings."""
    report = verify.report_to_json(verify.VerifyReport([verify.verify_day(day)]))["files"][0]
    rates = frames.rates
    cal = rates["CSHK"].to_numpy() != 0
    steps = np.diff(rates["SpinStartTime"].to_numpy()).astype(np.int64) / 1e9
    steps = steps[(steps > 0) & (steps < 60)]  # whole-second times: mean of in-block steps
    spin_s = float(steps.mean()) if steps.size else 0.0
    return {
        "date": report["day"],
        "file": day.source,
        "status": report["status"],
        "reason": report["reason"],
        "spins": int(len(rates)),
        "cycles": int(len(frames.hk)),
        "calibration_cycles": int((frames.hk["CSHK"].to_numpy() != 0).sum()),
        "calibration_minutes": round(float(cal.sum()) * spin_s / 60.0, 2),
        "pha_events": int(len(frames.pha)),
        "calibration_events": int(len(frames.cal_pha)),
        "bad_period_spins": frames.counts.get("spins_bad_period", 0),
        "blocks": report["blocks"],
        "warnings": report["warnings"],
        "quirks": report["quirks"],
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def process_file(path: str, bad_periods: Sequence[BadPeriod]) -> DayFrames | FileFailure:
    """Read one daily file and shape its rows (runs in a worker process)."""
    p = Path(path)
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


# ---------------------------------------------------------------------------------------
# The whole build
# ---------------------------------------------------------------------------------------


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


def day_of_file(path: str | os.PathLike[str]) -> dt.date | None:
    """UT day named by an archive file name ``YYYY_DDD.fits[.gz]``, else None."""
    m = FILENAME_RE.match(Path(path).name)
    if not m:
        return None
    return dt.date(int(m["year"]), 1, 1) + dt.timedelta(days=int(m["doy"]) - 1)


def find_fits(fits_dir: str | os.PathLike[str]) -> list[Path]:
    """Daily files in ``fits_dir`` in date order (names ``YYYY_DDD.fits[.gz]``)."""
    d = Path(fits_dir)
    if not d.is_dir():
        raise BuildError(f"FITS directory {d} does not exist")
    files = [p for p in d.iterdir() if FILENAME_RE.match(p.name)]
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


class _StoreWriter:
    """Appends typed frames to one temporary store and remembers whether it stayed sorted."""

    def __init__(self, path: Path, spec: schema.StoreSpec, expectedrows: int) -> None:
        self.path = path
        self.spec = spec
        self.expectedrows = max(expectedrows, 1000)
        self.rows = 0
        self.last_time: np.datetime64 | None = None
        self.sorted = True
        self.hour_parts: list[np.ndarray] = []
        self.store = pd.HDFStore(path, mode="w", complevel=_COMPLEVEL, complib=_COMPLIB)
        data_columns = list(spec.columns)
        if spec is schema.ME_STORE:
            data_columns = list(schema.ME_DATA_COLUMNS)
        self.data_columns = data_columns

    def append(self, df: pd.DataFrame) -> None:
        if df.empty:
            return
        t = df["SpinStartTime"].to_numpy()
        if self.last_time is not None and t[0] < self.last_time:
            self.sorted = False
        self.last_time = t[-1] if self.last_time is None else max(self.last_time, t[-1])
        self.hour_parts.append(hour_index.hour_starts(t.astype(np.int64), self.rows))
        df.index = pd.RangeIndex(self.rows, self.rows + len(df))
        self.store.append(
            self.spec.key,
            df,
            format="table",
            data_columns=self.data_columns,
            index=False,
            expectedrows=self.expectedrows,
        )
        self.rows += len(df)

    def close(self) -> None:
        self.store.close()


def _finish_store(
    path: Path,
    spec: schema.StoreSpec,
    was_sorted: bool,
    attrs: dict[str, str],
    hours: np.ndarray,
) -> None:
    """Sort globally (when needed), build full indexes, the hour index and metadata."""
    with tables.open_file(path, mode="a") as h5:
        if spec.key not in h5.root:
            return
        group = h5.get_node(h5.root, spec.key)
        table = group.table
        if not was_sorted:
            table.cols.SpinStartTime.create_csindex()
            table.rename("unsorted")
            table.copy(group, "table", sortby="SpinStartTime", checkCSI=True, propindexes=False)
            h5.remove_node(group, "unsorted")
            table = group.table
            hours = hour_index.scan_hour_index(table)
        hour_index.write_hour_index(h5, hours, int(table.nrows))
        for col in spec.indexed:
            column = getattr(table.cols, col)
            if column.index is not None:
                column.remove_index()
            column.create_csindex()
        for name, value in attrs.items():
            table.attrs[name] = value


def store_metadata(path: str | os.PathLike[str], key: str) -> dict[str, Any]:
    """The AWA metadata attributes of a store's table (each stored as a JSON string)."""
    out: dict[str, Any] = {}
    with tables.open_file(str(path), mode="r") as h5:
        table = h5.get_node(f"/{key}/table")
        for name in table.attrs._v_attrnamesuser:
            if name.startswith("awa_"):
                value = table.attrs[name]
                out[name[4:]] = json.loads(str(value))
    return out


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

    days = [d for d in (day_of_file(p) for p in paths) if d is not None]
    span_start = pd.Timestamp(min(days)) - pd.Timedelta(days=1) if days else None
    span_end = pd.Timestamp(max(days)) + pd.Timedelta(days=2) if days else None
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


def _write_empty(path: Path, spec: schema.StoreSpec) -> None:
    """Give an empty store its (empty) table so readers see the schema and zero rows.

    pandas writes no table for an empty frame, so one placeholder row is written and removed.
    """
    one = pd.DataFrame({c: np.zeros(1, dtype=d) for c, d in spec.columns.items()})
    data_columns = list(schema.ME_DATA_COLUMNS) if spec is schema.ME_STORE else list(spec.columns)
    with pd.HDFStore(path, mode="w", complevel=_COMPLEVEL, complib=_COMPLIB) as store:
        store.put(
            spec.key,
            one,
            format="table",
            data_columns=data_columns,
            index=False,
            track_times=False,
        )
    with tables.open_file(path, mode="a") as h5:
        h5.get_node(f"/{spec.key}/table").remove_rows(0, 1)


def _merge_day_indices(
    frames: DayFrames, hourly: pd.DataFrame | None, has_kp: bool, has_dst: bool
) -> None:
    """Fill Dst and Kp of the day's rates and HK rows from the hourly table (spec section 3).

    Spins left without a value although an index was given are counted
    (``spins_without_kp``, ``spins_without_dst``): the index file does not cover them.
    """
    if hourly is None:
        return
    for df in (frames.rates, frames.hk):
        if df.empty:
            continue
        dst, kp = indices.merge_indices(df["SpinStartTime"].to_numpy(), hourly)
        df["Dst"] = np.asarray(dst, dtype=np.float32)
        df["Kp"] = np.asarray(kp, dtype=np.float32)
    if has_kp:
        frames.counts["spins_without_kp"] = int(frames.rates["Kp"].isna().sum())
    if has_dst:
        frames.counts["spins_without_dst"] = int(frames.rates["Dst"].isna().sum())
