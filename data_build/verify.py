"""Verification report over daily CHEM FITS files (issue section 6, spec section 2 quirks).

In the spirit of a tape-verification summary: for every file (one UT day) the contiguous time
blocks, the cycle count and every quirk the reader met, a status (``good``, ``warnings``,
``bad``) and, for unreadable files, the reason.  The text form ends with one line
``N good, M with warnings, K bad``; :attr:`VerifyReport.exit_code` is non-zero when any file
is bad.  One bad file never stops the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from awa.chem import days
from awa.chem.schema import TOF_ARTEFACT
from data_build.fits import BadFileError, DayData, Quirks, read_day

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
]

GOOD = "good"
WARNINGS = "warnings"
BAD = "bad"
#: Consecutive spins further apart than this (s) start a new time block.
MAX_GAP_SECONDS = 60

#: Quirk counters that make a readable file "with warnings", with their wording.
WARNING_COUNTERS: dict[str, str] = {
    "clipped_times": "clipped times",
    "duplicate_spins": "duplicated spins",
    "out_of_order_spins": "out-of-order spins",
    "l_fill": "L fill values",
    "rate_violations": "rate-relation violations",
}


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
    """

    path: str
    name: str
    status: str
    reason: str = ""
    day: str = ""
    quirks: Quirks | None = None
    blocks: list[TimeBlock] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
    if quirks.n_spins == 0:
        warnings.insert(0, "no spins")
    day_iso = named_day(day.source)
    if not day_iso and blocks:
        day_iso = blocks[0].start.date().isoformat()
    return FileReport(
        path=path if path is not None else day.source,
        name=day.source,
        status=WARNINGS if warnings else GOOD,
        day=day_iso,
        quirks=quirks,
        blocks=blocks,
        warnings=warnings,
    )


def verify_file(path: str | os.PathLike[str]) -> FileReport:
    """Read and verify one file; an unreadable file gives status :data:`BAD` with the reason."""
    name = os.path.basename(os.fspath(path))
    if days.is_day_file(name):
        try:
            days.day_of_file(name)
        except days.DayError as exc:
            return FileReport(str(path), name, BAD, reason=exc.reason)
    try:
        day = read_day(path)
    except BadFileError as exc:
        return FileReport(str(path), name, BAD, reason=exc.reason, day=named_day(name))
    except Exception as exc:  # one broken file must never stop the run
        reason = f"unexpected {type(exc).__name__}: {exc}"
        return FileReport(str(path), name, BAD, reason=reason, day=named_day(name))
    return verify_day(day, path=str(path))


def verify_files(paths: Iterable[str | os.PathLike[str]]) -> VerifyReport:
    """Verify each file in turn (order kept); see :func:`verify_file`."""
    return VerifyReport([verify_file(p) for p in paths])


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


def _fmt_time(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def format_report(report: VerifyReport) -> str:
    """The report as text for a person; the last line is ``N good, M with warnings, K bad``."""
    lines = [f"AWA FITS verification: {len(report.files)} file(s)", ""]
    for f in report.files:
        day = f" {f.day}" if f.day else ""
        if f.status == BAD or f.quirks is None:
            lines.append(f"{f.name}{day}  BAD: {f.reason}")
            lines.append("")
            continue
        q = f.quirks
        head = "good" if f.status == GOOD else "WARNINGS: " + "; ".join(f.warnings)
        lines.append(f"{f.name}{day}  {head}")
        lines.append(
            f"  spins {q.n_spins}  cycles {q.n_cycles} (calibration {q.calibration_cycles})"
            f"  events {q.n_events}  empty PHA slots {q.empty_pha_slots}"
        )
        lines.append(
            f"  duplicated {q.duplicate_spins}  out-of-order {q.out_of_order_spins}"
            f"  clipped {q.clipped_times}  L fill {q.l_fill}"
            f"  rate violations {q.rate_violations}"
        )
        lines.append(
            f"  TOF {TOF_ARTEFACT} {q.tof_1019}  SSDID invalid {q.ssdid_invalid}"
            f"  Range 3 {q.range3}  invalid PAPS cycles {q.invalid_paps}"
        )
        lines.append(f"  time blocks: {len(f.blocks)}")
        for b in f.blocks:
            lines.append(f"    {_fmt_time(b.start)} .. {_fmt_time(b.end)}  {b.spins:6d} spins")
        lines.append("")
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
            }
        )
    return {
        "files": files,
        "summary": {
            "good": report.n_good,
            "warnings": report.n_warnings,
            "bad": report.n_bad,
            "line": report.summary_line,
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
