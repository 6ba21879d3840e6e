"""The typed filter model of AWA, the time-range grammar, and URL (de)serialisation.

Everything a user types or a URL carries is parsed here, once, into frozen dataclasses of
numbers, enums and datetimes.  Nothing downstream sees raw text, and no user text ever
reaches a PyTables ``where`` expression.  A malformed value raises :class:`FilterError`,
whose message names the control and says what is accepted.

Time grammar (all times naive UTC; ranges are half-open ``[start, end)``):

- ISO: ``1986-02-09T00:00/1986-02-10T12:00``; a date alone as start is 00:00, as end it
  is the end of that day (``1986-02-09/1986-02-10`` covers two days); one ISO date alone is
  that whole day.
- Day of year: ``1986-040-0000:1986-041-1200`` (``YYYY-DDD-HHMM[SS]``), with short ends
  ``1986-040-0000:041-1200`` (same year) and ``1986-040-0600:1200`` (same day); an end with
  no time of day is the end of that day (``1986-040:042`` covers days 40-42); ``2400`` is
  accepted as an end time; ``1986-040`` alone is the whole day and ``1986`` the whole year.
- Several ranges are separated by ``;``, ``,`` or new lines; they are sorted and merged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

from awa.chem.schema import DPU_MODES, N_ME_BOXES, PAPS_KV, PHA_PRIORITIES, TAC_SLOPES

T = TypeVar("T")

TIME_FORMS = (
    "ISO '1986-02-09T00:00/1986-02-10T12:00', day of year '1986-040-0000:1986-041-1200' "
    "(short ends '041-1200' same year, '1200' same day), a whole day '1986-040' or "
    "'1986-02-09', a whole year '1986'; separate several ranges with ';'"
)
YEAR_MIN, YEAR_MAX = 1960, 2100


class FilterError(ValueError):
    """A control or URL parameter holds a value that is not accepted.

    Parameters
    ----------
    name : str
        The control (URL parameter) at fault.
    message : str
        What is wrong and what is accepted.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


# ---------------------------------------------------------------------------------------
# Time ranges
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class TimeRange:
    """A half-open UTC time interval ``[start, end)`` (naive datetimes, UTC)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise FilterError("time", f"range end {self.end} is not after its start {self.start}")

    @property
    def seconds(self) -> float:
        """Length of the range, s."""
        return (self.end - self.start).total_seconds()


_DOY_FULL = re.compile(r"^(\d{4})-(\d{3})(?:-(\d{2})(\d{2})(\d{2})?)?$")
_DOY_SAME_YEAR = re.compile(r"^(\d{3})(?:-(\d{2})(\d{2})(\d{2})?)?$")
_DOY_SAME_DAY = re.compile(r"^(\d{2})(\d{2})(\d{2})?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_YEAR = re.compile(r"^(\d{4})$")


def _year(text: str) -> int:
    year = int(text)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise FilterError("time", f"year {year} is outside {YEAR_MIN}-{YEAR_MAX}")
    return year


def _day_start(year: int, doy: int) -> datetime:
    ndays = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
    if not 1 <= doy <= ndays:
        raise FilterError("time", f"day of year {doy:03d} is outside 001-{ndays} in {year}")
    return datetime(year, 1, 1) + timedelta(days=doy - 1)


def _clock(day: datetime, hh: str | None, mm: str | None, ss: str | None, end: bool) -> datetime:
    """Add a time of day to ``day``; no time means 00:00 (start) or the day's end (end)."""
    if hh is None:
        return day + timedelta(days=1) if end else day
    h, m, s = int(hh), int(mm or 0), int(ss or 0)
    if end and h == 24 and m == 0 and s == 0:
        return day + timedelta(days=1)
    if h > 23 or m > 59 or s > 59:
        raise FilterError("time", f"time of day {hh}:{mm}:{ss or '00'} is not a valid clock time")
    return day + timedelta(hours=h, minutes=m, seconds=s)


def _parse_iso(text: str, end: bool) -> datetime:
    m = _ISO.match(text)
    if not m:
        raise FilterError("time", f"{text!r} is not an ISO time; accepted: {TIME_FORMS}")
    y, mo, d, hh, mi, ss = m.groups()
    try:
        day = datetime(_year(y), int(mo), int(d))
    except ValueError:
        raise FilterError("time", f"{text!r} is not a calendar date") from None
    return _clock(day, hh, mi, ss, end)


def _parse_doy_start(text: str) -> tuple[datetime, datetime]:
    """Parse a full DOY time; return it and the start of its day."""
    m = _DOY_FULL.match(text)
    if not m:
        raise FilterError("time", f"{text!r} is not a day-of-year time; accepted: {TIME_FORMS}")
    y, doy, hh, mm, ss = m.groups()
    day = _day_start(_year(y), int(doy))
    return _clock(day, hh, mm, ss, end=False), day


