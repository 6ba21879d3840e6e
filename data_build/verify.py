"""Verification report over daily CHEM FITS files (issue section 6, spec section 2 quirks).

In the spirit of a tape-verification summary: for every file (one UT day) the contiguous time
blocks, the cycle count and every quirk the reader met, a status (``good``, ``warnings``,
``bad``) and, for unreadable files, the reason.  The text form ends with one line
``N good, M with warnings, K bad``; :attr:`VerifyReport.exit_code` is non-zero when any file
is bad.  One bad file never stops the run.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from awa.chem import days
from awa.chem.schema import TOF_ARTEFACT
from data_build.fits import BadFileError, DayData, Quirks, read_day
from data_build.fits_times import content_keys, shared_spins

__all__ = [
    "named_day",
    "GOOD",
    "WARNINGS",
    "BAD",
    "MAX_GAP_SECONDS",
    "TimeBlock",
    "FileReport",
    "VerifyReport",
    "find_blocks",
    "verify_day",
    "verify_file",
    "verify_files",
    "format_report",
    "report_to_json",
    "report_from_json",
    "list_fits_files",
    "day_order",
    "spin_keys",
]

GOOD = "good"
WARNINGS = "warnings"
BAD = "bad"
#: Consecutive spins further apart than this (s) start a new time block.
MAX_GAP_SECONDS = 60

#: Quirk counters that make a readable file "with warnings", with their wording.
WARNING_COUNTERS: dict[str, str] = {
    "clipped_times": "clipped times",
    "duplicate_spins": "repeated spin times",
    "out_of_order_spins": "out-of-order spins",
    "exact_copies": "exact copies of a spin (dropped)",
    "times_rebuilt": "spin times rebuilt from the cycle structure (kept, flagged)",
    "clipped_excluded": "clipped spins excluded (no cycle structure to rebuild from)",
    "l_fill": "L fill values",
    "rate_violations": "rate-relation violations",
}
#: The cause of repeated times when the file stores ``TT`` as float32.
FLOAT32_CAUSE = "cause: TT stored as float32, whose steps are 64 s at the mission's dates"


@dataclass(frozen=True)
class TimeBlock:
    """A run of spins with no gap over :data:`MAX_GAP_SECONDS` (times UT, spins a count)."""

    start: pd.Timestamp
    end: pd.Timestamp
    spins: int


@dataclass
class FileReport:
    """Verification result of one file.

    Attributes
    ----------
    path : str
        The file as given.
    name : str
        Its basename.
    status : str
        :data:`GOOD`, :data:`WARNINGS` or :data:`BAD`.
    reason : str
        Why the file is bad (empty otherwise).
    day : str
        The UT day (ISO date) from the file name, else from the data; empty if unknown.
    quirks : Quirks or None
        Reader counters (None for a bad file).
    blocks : list of TimeBlock
        Contiguous time blocks of non-clipped, non-duplicate spins, in time order.
    warnings : list of str
        Human-readable warnings (empty for a good file).
    repeat_of, repeated_spins : str, int
        An earlier file (day order) and how many of this file's spins it holds with the same
        time and data (counted there, once); conflict_with, conflicting_spins: the same for
        spins at its times with other data.
    data_day : str
        The UT day (ISO date) holding most of the file's spins; empty if it holds none.
    """

    path: str
    name: str
    status: str
    reason: str = ""
    day: str = ""
    quirks: Quirks | None = None
    blocks: list[TimeBlock] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repeat_of: str = ""
    repeated_spins: int = 0
    data_day: str = ""
    conflict_with: str = ""
    conflicting_spins: int = 0


@dataclass
class VerifyReport:
    """Verification results of many files, in the order given."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def n_good(self) -> int:
        return sum(f.status == GOOD for f in self.files)

    @property
    def n_warnings(self) -> int:
        return sum(f.status == WARNINGS for f in self.files)

    @property
    def n_bad(self) -> int:
        return sum(f.status == BAD for f in self.files)

    @property
    def exit_code(self) -> int:
        """0 when no file is bad, else 1."""
        return 1 if self.n_bad else 0

    @property
    def summary_line(self) -> str:
        return f"{self.n_good} good, {self.n_warnings} with warnings, {self.n_bad} bad"

    @property
    def repeat_lines(self) -> list[str]:
        """One line per file whose spins repeat an earlier file's (which copy counts)."""
        lines = []
        for f in self.files:
            if f.repeat_of:
                q = f.quirks
                total = (
                    q.n_spins - q.exact_copies - q.clipped_excluded
                    if q is not None
                    else f.repeated_spins
                )
                what = "all" if f.repeated_spins >= total else f"{f.repeated_spins:,} of"
                lines.append(
                    f"{f.name} repeats {f.repeat_of}: {what} {total:,} spins, counted once"
                    f" (in {f.repeat_of})" + (f", day {f.data_day or f.day}" if f.day else "")
                )
            if f.data_day and f.day and f.data_day != f.day:
                lines.append(f"{f.name}: named {f.day} but holds {f.data_day}")
            if f.conflict_with:
                lines.append(
                    f"{f.name}: {f.conflicting_spins:,} spins have the times of"
                    f" {f.conflict_with} with other data, day {f.data_day}"
                )
        return lines

    @property
    def total_quirks(self) -> Quirks:
        """Sum of the counters over all readable files."""
        total = Quirks()
        for f in self.files:
            if f.quirks is not None:
                total = total + f.quirks
        return total


