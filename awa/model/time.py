"""Time ranges and the time grammar of controls and URLs.

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from awa.chem import days
from awa.model.parse import FilterError

TIME_FORMS = (
    "ISO '1986-02-09T00:00/1986-02-10T12:00', day of year '1986-040-0000:1986-041-1200' "
    "(short ends '041-1200' same year, '1200' same day), a whole day '1986-040' or "
    "'1986-02-09', a whole year '1986'; separate several ranges with ';'"
)
YEAR_MIN, YEAR_MAX = 1960, 2100


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
    """Start of a day of the year (the one rule, :func:`awa.chem.days.day_start`)."""
    try:
        return days.day_start(year, doy)
    except days.DayError:
        ndays = days.days_in_year(year)
        raise FilterError(
            "time", f"day of year {doy:03d} is outside 001-{ndays} in {year}"
        ) from None


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
