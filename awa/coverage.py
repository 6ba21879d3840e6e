"""What the archive holds: the build's coverage table and the quick-look atlas index (no Dash).

The store build writes ``AMPTE_CHEM_coverage.json`` (:data:`awa.chem.schema.COVERAGE_FILE`) beside
the stores: one entry per daily file with its status (good / warnings / bad), spins, cycles,
PHA events, calibration time, the blocks of continuous data and the findings of
``awa-build verify`` (duplicated spins, clipped times, bad periods...).  ``awa-build atlas``
writes ``atlas/index.json`` and one PNG (plus a thumbnail) per day.  This module reads both,
checks their shape, and summarises them; the app only reads them, never builds them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awa.chem import schema

#: Sub-folder of the data folder holding the atlas (``awa-build atlas --out DATA/atlas``).
ATLAS_DIR = "atlas"
ATLAS_INDEX = "index.json"
#: Gap between two blocks of a day that is worth listing, minutes.
GAP_MINUTES = 30.0
STATUSES = ("good", "warnings", "bad")


class CoverageMissingError(FileNotFoundError):
    """The coverage table or the atlas is absent or unreadable; the message says how to build it."""


@dataclass(frozen=True)
class Block:
    """A stretch of continuous data inside one day (UTC) and its spins."""

    start: dt.datetime
    end: dt.datetime
    spins: int


@dataclass(frozen=True)
class DayCoverage:
    """One daily file of the archive (units: counts, minutes)."""

    date: dt.date
    file: str
    status: str
    reason: str
    spins: int
    cycles: int
    calibration_cycles: int
    calibration_minutes: float
    pha_events: int
    calibration_events: int
    bad_period_spins: int
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...]
    quirks: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def has_data(self) -> bool:
        """True when the day holds at least one spin."""
        return self.spins > 0

    @property
    def gaps(self) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """Gaps longer than :data:`GAP_MINUTES` between the day's blocks and at its ends."""
        day0 = dt.datetime.combine(self.date, dt.time())
        edges = [(day0, day0)] + [(b.start, b.end) for b in self.blocks]
        edges.append((day0 + dt.timedelta(days=1), day0 + dt.timedelta(days=1)))
        out = []
        for (_, prev_end), (start, _) in zip(edges[:-1], edges[1:], strict=True):
            if (start - prev_end).total_seconds() > GAP_MINUTES * 60:
                out.append((prev_end, start))
        return tuple(out)


@dataclass(frozen=True)
class Coverage:
    """The coverage table: days in date order, the build time and the bad periods."""

    days: tuple[DayCoverage, ...]
    build_time: str
    bad_periods: tuple[dict[str, str], ...]
    undated: tuple[str, ...] = ()
    raw: dict[str, Any] = field(compare=False, hash=False, default_factory=dict)


