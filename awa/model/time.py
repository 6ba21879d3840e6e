"""Time ranges and the time grammar of controls and URLs.

Time grammar (all times are UTC; ranges are half-open ``[start, end)``):

- ISO: ``1986-02-09T00:00/1986-02-10T12:00``; a date alone as start is 00:00, as end it
  is the end of that day (``1986-02-09/1986-02-10`` covers two days); one ISO date alone is
  that whole day.  Seconds may carry a fraction (``12:00:15.5``).
- Day of year: ``1986-040-0000:1986-041-1200`` (``YYYY-DDD-HHMM[SS[.f]]``), with short ends
  ``1986-040-0000:041-1200`` (same year) and ``1986-040-0600:1200`` (same day); an end with
  no time of day is the end of that day (``1986-040:042`` covers days 40-42); ``2400`` is
  accepted as an end time; ``1986-040`` alone is the whole day and ``1986`` the whole year.
  A time of day has 4 digits ``HHMM`` or 6 ``HHMMSS``; the science team's forms ``HH``
  (``1986-148-00``) and ``000`` are accepted too, and so is a ``-`` between start and end
  (``1985-246-0400-248-0400``).  A same-day end of 6 digits (``041200``) is read as
  ``HHMMSS`` when the start has seconds too, or when its seconds are not ``00`` (the
  writer never writes ``HHMM00``); ``1986-040-0000:041200`` is refused as ambiguous (day
  041 at 12:00, or 04:12:00?) with a hint.
- A trailing ``Z`` (or ``UTC``, ``+00:00``) is accepted: the times are UTC anyway; any
  other UTC offset is refused with a message.
- Several ranges are separated by ``;``, ``,`` or new lines; they are sorted and merged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from awa.chem import days
from awa.model.parse import FilterError, check_text

TIME_FORMS = (
    "ISO '1986-02-09T00:00/1986-02-10T12:00', day of year '1986-040-0000:1986-041-1200' "
    "(short ends '041-1200' same year, '1200' same day), a whole day '1986-040' or "
    "'1986-02-09', a whole year '1986'; times are UTC; separate several ranges with ';'"
)
YEAR_MIN, YEAR_MAX = 1960, 2100
#: Longest text of a time-range control (many ranges, one per line).
MAX_TIME_TEXT = 100_000


@dataclass(frozen=True, order=True)
class TimeRange:
    """A half-open UTC time interval ``[start, end)`` (naive datetimes, UTC).

    Timezone-aware datetimes are converted to naive UTC.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            t = getattr(self, name)
            if t.tzinfo is not None:
                object.__setattr__(self, name, t.astimezone(UTC).replace(tzinfo=None))
        if not self.start < self.end:
            raise FilterError("time", f"range end {self.end} is not after its start {self.start}")

    @property
    def seconds(self) -> float:
        """Length of the range, s."""
        return (self.end - self.start).total_seconds()


_TOD = r"(\d{2,6}(?:\.\d{1,6})?)"  # a time of day, read by _clock
_DOY_FULL = re.compile(rf"^(\d{{4}})-(\d{{3}})(?:-{_TOD})?$", flags=re.ASCII)
_DOY_SAME_YEAR = re.compile(rf"^(\d{{3}})(?:-{_TOD})?$", flags=re.ASCII)
_DOY_SAME_DAY = re.compile(r"^(\d{4}|\d{6}(?:\.\d{1,6})?)$", flags=re.ASCII)
_DASH_RANGE = re.compile(
    r"^(\d{4}-\d{3}-\d{2,6})-(\d{4}-\d{3}(?:-\d{2,6})?|\d{3}(?:-\d{2,6})?|\d{4,6})$",
    flags=re.ASCII,
)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d{1,6})?))?)?$",
    flags=re.ASCII,
)
_YEAR = re.compile(r"^(\d{4})$", flags=re.ASCII)
_UTC_SUFFIX = re.compile(r"\s*(?:Z|UTC)$", flags=re.IGNORECASE)
#: A UTC offset after an ISO clock time (``T12:00+01:00``).
_OFFSET = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*([+-]\d{2}(?::?\d{2})?)$")