def find_blocks(spins: pd.DataFrame, max_gap_s: int = MAX_GAP_SECONDS) -> list[TimeBlock]:
    """Contiguous time blocks of one day's spins.

    Parameters
    ----------
    spins : pandas.DataFrame
        :attr:`DayData.spins` (uses ``TT`` in s since 1966-01-01, ``SpinStartTime``,
        ``clipped``, ``duplicate``).
    max_gap_s : int
        Largest step (s) between consecutive spin times inside one block.

    Returns
    -------
    list of TimeBlock
        Non-clipped, non-duplicate spins sorted by time, split where consecutive times differ
        by more than ``max_gap_s``.
    """
    keep = ~(spins["clipped"].to_numpy(bool) | spins["duplicate"].to_numpy(bool))
    tt = spins["TT"].to_numpy(np.int64)[keep]
    times = spins["SpinStartTime"].to_numpy("datetime64[ns]")[keep]
    if tt.size == 0:
        return []
    order = np.argsort(tt, kind="stable")
    tt = tt[order]
    times = times[order]
    breaks = np.flatnonzero(np.diff(tt) > max_gap_s) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [tt.size]]) - 1
    return [
        TimeBlock(pd.Timestamp(times[s]), pd.Timestamp(times[e]), int(e - s + 1))
        for s, e in zip(starts, ends, strict=True)
    ]


def named_day(name: str) -> str:
    """ISO day named by an archive file name, or "" (not that form, or no such day)."""
    try:
        return days.day_of_file(name).isoformat()
    except days.DayError:
        return ""


def verify_day(day: DayData, path: str | None = None) -> FileReport:
    """Verification result of one parsed file (no re-reading).

    Parameters
    ----------
    day : DayData
        As returned by :func:`data_build.fits.read_day`.
    path : str, optional
        The file as given (defaults to ``day.source``).

    Returns
    -------
    FileReport
        Status :data:`WARNINGS` when any counter of :data:`WARNING_COUNTERS` is non-zero or
        the file holds no spins, else :data:`GOOD`.
    """
    quirks = day.quirks
    blocks = find_blocks(day.spins)
    counts = quirks.as_dict()
    warnings = [f"{counts[key]} {label}" for key, label in WARNING_COUNTERS.items() if counts[key]]
    if quirks.float32_times:
        repeated = f"{quirks.duplicate_spins} {WARNING_COUNTERS['duplicate_spins']}"
        warnings = [f"{w} ({FLOAT32_CAUSE})" if w == repeated else w for w in warnings]
        if quirks.duplicate_spins == 0:
            warnings.append(f"TT stored as float32 ({FLOAT32_CAUSE.split(', ', 1)[1]})")
    if quirks.n_spins == 0:
        warnings.insert(0, "no spins")
    warnings.extend(day.notes)
    day_iso = named_day(day.source)
    held = _data_day(blocks)
    if day_iso and held and held != day_iso:
        warnings.append(f"named {day_iso} but holds {held}")
    day_iso = day_iso or held
    return FileReport(
        path=path if path is not None else day.source,
        name=day.source,
        status=WARNINGS if warnings else GOOD,
        day=day_iso,
        quirks=quirks,
        blocks=blocks,
        warnings=warnings,
        data_day=held,
    )


def _data_day(blocks: list[TimeBlock]) -> str:
    """ISO day holding most of the spins of ``blocks`` (a block counts on its start's day)."""
    per_day: Counter[str] = Counter()
    for b in blocks:
        per_day[b.start.date().isoformat()] += b.spins
    return per_day.most_common(1)[0][0] if per_day else ""