def _need(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise CoverageMissingError(f"{where}: entry lacks '{key}'; rebuild with 'awa-build'")
    return entry[key]


def parse_coverage(data: Any, source: str = schema.COVERAGE_FILE) -> Coverage:
    """Check and convert the decoded coverage JSON.

    Raises
    ------
    CoverageMissingError
        When the content is not the coverage table (the message names what is wrong).
    """
    if not isinstance(data, dict) or not isinstance(data.get("days"), list):
        raise CoverageMissingError(f"{source} is not a coverage table (no 'days' list)")
    days = []
    undated = []
    for i, entry in enumerate(data["days"]):
        where = f"{source}, day {i}"
        if not isinstance(entry, dict):
            raise CoverageMissingError(f"{where}: not an object")
        if not entry.get("date"):  # a file whose name gives no date (unreadable file)
            undated.append(f"{entry.get('file', '?')}: {entry.get('reason', '')}".strip())
            continue
        try:
            blocks = tuple(
                Block(
                    dt.datetime.fromisoformat(b["start"]),
                    dt.datetime.fromisoformat(b["end"]),
                    int(b["spins"]),
                )
                for b in entry.get("blocks", [])
            )
            day = DayCoverage(
                date=dt.date.fromisoformat(str(_need(entry, "date", where))),
                file=str(entry.get("file", "")),
                status=str(_need(entry, "status", where)),
                reason=str(entry.get("reason", "")),
                spins=int(entry.get("spins", 0)),
                cycles=int(entry.get("cycles", 0)),
                calibration_cycles=int(entry.get("calibration_cycles", 0)),
                calibration_minutes=float(entry.get("calibration_minutes", 0.0)),
                pha_events=int(entry.get("pha_events", 0)),
                calibration_events=int(entry.get("calibration_events", 0)),
                bad_period_spins=int(entry.get("bad_period_spins", 0)),
                blocks=blocks,
                warnings=tuple(str(w) for w in entry.get("warnings", [])),
                quirks={str(k): int(v) for k, v in (entry.get("quirks") or {}).items()},
            )
        except (TypeError, ValueError, KeyError) as exc:
            raise CoverageMissingError(f"{where}: {exc}") from None
        days.append(day)
    days.sort(key=lambda d: (d.date, d.file))
    periods = tuple(p for p in data.get("bad_periods", []) if isinstance(p, dict))
    return Coverage(tuple(days), str(data.get("build_time", "")), periods, tuple(undated), data)


def read_coverage(data_dir: str | Path) -> Coverage:
    """Read the coverage table written by the store build into ``data_dir``.

    Raises
    ------
    CoverageMissingError
        The file is absent (build the stores with ``awa-build build`` / ``awa-build demo``)
        or not a coverage table.
    """
    path = Path(data_dir) / schema.COVERAGE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise CoverageMissingError(
            f"no {schema.COVERAGE_FILE} in {Path(data_dir)}: the store build writes it "
            f"('awa-build build' or 'awa-build demo')"
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CoverageMissingError(f"{path} is not valid JSON: {exc}") from None
    return parse_coverage(data, str(path))


#: The archive quirks the demo's simulator (``awa-build demo``) writes into its files on
#: purpose, so that the build and the filters have each to deal with, as in the archive.
SIMULATED_QUIRKS = (
    "clipped, repeated and out-of-order spin times", "exact copies of a spin",
    "L fill values", "rate-relation violations", "cycles with the PAPS off",
    "PHA events with TOF = 1019, an invalid SSDID or Range 3",
)  # fmt: skip
#: The ``ORIGIN`` of the primary header of a simulated daily file.
SIMULATED_ORIGIN = b"AWA simulate"


def is_simulated(data_dir: str | Path) -> bool:
    """True when the daily files beside the stores (``data_dir/fits``, where ``awa-build
    demo`` writes them) come from the simulator: the first file's primary header (its
    first 2,880-byte FITS block) names it as ``ORIGIN``.  False when there is no such file
    or it cannot be read."""
    import gzip

    files = sorted((Path(data_dir) / "fits").glob("*.fits.gz"))
    if not files:
        return False
    try:
        with gzip.open(files[0], "rb") as fh:
            return SIMULATED_ORIGIN in fh.read(2880)
    except (OSError, EOFError):
        return False


def missing_days(days: tuple[DayCoverage, ...]) -> list[tuple[dt.date, dt.date]]:
    """Runs of dates without any spins between the first and the last day with data
    (inclusive first and last missing date of each run)."""
    with_data = sorted({d.date for d in days if d.has_data})
    runs = []
    for a, b in zip(with_data[:-1], with_data[1:], strict=True):
        if (b - a).days > 1:
            runs.append((a + dt.timedelta(days=1), b - dt.timedelta(days=1)))
    return runs


def summarize(cov: Coverage) -> dict[str, Any]:
    """Totals of the archive: days by status, spins, cycles, events, calibration, gaps."""
    days = cov.days
    with_data = [d for d in days if d.has_data]
    gaps = missing_days(days)
    return {
        "files": len(days),
        "days_with_data": len(with_data),
        "first_day": with_data[0].date.isoformat() if with_data else None,
        "last_day": with_data[-1].date.isoformat() if with_data else None,
        "status": {s: sum(1 for d in days if d.status == s) for s in STATUSES},
        "spins": sum(d.spins for d in days),
        "cycles": sum(d.cycles for d in days),
        "pha_events": sum(d.pha_events for d in days),
        "calibration_minutes": round(sum(d.calibration_minutes for d in days), 2),
        "bad_period_spins": sum(d.bad_period_spins for d in days),
        "missing_days": sum((b - a).days + 1 for a, b in gaps),
        "missing_runs": [[a.isoformat(), b.isoformat()] for a, b in gaps],
        "undated_files": list(cov.undated),
        "build_time": cov.build_time,
    }


def browse_link(day: dt.date) -> str:
    """URL of the data browser on ``day`` (``/?t=YYYY-DDD``, the app's time grammar)."""
    return f"/?t={day.year:04d}-{day.timetuple().tm_yday:03d}"


# ---------------------------------------------------------------------------------------
# Atlas index
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AtlasDay:
    """One day of the atlas: its image and thumbnail (paths relative to the atlas folder)."""

    date: dt.date
    image: str
    thumb: str
    science_data: bool


def _safe_relative(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def read_atlas_index(data_dir: str | Path) -> tuple[AtlasDay, ...]:
    """Days of the atlas in ``data_dir/atlas`` (date order), from ``index.json``.

    Raises
    ------
    CoverageMissingError
        When the atlas is absent (``awa-build atlas --data DIR --out DIR/atlas`` makes it)
        or its index is malformed.
    """
    folder = Path(data_dir) / ATLAS_DIR
    path = folder / ATLAS_INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise CoverageMissingError(
            f"no atlas in {folder}: render it with 'awa-build atlas --data {Path(data_dir)} "
            f"--out {folder}' (or 'awa-build demo')"
        ) from None
    except ValueError as exc:
        raise CoverageMissingError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("days"), list):
        raise CoverageMissingError(f"{path} is not an atlas index (no 'days' list)")
    out = []
    for entry in data["days"]:
        try:
            day = AtlasDay(
                dt.date.fromisoformat(str(entry["date"])),
                str(entry["image"]),
                str(entry["thumb"]),
                bool(entry.get("science_data", True)),
            )
        except (TypeError, ValueError, KeyError) as exc:
            raise CoverageMissingError(f"{path}: bad entry {entry!r}: {exc}") from None
        if not (_safe_relative(day.image) and _safe_relative(day.thumb)):
            raise CoverageMissingError(f"{path}: image paths must stay inside the atlas folder")
        out.append(day)
    return tuple(sorted(out, key=lambda d: d.date))


def atlas_months(days: tuple[AtlasDay, ...]) -> list[str]:
    """Months (``YYYY-MM``) holding at least one atlas day, in order."""
    return sorted({f"{d.date.year:04d}-{d.date.month:02d}" for d in days})


def parse_month(text: str | None) -> tuple[int, int] | None:
    """``YYYY-MM`` -> (year, month); None when empty or malformed."""
    t = (text or "").strip()
    try:
        year, month = (int(p) for p in t.split("-"))
    except ValueError:
        return None
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year, month