def _parse_doy_end(text: str, start_day: datetime) -> datetime:
    if m := _DOY_FULL.match(text):
        y, doy, hh, mm, ss = m.groups()
        return _clock(_day_start(_year(y), int(doy)), hh, mm, ss, end=True)
    if m := _DOY_SAME_YEAR.match(text):
        doy, hh, mm, ss = m.groups()
        return _clock(_day_start(start_day.year, int(doy)), hh, mm, ss, end=True)
    if m := _DOY_SAME_DAY.match(text):
        hh, mm, ss = m.groups()
        return _clock(start_day, hh, mm, ss, end=True)
    raise FilterError("time", f"{text!r} is not a day-of-year range end; accepted: {TIME_FORMS}")


def parse_time_range(text: str) -> TimeRange:
    """Parse one time range written in the ISO or day-of-year grammar (module docstring).

    Parameters
    ----------
    text : str
        One range, e.g. ``1986-040-0000:1986-041-1200``.

    Returns
    -------
    TimeRange
        Half-open UTC interval.

    Raises
    ------
    FilterError
        With the accepted forms, when ``text`` is not one of them.
    """
    s = text.strip()
    if not s:
        raise FilterError("time", f"empty time range; accepted: {TIME_FORMS}")
    if "/" in s:
        parts = s.split("/")
        if len(parts) != 2:
            raise FilterError("time", f"{text!r} has more than one '/'; accepted: {TIME_FORMS}")
        return TimeRange(_parse_iso(parts[0].strip(), False), _parse_iso(parts[1].strip(), True))
    if ":" in s and not _ISO.match(s):
        parts = s.split(":")
        if len(parts) != 2:
            raise FilterError("time", f"{text!r} has more than one ':'; accepted: {TIME_FORMS}")
        start, day = _parse_doy_start(parts[0].strip())
        return TimeRange(start, _parse_doy_end(parts[1].strip(), day))
    if _YEAR.match(s):
        year = _year(s)
        return TimeRange(datetime(year, 1, 1), datetime(year + 1, 1, 1))
    if _ISO.match(s):
        day = _parse_iso(s, False)
        if _ISO.match(s).group(4) is None:  # type: ignore[union-attr]
            return TimeRange(day, day + timedelta(days=1))
        raise FilterError(
            "time", f"{text!r} is a single instant, not a range; accepted: {TIME_FORMS}"
        )
    if _DOY_FULL.match(s):
        start, day = _parse_doy_start(s)
        if start != day:
            raise FilterError(
                "time", f"{text!r} is a single instant, not a range; accepted: {TIME_FORMS}"
            )
        return TimeRange(day, day + timedelta(days=1))
    raise FilterError("time", f"{text!r} is not a time range; accepted: {TIME_FORMS}")


def merge_time_ranges(ranges: Iterable[TimeRange]) -> tuple[TimeRange, ...]:
    """Sort ranges and merge those that overlap or touch."""
    out: list[TimeRange] = []
    for r in sorted(ranges):
        if out and r.start <= out[-1].end:
            if r.end > out[-1].end:
                out[-1] = TimeRange(out[-1].start, r.end)
        else:
            out.append(r)
    return tuple(out)


def parse_time_ranges(text: str) -> tuple[TimeRange, ...]:
    """Parse one or more ranges separated by ``;``, ``,`` or new lines; sorted and merged."""
    tokens = [t for t in re.split(r"[;,\n]+", text or "") if t.strip()]
    return merge_time_ranges(parse_time_range(t) for t in tokens)


def format_time(t: datetime) -> str:
    """Format a time in the day-of-year form ``YYYY-DDD-HHMM[SS]``."""
    base = f"{t.year:04d}-{t.timetuple().tm_yday:03d}-{t.hour:02d}{t.minute:02d}"
    return base + (f"{t.second:02d}" if t.second else "")


def format_time_range(r: TimeRange) -> str:
    """Format a range in the canonical day-of-year form ``YYYY-DDD-HHMM:YYYY-DDD-HHMM``."""
    return f"{format_time(r.start)}:{format_time(r.end)}"


def format_time_ranges(ranges: Iterable[TimeRange]) -> str:
    """Format ranges joined by ``; `` (parses back to the same tuple)."""
    return "; ".join(format_time_range(r) for r in ranges)


def format_iso_range(r: TimeRange) -> str:
    """Format a range as ``YYYY-MM-DDTHH:MM:SS/YYYY-MM-DDTHH:MM:SS``."""
    return f"{r.start.isoformat()}/{r.end.isoformat()}"


# ---------------------------------------------------------------------------------------
# Numbers, ranges and sets
# ---------------------------------------------------------------------------------------

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_PAIR = re.compile(rf"^\s*({_NUM})\s*(?:,|\.\.|:|to|-|\s)\s*({_NUM})\s*$")
_HHMM_PAIR = re.compile(r"^\s*(\d{1,2}):?(\d{2})\s*(?:,|\.\.|-|to|\s)\s*(\d{1,2}):?(\d{2})\s*$")