def _read_and_verify(path: str | os.PathLike[str]) -> tuple[FileReport, DayData | None]:
    name = os.path.basename(os.fspath(path))
    if days.is_day_file(name):
        try:
            days.day_of_file(name)
        except days.DayError as exc:
            return FileReport(str(path), name, BAD, reason=exc.reason), None
    try:
        day = read_day(path)
    except BadFileError as exc:
        return FileReport(str(path), name, BAD, reason=exc.reason, day=named_day(name)), None
    except Exception as exc:  # one broken file must never stop the run
        reason = f"unexpected {type(exc).__name__}: {exc}"
        return FileReport(str(path), name, BAD, reason=reason, day=named_day(name)), None
    return verify_day(day, path=str(path)), day


def verify_file(path: str | os.PathLike[str]) -> FileReport:
    """Read and verify one file; an unreadable file gives status :data:`BAD` with the reason."""
    return _read_and_verify(path)[0]


def spin_keys(day: DayData) -> npt.NDArray[np.uint64]:
    """64-bit keys of the spins a day contributes (time and data; copies and exclusions out)."""
    spins = day.spins
    kept = ~(spins["clipped"].to_numpy(bool) | spins["duplicate"].to_numpy(bool))
    return content_keys([spins["TT"].to_numpy()[kept], spins["data_key"].to_numpy()[kept]])


def day_order(path: str | os.PathLike[str]) -> tuple[str, str, int]:
    """Sort key of daily files: by day, the archive's ``.fits.gz`` before its extracted copy."""
    name = os.path.basename(os.fspath(path))
    return (named_day(name) or "~", name.removesuffix(".gz"), 0 if name.endswith(".gz") else 1)


def verify_files(paths: Iterable[str | os.PathLike[str]]) -> VerifyReport:
    """Verify each file (reports in the order given), and find observations given twice.

    Files are read in day order (:func:`day_order`) and compared by their data's times, any
    name.  A spin with the time and data of an earlier file's is reported on the later file
    (:attr:`FileReport.repeat_of`); the same time with other data is a conflict
    (:attr:`FileReport.conflict_with`), kept from the file whose name's day is its data's
    day, else the first in day order.  A path given twice is read once.
    """
    given = list(paths)
    reports: list[FileReport | None] = [None] * len(given)
    seen: dict[str, int] = {}
    earlier: list[tuple[FileReport, npt.NDArray[np.int64], npt.NDArray[np.uint64]]] = []
    for i in sorted(range(len(given)), key=lambda j: day_order(given[j])):
        real = os.path.realpath(os.fspath(given[i]))
        if real in seen:
            first = reports[seen[real]]
            assert first is not None
            rep = replace(first, path=str(given[i]), warnings=list(first.warnings))
            rep.repeat_of = first.name + " (the same file, given twice)"
            rep.repeated_spins = first.quirks.n_spins if first.quirks is not None else 0
            rep.warnings.append("the same file was given twice: read once")
            rep.status = WARNINGS if rep.status == GOOD else rep.status
            reports[i] = rep
            continue
        seen[real] = i
        report, day = _read_and_verify(given[i])
        reports[i] = report
        if day is None:
            continue
        keys, kept = spin_keys(day), ~(day.spins["clipped"] | day.spins["duplicate"]).to_numpy()
        times = day.spins["SpinStartTime"].to_numpy("datetime64[ns]")[kept].astype(np.int64)
        _compare(report, times, keys, earlier)
        if times.size:
            earlier.append((report, times, keys))
    return VerifyReport([r for r in reports if r is not None])


def _compare(
    report: FileReport,
    times: npt.NDArray[np.int64],
    keys: npt.NDArray[np.uint64],
    earlier: list[tuple[FileReport, npt.NDArray[np.int64], npt.NDArray[np.uint64]]],
) -> None:
    """Note on ``report`` the spins it shares with an earlier file (by time, any name)."""
    for other, o_times, o_keys in earlier:
        hits, clash = shared_spins(times, keys, o_times, o_keys)
        if hits and not report.repeat_of:
            report.repeat_of, report.repeated_spins = other.name, hits
            every = "all" if hits == keys.size else f"{hits:,} of"
            report.warnings.append(
                f"{every} {keys.size:,} spins repeat {other.name} (same time and data):"
                f" counted once, in {other.name}"
            )
        if clash and not report.conflict_with:
            kept = other.name
            if report.day == report.data_day and other.day != other.data_day:
                kept = report.name
            report.conflict_with, report.conflicting_spins = other.name, clash
            report.warnings.append(
                f"{clash:,} spins have the times of {other.name} with other data:"
                f" the build keeps {kept}'s"
            )
        if hits or clash:
            report.status = WARNINGS if report.status == GOOD else report.status


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