def _year(text: str, end: bool = False) -> int:
    year = int(text)
    top = YEAR_MAX + 1 if end else YEAR_MAX  # an end may be the first instant after YEAR_MAX
    if not YEAR_MIN <= year <= top:
        raise FilterError("time", f"year {year} is outside {YEAR_MIN}-{YEAR_MAX}")
    return year


def _day_start(year: int, doy: int) -> datetime:
    """Start of a day of the year (the one rule, :func:`awa.chem.days.day_start`)."""
    try:
        return days.day_start(year, doy)
    except days.DayError:
        ndays = days.days_in_year(year)
        raise FilterError(
            "time", f"day of year {doy:03d} is outside 001-{ndays} in {year}"
        ) from None


def _seconds(text: str) -> tuple[int, int]:
    """Whole seconds and microseconds of ``SS[.f]``."""
    whole, _, frac = text.partition(".")
    return int(whole), int(frac.ljust(6, "0")) if frac else 0


def _clock(day: datetime, tod: str | None, end: bool) -> datetime:
    """Add a time of day (``HH``, ``000``, ``HHMM``, ``HHMMSS[.f]``) to ``day``.

    No time means 00:00 (start) or the end of the day (end).
    """
    if tod is None:
        return day + timedelta(days=1) if end else day
    digits, _, frac = tod.partition(".")
    if frac and len(digits) != 6:
        raise FilterError("time", f"time of day {tod!r}: a fraction needs seconds, HHMMSS.f")
    if len(digits) == 3 and digits != "000":
        raise FilterError(
            "time", f"time of day {tod!r} is ambiguous: write four digits HHMM, e.g. "
            f"{digits[:2]}{digits[2]}0 or 0{digits}"
        )
    if len(digits) == 5:
        raise FilterError("time", f"time of day {tod!r} is neither HHMM nor HHMMSS")
    h, m = int(digits[:2]), int(digits[2:4] or 0)  # HH, 000 (00:00), HHMM, HHMMSS
    ss, us = _seconds(tod[4:]) if len(digits) == 6 else (0, 0)
    if end and h == 24 and m == 0 and ss == 0 and us == 0:
        return day + timedelta(days=1)
    if h > 23 or m > 59 or ss > 59:
        raise FilterError("time", f"time of day {tod} is not a valid clock time")
    return day + timedelta(hours=h, minutes=m, seconds=ss, microseconds=us)


def _strip_utc(text: str) -> str:
    """Drop a trailing ``Z``/``UTC``/``+00:00`` (times are UTC); refuse other offsets."""
    if m := _OFFSET.search(text):
        if m.group(1).replace(":", "")[1:] not in ("00", "0000"):
            raise FilterError(
                "time", f"{text!r} has the UTC offset {m.group(1)}: times are UTC, write the "
                "UTC time without an offset (or with Z)"
            )
        return text[: m.start(1)].rstrip()
    return _UTC_SUFFIX.sub("", text)


def _parse_iso(text: str, end: bool) -> datetime:
    m = _ISO.match(_strip_utc(text))
    if not m:
        raise FilterError("time", f"{text!r} is not an ISO time; accepted: {TIME_FORMS}")
    y, mo, d, hh, mi, ss = m.groups()
    try:
        day = datetime(_year(y, end), int(mo), int(d))
    except ValueError:
        raise FilterError("time", f"{text!r} is not a calendar date") from None
    if hh is None:
        return day + timedelta(days=1) if end else day
    return _clock(day, f"{hh}{mi}{ss or ''}", end)


def _parse_doy_start(text: str) -> tuple[datetime, datetime, bool]:
    """Parse a full DOY time; return it, the start of its day and whether it has seconds."""
    m = _DOY_FULL.match(_strip_utc(text))
    if not m:
        raise FilterError("time", f"{text!r} is not a day-of-year time; accepted: {TIME_FORMS}")
    y, doy, tod = m.groups()
    day = _day_start(_year(y), int(doy))
    return _clock(day, tod, end=False), day, tod is not None and len(tod) >= 6