def parse_range(
    text: str, name: str, lo: float, hi: float, integer: bool = False, ordered: bool = True
) -> tuple[float, float]:
    """Parse ``"a,b"`` (or ``a-b``, ``a..b``, ``a to b``) into two numbers within ``[lo, hi]``.

    Raises
    ------
    FilterError
        When the text is not two numbers, a number is out of bounds, or (``ordered``) a > b.
    """
    m = _PAIR.match(text or "")
    accepted = f"two numbers 'low,high' between {lo:g} and {hi:g}"
    if not m:
        raise FilterError(name, f"{text!r} is not a range; accepted: {accepted}")
    a, b = float(m.group(1)), float(m.group(2))
    if integer and (a != int(a) or b != int(b)):
        raise FilterError(name, f"{text!r}: whole numbers only; accepted: {accepted}")
    for v in (a, b):
        if not lo <= v <= hi:
            raise FilterError(name, f"{v:g} is outside {lo:g}..{hi:g}; accepted: {accepted}")
    if ordered and a > b:
        raise FilterError(name, f"low {a:g} is above high {b:g}")
    return (a, b)


def parse_mlt(text: str) -> tuple[float, float]:
    """Parse an MLT range ``HHMM-HHMM`` (``2200-0400`` wraps through midnight) into hours."""
    m = _HHMM_PAIR.match(text or "")
    accepted = "'HHMM-HHMM' from 0000 to 2400, e.g. 2200-0400 (wraps through midnight)"
    if not m:
        raise FilterError("mlt", f"{text!r} is not an MLT range; accepted: {accepted}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    out = []
    for h, mi in ((h1, m1), (h2, m2)):
        if mi > 59 or h > 24 or (h == 24 and mi != 0):
            raise FilterError("mlt", f"{h:02d}{mi:02d} is not a clock time; accepted: {accepted}")
        out.append(h + mi / 60.0)
    return (out[0], out[1])


def format_mlt(r: tuple[float, float]) -> str:
    """Format an MLT range in hours as ``HHMM-HHMM``."""

    def hhmm(h: float) -> str:
        minutes = int(round(h * 60))
        return f"{minutes // 60:02d}{minutes % 60:02d}"

    return f"{hhmm(r[0])}-{hhmm(r[1])}"


def parse_int_set(text: str | Iterable[Any], name: str, allowed: Iterable[int]) -> tuple[int, ...]:
    """Parse ``"0,2"`` (or a list from a checklist) into a sorted tuple of allowed integers."""
    allowed_set = sorted(set(allowed))
    accepted = "a comma-separated list of " + ", ".join(str(a) for a in allowed_set)
    items: list[Any]
    if isinstance(text, str):
        items = [t for t in re.split(r"[,\s;]+", text.strip()) if t]
    else:
        items = list(text)
    out = set()
    for item in items:
        try:
            value = int(str(item).strip())
        except ValueError:
            raise FilterError(
                name, f"{item!r} is not a whole number; accepted: {accepted}"
            ) from None
        if value not in allowed_set:
            raise FilterError(name, f"{value} is not allowed; accepted: {accepted}")
        out.add(value)
    return tuple(sorted(out))


def parse_float(text: str, name: str, lo: float, hi: float) -> float:
    """Parse one number within ``[lo, hi]``."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise FilterError(name, f"{text!r} is not a number between {lo:g} and {hi:g}") from None
    if not (lo <= value <= hi):  # also rejects NaN
        raise FilterError(name, f"{value:g} is outside {lo:g}..{hi:g}")
    return value


def parse_int(text: str, name: str, lo: int, hi: int) -> int:
    """Parse one whole number within ``[lo, hi]``."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise FilterError(name, f"{text!r} is not a whole number from {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise FilterError(name, f"{value} is outside {lo}..{hi}")
    return value


def parse_bool(text: str, name: str) -> bool:
    """Parse ``1/0``, ``true/false``, ``yes/no``, ``on/off``."""
    t = str(text).strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise FilterError(name, f"{text!r} is not a switch; accepted: 1 or 0")


def _fmt_num(x: float) -> str:
    return f"{x:g}"


def _fmt_pair(p: tuple[float, float]) -> str:
    return f"{_fmt_num(p[0])},{_fmt_num(p[1])}"


# ---------------------------------------------------------------------------------------
# The filter (what events are selected) and the view options (how they are drawn)
# ---------------------------------------------------------------------------------------

RATE_NAMES = ("FSR", "DCR", "TCR", "SSD")
SSD_IDS = (0, 1, 2, 3, 4, 5)
PHA_RANGES = (0, 1, 2, 3)
PAPS_LEVELS = (-1, 0, 1, 2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class SweepLimit:
    """Exclude whole voltage sweeps in which ``rate`` exceeds ``limit`` at voltage ``step``.

    Attributes
    ----------
    rate : str
        One of FSR, DCR, TCR, SSD.
    limit : float
        Counts per spin.
    step : int
        E/Q voltage step 0-63 at which the rate is tested.
    """

    rate: str
    limit: float
    step: int

    def __post_init__(self) -> None:
        if self.rate not in RATE_NAMES:
            raise FilterError("sweep", f"rate {self.rate!r} is not one of {', '.join(RATE_NAMES)}")
        if not 0 <= self.step <= 63:
            raise FilterError("sweep", f"voltage step {self.step} is outside 0..63")
        if not self.limit >= 0:
            raise FilterError("sweep", f"limit {self.limit} must be >= 0")


def parse_sweep(text: str) -> SweepLimit | None:
    """Parse ``RATE,LIMIT,STEP`` (e.g. ``DCR,5000,12``); empty text means no sweep filter."""
    t = (text or "").strip()
    if not t:
        return None
    parts = [p.strip() for p in re.split(r"[,;\s]+", t) if p.strip()]
    accepted = "'RATE,LIMIT,STEP' with RATE one of FSR, DCR, TCR, SSD, e.g. DCR,5000,12"
    if len(parts) != 3:
        raise FilterError("sweep", f"{text!r} is not a sweep filter; accepted: {accepted}")
    rate = parts[0].upper()
    limit = parse_float(parts[1], "sweep", 0, 1e12)
    step = parse_float(parts[2], "sweep", 0, 63)
    if step != int(step):
        raise FilterError("sweep", f"voltage step {parts[2]!r} must be a whole number 0-63")
    return SweepLimit(rate, limit, int(step))


@dataclass(frozen=True)
class Selection:
    """Which PHA events are selected (hashable: query results are memoized on it).

    Ranges are inclusive ``(low, high)``; ``None`` means no restriction.  MLT is in hours and
    wraps through midnight when low > high.  Sets are sorted tuples of codes (schema.py).
    """

    times: tuple[TimeRange, ...] = ()
    l_range: tuple[float, float] | None = (2.0, 10.0)
    vstep_range: tuple[float, float] | None = None
    mlt_range: tuple[float, float] | None = None
    dst_range: tuple[float, float] | None = None
    kp_range: tuple[float, float] | None = None
    ssd_ids: tuple[int, ...] | None = None
    pha_ranges: tuple[int, ...] | None = None
    paps_levels: tuple[int, ...] | None = None
    dpu_modes: tuple[int, ...] | None = (0, 2)
    tac_slopes: tuple[int, ...] | None = (0,)
    pha_priorities: tuple[int, ...] | None = (78,)
    triples_only: bool = False
    reject_tof1019: bool = True
    reject_range3: bool = True
    reject_ssd_high: bool = True
    sum_br_le_dcr: bool = False
    br2_le_tcr: bool = False
    rn_le_brn: bool = False
    max_br0: float | None = None
    max_br1: float | None = None
    max_br2: float | None = None
    sweep: SweepLimit | None = None

    @property
    def needs_rates(self) -> bool:
        """True when any filter needs per-spin values from the rates store."""
        return bool(
            self.dst_range
            or self.kp_range
            or self.sum_br_le_dcr
            or self.br2_le_tcr
            or self.rn_le_brn
            or self.max_br0 is not None
            or self.max_br1 is not None
            or self.max_br2 is not None
            or self.sweep
        )

    def describe(self) -> str:
        """A one-line caption of the active filters (time ranges excluded)."""
        parts: list[str] = []
        if self.l_range:
            parts.append(f"L {_fmt_num(self.l_range[0])}-{_fmt_num(self.l_range[1])}")
        if self.vstep_range:
            parts.append(f"E/Q step {self.vstep_range[0]:g}-{self.vstep_range[1]:g}")
        if self.mlt_range:
            parts.append(f"MLT {format_mlt(self.mlt_range)}")
        if self.dst_range:
            parts.append(f"Dst {self.dst_range[0]:g}..{self.dst_range[1]:g} nT")
        if self.kp_range:
            parts.append(f"Kp {self.kp_range[0]:g}-{self.kp_range[1]:g}")
        for label, value in (
            ("SSD", self.ssd_ids),
            ("Range", self.pha_ranges),
            ("PAPS", self.paps_levels),
            ("DPU", self.dpu_modes),
            ("TAC", self.tac_slopes),
        ):
            if value is not None:
                parts.append(f"{label} {','.join(str(v) for v in value) or 'none'}")
        if self.pha_priorities is not None:
            codes = ",".join(PHA_PRIORITIES.get(v, str(v))[0] for v in self.pha_priorities)
            parts.append(f"priority {codes or 'none'}")
        if self.triples_only:
            parts.append("triples only")
        rejects = [
            name
            for name, on in (
                ("TOF=1019", self.reject_tof1019),
                ("Range 3", self.reject_range3),
                ("SSDID>=4", self.reject_ssd_high),
            )
            if on
        ]
        if rejects:
            parts.append("reject " + ", ".join(rejects))
        if self.sum_br_le_dcr:
            parts.append("ΣBR<=DCR")
        if self.br2_le_tcr:
            parts.append("BR2<=TCR")
        if self.rn_le_brn:
            parts.append("Rn<=BRn")
        for n, v in enumerate((self.max_br0, self.max_br1, self.max_br2)):
            if v is not None:
                parts.append(f"BR{n}<={v:g}")
        if self.sweep:
            s = self.sweep
            parts.append(f"drop sweeps with {s.rate}>{s.limit:g} at step {s.step}")
        return "; ".join(parts)


ET_UNITS = ("channel", "physical")
PLOT_MODES = ("heatmap", "scatter")
SCATTER_COLORS = ("Range", "SSDID", "Sector")
TIMELINE_PANELS = (
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2", "R/BR",
    "L", "MLT", "MAGLAT", "PAPS", "VSTEP", "DPU", "TAC", "PRIORITY", "ME",
)  # fmt: skip
IMAGE_FORMATS = ("png", "svg")
TABS = ("explore", "me", "upload")

#: Box numbers of the ME grid (ME 491-511 are not boxes, spec section 6).
ALL_BOXES: tuple[int, ...] = tuple(range(N_ME_BOXES))
BOXES_FORMS = "box numbers 0-490 and ranges such as 252-256, separated by commas"
ME_COLOUR_MAX = 1e15
ME_AXIS_LIMITS = (0.01, 1000.0)


def parse_boxes(text: str | None, name: str = "boxes") -> tuple[int, ...]:
    """Parse a list of ME boxes such as ``"55, 90, 252-256"`` (``all`` or empty: every box).

    Parameters
    ----------
    text : str or None
        Box numbers 0-490 and inclusive ranges ``a-b``, separated by commas or spaces
        (spec section 6).
    name : str
        Control (URL parameter) named in messages.

    Returns
    -------
    tuple of int
        Sorted, distinct box numbers.

    Raises
    ------
    FilterError
        A number outside 0-490 or a malformed item (the message says what is accepted).
    """
    t = (text or "").strip().lower()
    if t in ("", "all"):
        return ALL_BOXES
    out: set[int] = set()
    for item in (p for p in re.split(r"[,;\s]+", t) if p):
        m = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", item)
        if m is None:
            raise FilterError(name, f"{item!r} is not a box; accepted: {BOXES_FORMS}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > hi or hi >= N_ME_BOXES:
            raise FilterError(name, f"{item!r} is outside 0-490; accepted: {BOXES_FORMS}")
        out.update(range(lo, hi + 1))
    return tuple(sorted(out))


def format_boxes(boxes: Iterable[int]) -> str:
    """Inverse of :func:`parse_boxes`: runs of consecutive boxes as ``a-b`` (``all``)."""
    values = sorted(set(boxes))
    if tuple(values) == ALL_BOXES:
        return "all"
    parts: list[str] = []
    start = 0
    for i in range(1, len(values) + 1):  # at most 491 boxes
        if i == len(values) or values[i] != values[i - 1] + 1:
            a, b = values[start], values[i - 1]
            parts.append(str(a) if a == b else f"{a}-{b}")
            start = i
    return ",".join(parts)


def parse_window(text: str | None, name: str, lo: float, hi: float) -> tuple[float, float] | None:
    """Parse ``"low,high"`` (also ``low high``, ``1e4``) with ``lo <= low < high <= hi``.

    Empty text, ``auto`` and ``all`` give None (automatic limits, the whole grid).

    Raises
    ------
    FilterError
        When the text is not two finite numbers in order inside ``[lo, hi]``.
    """
    t = (text or "").strip().lower()
    if t in ("", "auto", "all", "any", "none"):
        return None
    accepted = f"two numbers 'low,high' with {lo:g} <= low < high <= {hi:g}, or auto"
    parts = [p for p in re.split(r"[,;\s]+", t) if p]
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise FilterError(name, f"{text!r} is not a range; accepted: {accepted}") from None
    if not (lo <= a <= hi and lo <= b <= hi):  # also rejects NaN and infinities
        raise FilterError(name, f"{text!r} is out of bounds; accepted: {accepted}")
    if not a < b:
        raise FilterError(name, f"low {a:g} is not below high {b:g}; accepted: {accepted}")
    return (a, b)


def format_exact(x: float) -> str:
    """Shortest text that parses back to exactly ``x`` (``10000``, ``0.1``, ``1e-05``)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def _fmt_window(v: tuple[float, float] | None) -> str:
    return "all" if v is None else f"{format_exact(v[0])},{format_exact(v[1])}"


@dataclass(frozen=True)
class MeOptions:
    """How the matrix-element view is drawn (URL keys ``mez``, ``mex``, ``mey``, ``boxes``).

    Attributes
    ----------
    z_range : (float, float) or None
        Colour limits, counts summed over the cycles (None: 1 to the largest box).
    mpq_range, mass_range : (float, float) or None
        Axis window in amu/e and amu (None: the whole grid, spec section 6).
    boxes : tuple of int
        ME boxes 0-490 summed by the ME timeline (sorted, distinct).
    """

    z_range: tuple[float, float] | None = None
    mpq_range: tuple[float, float] | None = None
    mass_range: tuple[float, float] | None = None
    boxes: tuple[int, ...] = ALL_BOXES


@dataclass(frozen=True)
class ViewOptions:
    """How the selection is drawn (axis ranges, bins, scales, panels)."""

    et_bin: int = 8
    et_x: tuple[float, float] = (0.0, 1023.0)
    et_y: tuple[float, float] = (0.0, 1023.0)
    et_units: str = "channel"
    et_mode: str = "heatmap"
    z_range: tuple[float, float] | None = None
    scatter_color: str = "Range"
    mmq_binx: float = 0.02
    mmq_biny: float = 0.02
    mmq_x: tuple[float, float] = (0.5, 60.0)
    mmq_y: tuple[float, float] = (0.5, 60.0)
    mmq_norm: bool = False
    mmq_refs: bool = True
    mmq_mode: str = "heatmap"
    panels: tuple[str, ...] = ("FSR", "DCR", "TCR", "SSD", "L")
    log_rates: bool = True
    storm_dst: float = -100.0
    image_format: str = "png"
    tab: str = "explore"
    me: MeOptions = field(default_factory=MeOptions)


@dataclass(frozen=True)
class AppState:
    """Everything the URL carries: the selection and the view options."""

    selection: Selection = field(default_factory=Selection)
    view: ViewOptions = field(default_factory=ViewOptions)


# ---------------------------------------------------------------------------------------
# URL parameters: one table says, for each key, where it lives and how it is (de)serialised
# ---------------------------------------------------------------------------------------


def _opt(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    def inner(text: str) -> T | None:
        t = str(text).strip().lower()
        return None if t in ("", "all", "any", "none") else parse(text)

    return inner


def _opt_set(name: str, allowed: Iterable[int]) -> Callable[[str], tuple[int, ...] | None]:
    allowed_t = tuple(allowed)

    def inner(text: str) -> tuple[int, ...] | None:
        if str(text).strip().lower() in ("all", "any"):
            return None
        return parse_int_set(text, name, allowed_t)

    return inner


def _fmt_set(v: tuple[int, ...] | None) -> str:
    return "all" if v is None else ",".join(str(x) for x in v)


def _fmt_opt_pair(v: tuple[float, float] | None) -> str:
    return "all" if v is None else _fmt_pair(v)


def _fmt_opt_num(v: float | None) -> str:
    return "none" if v is None else _fmt_num(v)


def _fmt_bool(v: bool) -> str:
    return "1" if v else "0"


def _choice(name: str, options: tuple[str, ...]) -> Callable[[str], str]:
    def inner(text: str) -> str:
        t = str(text).strip()
        for o in options:
            if t.lower() == o.lower():
                return o
        raise FilterError(name, f"{text!r} is not one of {', '.join(options)}")

    return inner


def _panels(text: str) -> tuple[str, ...]:
    items = [t for t in re.split(r"[,;\s]+", str(text).strip()) if t]
    out = []
    lookup = {p.lower(): p for p in TIMELINE_PANELS}
    for item in items:
        if item.lower() not in lookup:
            raise FilterError(
                "panels", f"{item!r} is not a panel; accepted: {', '.join(TIMELINE_PANELS)}"
            )
        if lookup[item.lower()] not in out:
            out.append(lookup[item.lower()])
    return tuple(out)


@dataclass(frozen=True)
class Param:
    """One URL parameter: its key, the dataclass field it fills, its parser and formatter."""

    key: str
    target: str  # "selection", "view" or "me" (the view's MeOptions)
    attr: str
    parse: Callable[[str], Any]
    fmt: Callable[[Any], str]
    label: str


PARAMS: tuple[Param, ...] = (
    Param("t", "selection", "times", parse_time_ranges, format_time_ranges, "time"),
    Param("L", "selection", "l_range",
          _opt(lambda s: parse_range(s, "L", 0, 20)), _fmt_opt_pair, "L range"),
    Param("vs", "selection", "vstep_range",
          _opt(lambda s: parse_range(s, "vs", 0, 63, integer=True)), _fmt_opt_pair,
          "E/Q voltage steps"),
    Param("mlt", "selection", "mlt_range", _opt(parse_mlt),
          lambda v: "all" if v is None else format_mlt(v), "MLT (HHMM)"),
    Param("dst", "selection", "dst_range",
          _opt(lambda s: parse_range(s, "dst", -2000, 500)), _fmt_opt_pair, "Dst, nT"),
    Param("kp", "selection", "kp_range",
          _opt(lambda s: parse_range(s, "kp", 0, 9)), _fmt_opt_pair, "Kp"),
    Param("ssd", "selection", "ssd_ids", _opt_set("ssd", SSD_IDS), _fmt_set, "SSD ids"),
    Param("rng", "selection", "pha_ranges", _opt_set("rng", PHA_RANGES), _fmt_set, "PHA ranges"),
    Param("paps", "selection", "paps_levels", _opt_set("paps", PAPS_LEVELS), _fmt_set,
          "PAPS levels"),
    Param("dpu", "selection", "dpu_modes", _opt_set("dpu", DPU_MODES), _fmt_set, "DPU modes"),
    Param("tac", "selection", "tac_slopes", _opt_set("tac", TAC_SLOPES), _fmt_set,
          "TAC slopes"),
    Param("prio", "selection", "pha_priorities", _opt_set("prio", PHA_PRIORITIES), _fmt_set,
          "PHA priority"),
    Param("tri", "selection", "triples_only", lambda s: parse_bool(s, "tri"), _fmt_bool,
          "triples only"),
    Param("r1019", "selection", "reject_tof1019", lambda s: parse_bool(s, "r1019"), _fmt_bool,
          "reject TOF = 1019"),
    Param("r3", "selection", "reject_range3", lambda s: parse_bool(s, "r3"), _fmt_bool,
          "reject Range 3"),
    Param("rssd", "selection", "reject_ssd_high", lambda s: parse_bool(s, "rssd"), _fmt_bool,
          "reject SSDID >= 4"),
    Param("brdcr", "selection", "sum_br_le_dcr", lambda s: parse_bool(s, "brdcr"), _fmt_bool,
          "sum BR <= DCR"),
    Param("br2tcr", "selection", "br2_le_tcr", lambda s: parse_bool(s, "br2tcr"), _fmt_bool,
          "BR2 <= TCR"),
    Param("rnbrn", "selection", "rn_le_brn", lambda s: parse_bool(s, "rnbrn"), _fmt_bool,
          "R_n <= BR_n"),
    Param("br0max", "selection", "max_br0", _opt(lambda s: parse_float(s, "br0max", 0, 1e12)),
          _fmt_opt_num, "max BR0"),
    Param("br1max", "selection", "max_br1", _opt(lambda s: parse_float(s, "br1max", 0, 1e12)),
          _fmt_opt_num, "max BR1"),
    Param("br2max", "selection", "max_br2", _opt(lambda s: parse_float(s, "br2max", 0, 1e12)),
          _fmt_opt_num, "max BR2"),
    Param("sweep", "selection", "sweep", parse_sweep,
          lambda v: "" if v is None else f"{v.rate},{_fmt_num(v.limit)},{v.step}",
          "sweep rate filter"),
    Param("etbin", "view", "et_bin",
          lambda s: parse_int(s, "etbin", 1, 256), str,
          "E-T bin width, channels"),
    Param("etx", "view", "et_x", lambda s: parse_range(s, "etx", 0, 1023), _fmt_pair,
          "E-T TOF axis range, channels"),
    Param("ety", "view", "et_y", lambda s: parse_range(s, "ety", 0, 1023), _fmt_pair,
          "E-T energy axis range, channels"),
    Param("units", "view", "et_units", _choice("units", ET_UNITS), str, "E-T units"),
    Param("etmode", "view", "et_mode", _choice("etmode", PLOT_MODES), str, "E-T view"),
    Param("z", "view", "z_range", _opt(lambda s: parse_range(s, "z", 0, 1e12)),
          _fmt_opt_pair, "colour range, counts"),
    Param("color", "view", "scatter_color", _choice("color", SCATTER_COLORS), str,
          "scatter colour"),
    Param("mbx", "view", "mmq_binx", lambda s: parse_float(s, "mbx", 0.001, 1.0), _fmt_num,
          "M/Q bin width, log10"),
    Param("mby", "view", "mmq_biny", lambda s: parse_float(s, "mby", 0.001, 1.0), _fmt_num,
          "mass bin width, log10"),
    Param("mx", "view", "mmq_x", lambda s: parse_range(s, "mx", 0.01, 1000), _fmt_pair,
          "M/Q axis range, amu/e"),
    Param("my", "view", "mmq_y", lambda s: parse_range(s, "my", 0.01, 1000), _fmt_pair,
          "mass axis range, amu"),
    Param("norm", "view", "mmq_norm", lambda s: parse_bool(s, "norm"), _fmt_bool,
          "BR/R normalisation"),
    Param("refs", "view", "mmq_refs", lambda s: parse_bool(s, "refs"), _fmt_bool,
          "species marks"),
    Param("mmode", "view", "mmq_mode", _choice("mmode", PLOT_MODES), str, "M-M/Q view"),
    Param("panels", "view", "panels", _panels, lambda v: ",".join(v), "timeline panels"),
    Param("log", "view", "log_rates", lambda s: parse_bool(s, "log"), _fmt_bool,
          "log rate axes"),
    Param("storm", "view", "storm_dst", lambda s: parse_float(s, "storm", -1000, 0), _fmt_num,
          "storm Dst threshold, nT"),
    Param("img", "view", "image_format", _choice("img", IMAGE_FORMATS), str, "image format"),
    Param("tab", "view", "tab", _choice("tab", TABS), str, "tab"),
    Param("mez", "me", "z_range",
          lambda s: parse_window(s, "mez", 0.0, ME_COLOUR_MAX), _fmt_window,
          "ME colour limits, counts"),
    Param("mex", "me", "mpq_range",
          lambda s: parse_window(s, "mex", *ME_AXIS_LIMITS), _fmt_window,
          "ME M/Q window, amu/e"),
    Param("mey", "me", "mass_range",
          lambda s: parse_window(s, "mey", *ME_AXIS_LIMITS), _fmt_window,
          "ME mass window, amu"),
    Param("boxes", "me", "boxes", parse_boxes, format_boxes, "ME timeline boxes"),
)  # fmt: skip
PARAM_BY_KEY = {p.key: p for p in PARAMS}


def _holder(state: AppState, target: str) -> Any:
    """The object holding a parameter's field: the selection, the view or its MeOptions."""
    if target == "selection":
        return state.selection
    return state.view.me if target == "me" else state.view


def _post_check(state: AppState) -> None:
    v = state.view
    for name, (lo, hi) in (("etx", v.et_x), ("ety", v.et_y), ("mx", v.mmq_x), ("my", v.mmq_y)):
        if not lo < hi:
            raise FilterError(name, f"axis range {lo:g},{hi:g} must have low < high")


def parse_params(values: Mapping[str, Any], strict: bool = True) -> tuple[AppState, list[str]]:
    """Build an :class:`AppState` from ``{url key: text}``; missing keys keep their defaults.

    Parameters
    ----------
    values : mapping
        URL keys (``PARAMS``) to raw text (lists are joined with commas).
    strict : bool
        Raise the first :class:`FilterError` (True), or skip bad values and return their
        messages (False; used for URLs, so that one bad parameter keeps the rest).

    Returns
    -------
    state : AppState
    errors : list of str
        Messages of the values that were skipped (empty when ``strict``).
    """
    parts: dict[str, dict[str, Any]] = {"selection": {}, "view": {}, "me": {}}
    errors: list[str] = []
    for key, raw in values.items():
        param = PARAM_BY_KEY.get(key)
        if param is None:
            if strict:
                raise FilterError(key, "unknown parameter")
            errors.append(f"{key}: unknown parameter (ignored)")
            continue
        text = ",".join(str(x) for x in raw) if isinstance(raw, list | tuple) else str(raw)
        try:
            value = param.parse(text)
        except FilterError as exc:
            if strict:
                raise
            errors.append(str(exc))
            continue
        parts[param.target][param.attr] = value
    me = MeOptions(**parts["me"])
    state = AppState(Selection(**parts["selection"]), ViewOptions(**parts["view"], me=me))
    try:
        _post_check(state)
    except FilterError as exc:
        if strict:
            raise
        errors.append(str(exc))
        state = AppState(state.selection, ViewOptions())
    return state, errors


def parse_query(search: str | None) -> tuple[AppState, list[str]]:
    """Parse a URL query string (``?t=...&L=2,10``), skipping bad values with messages."""
    text = (search or "").lstrip("?")
    return parse_params(dict(parse_qsl(text, keep_blank_values=True)), strict=False)


def to_params(state: AppState) -> dict[str, str]:
    """Serialise the values of ``state`` that differ from the defaults, as ``{key: text}``."""
    default = AppState()
    out: dict[str, str] = {}
    for p in PARAMS:
        value = getattr(_holder(state, p.target), p.attr)
        if value != getattr(_holder(default, p.target), p.attr):
            out[p.key] = p.fmt(value)
    return out


def all_params(state: AppState) -> dict[str, str]:
    """Serialise every value of ``state`` as ``{key: text}`` (controls show these)."""
    out = {}
    for p in PARAMS:
        out[p.key] = p.fmt(getattr(_holder(state, p.target), p.attr))
    return out


def to_query(state: AppState) -> str:
    """Serialise ``state`` as a URL query string (``?...``; empty when all defaults)."""
    params = to_params(state)
    if not params:
        return ""
    return "?" + "&".join(
        f"{k}={quote(v.replace('; ', ';'), safe=',:;-./')}" for k, v in params.items()
    )


def with_times(state: AppState, times: tuple[TimeRange, ...]) -> AppState:
    """Return ``state`` with its time ranges replaced."""
    return replace(state, selection=replace(state.selection, times=merge_time_ranges(times)))


def field_names(cls: type) -> list[str]:
    """Names of a dataclass's fields (for tests and docs)."""
    return [f.name for f in fields(cls)]


PAPS_OPTIONS = {lvl: (f"{lvl} ({PAPS_KV[lvl]} kV)" if lvl in PAPS_KV else f"{lvl} (off)")
                for lvl in PAPS_LEVELS}  # fmt: skip