#: FileReport fields of the comparison across files, with their defaults.
_ACROSS: dict[str, Any] = dict.fromkeys(("repeat_of", "data_day", "conflict_with"), "") | {
    "repeated_spins": 0,
    "conflicting_spins": 0,
}


def _fmt_time(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def format_report(report: VerifyReport) -> str:
    """The report as text for a person; the last line is ``N good, M with warnings, K bad``."""
    lines = [f"AWA FITS verification: {len(report.files)} file(s)", ""]
    for f in report.files:
        day = f" {f.day}" if f.day else ""
        if f.status == BAD or f.quirks is None:
            lines.extend((f"{f.name}{day}  BAD: {f.reason}", ""))
            continue
        q = f.quirks
        head = "good" if f.status == GOOD else "WARNINGS: " + "; ".join(f.warnings)
        lines.append(f"{f.name}{day}  {head}")
        lines.append(
            f"  spins {q.n_spins}  cycles {q.n_cycles} (calibration {q.calibration_cycles})"
            f"  events {q.n_events}  empty PHA slots {q.empty_pha_slots}"
        )
        lines.append(
            f"  repeated times {q.duplicate_spins}  out-of-order {q.out_of_order_spins}"
            f"  clipped {q.clipped_times}  L fill {q.l_fill}"
            f"  rate violations {q.rate_violations}"
        )
        lines.append(
            f"  times rebuilt {q.times_rebuilt}  exact copies dropped {q.exact_copies}"
            f"  clipped excluded {q.clipped_excluded}"
        )
        lines.append(
            f"  TOF {TOF_ARTEFACT} {q.tof_1019}  SSDID invalid {q.ssdid_invalid}"
            f"  Range 3 {q.range3}  invalid PAPS cycles {q.invalid_paps}"
        )
        lines.append(f"  time blocks: {len(f.blocks)}")
        for b in f.blocks:
            lines.append(f"    {_fmt_time(b.start)} .. {_fmt_time(b.end)}  {b.spins:6d} spins")
        lines.append("")
    lines.extend(report.repeat_lines)
    lines.append(report.summary_line)
    return "\n".join(lines)


def report_to_json(report: VerifyReport) -> dict[str, Any]:
    """The report as a JSON-serialisable dict (times as ISO strings, UT)."""
    files = []
    for f in report.files:
        files.append(
            {
                "path": f.path,
                "name": f.name,
                "status": f.status,
                "reason": f.reason,
                "day": f.day,
                "quirks": None if f.quirks is None else f.quirks.as_dict(),
                "blocks": [
                    {"start": b.start.isoformat(), "end": b.end.isoformat(), "spins": b.spins}
                    for b in f.blocks
                ],
                "warnings": list(f.warnings),
                **{k: getattr(f, k) for k in _ACROSS},
            }
        )
    return {
        "files": files,
        "summary": {
            "good": report.n_good,
            "warnings": report.n_warnings,
            "bad": report.n_bad,
            "line": report.summary_line,
            "repeats": report.repeat_lines,
        },
        "exit_code": report.exit_code,
    }


def report_from_json(data: dict[str, Any]) -> VerifyReport:
    """Inverse of :func:`report_to_json`."""
    files = []
    for f in data["files"]:
        files.append(
            FileReport(
                path=f["path"],
                name=f["name"],
                status=f["status"],
                reason=f["reason"],
                day=f["day"],
                quirks=None if f["quirks"] is None else Quirks(**f["quirks"]),
                blocks=[
                    TimeBlock(pd.Timestamp(b["start"]), pd.Timestamp(b["end"]), int(b["spins"]))
                    for b in f["blocks"]
                ],
                warnings=list(f["warnings"]),
                **{k: type(v)(f.get(k, v)) for k, v in _ACROSS.items()},
            )
        )
    return VerifyReport(files)


def list_fits_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Daily files (``*.fits.gz`` and ``*.fits``) directly in ``directory``, sorted by name."""
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory: {root}")
    found = [p for p in root.iterdir() if p.name.endswith((".fits.gz", ".fits"))]
    return sorted(found, key=lambda p: p.name)