def _parse_doy_end(text: str, start_day: datetime, start_seconds: bool) -> datetime:
    t = _strip_utc(text)
    if m := _DOY_FULL.match(t):
        y, doy, tod = m.groups()
        return _clock(_day_start(_year(y, end=True), int(doy)), tod, end=True)
    if m := _DOY_SAME_YEAR.match(t):
        doy, tod = m.groups()
        return _clock(_day_start(start_day.year, int(doy)), tod, end=True)
    if m := _DOY_SAME_DAY.match(t):
        tod = m.group(1)
        if tod[4:] == "00" and not start_seconds:  # 'HHMM00' after an 'HHMM' start
            day = f"{start_day.year}-{start_day.timetuple().tm_yday:03d}"
            raise FilterError(
                "time", f"end {text!r} is ambiguous (a day and a time, or HHMMSS?): write "
                "the day, a '-' and the time for another day (e.g. '041-1200' for day 041 at "
                f"12:00), or the full end '{day}-{tod}' for {tod[:2]}:{tod[2:4]}:{tod[4:]} "
                "that day"
            )
        return _clock(start_day, tod, end=True)
    raise FilterError("time", f"{text!r} is not a day-of-year range end; accepted: {TIME_FORMS}")


def _checked(text: str, start: datetime, end: datetime) -> TimeRange:
    """The range, or a message that quotes what was typed when the end is not after the start."""
    if not start < end:
        raise FilterError(
            "time", f"{text.strip()!r}: its end is not after its start; accepted: {TIME_FORMS}"
        )
    return TimeRange(start, end)


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
        With the accepted forms, when ``text`` is not one of them; an end that is not after
        the start is reported with the text as typed.
    """
    s = check_text(text, "time").strip()
    if not s:
        raise FilterError("time", f"empty time range; accepted: {TIME_FORMS}")
    if "/" in s:
        parts = s.split("/")
        if len(parts) != 2:
            raise FilterError("time", f"{text!r} has more than one '/'; accepted: {TIME_FORMS}")
        return _checked(
            text, _parse_iso(parts[0].strip(), False), _parse_iso(parts[1].strip(), True)
        )
    if m := _DASH_RANGE.match(_strip_utc(s)):  # the team's 'YYYY-DDD-HHMM-DDD-HHMM'
        s = f"{m.group(1)}:{m.group(2)}"
    bare = _strip_utc(s)
    if ":" in s and not _ISO.match(bare):
        parts = s.split(":")
        if len(parts) != 2:
            raise FilterError("time", f"{text!r} has more than one ':'; accepted: {TIME_FORMS}")
        start, day, seconds = _parse_doy_start(parts[0].strip())
        return _checked(text, start, _parse_doy_end(parts[1].strip(), day, seconds))
    if _YEAR.match(bare):
        year = _year(bare)
        return TimeRange(datetime(year, 1, 1), datetime(year + 1, 1, 1))
    if m := _ISO.match(bare):
        day = _parse_iso(bare, False)
        if m.group(4) is None:
            return TimeRange(day, day + timedelta(days=1))
        raise FilterError(
            "time", f"{text!r} is a single instant, not a range; accepted: {TIME_FORMS}"
        )
    if _DOY_FULL.match(bare):
        start, day, _ = _parse_doy_start(bare)
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
    tokens = [t for t in re.split(r"[;,\n]+", check_text(text, "time", MAX_TIME_TEXT)) if t.strip()]
    return merge_time_ranges(parse_time_range(t) for t in tokens)


def format_time(t: datetime) -> str:
    """Format a time in the day-of-year form ``YYYY-DDD-HHMM[SS[.f]]`` (exact to 1 us)."""
    base = f"{t.year:04d}-{t.timetuple().tm_yday:03d}-{t.hour:02d}{t.minute:02d}"
    if t.microsecond:
        return base + f"{t.second:02d}." + f"{t.microsecond:06d}".rstrip("0")
    return base + (f"{t.second:02d}" if t.second else "")


def format_time_range(r: TimeRange) -> str:
    """Format a range in the canonical day-of-year form ``YYYY-DDD-HHMM:YYYY-DDD-HHMM``."""
    return f"{format_time(r.start)}:{format_time(r.end)}"


def format_time_ranges(ranges: Iterable[TimeRange]) -> str:
    """Format ranges joined by ``; `` (parses back to the same tuple)."""
    return "; ".join(format_time_range(r) for r in ranges)
