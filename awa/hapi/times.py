"""HAPI's restricted ISO 8601 times: parsing request times, writing response times.

A request time is a calendar date ``YYYY-MM-DD`` or a day-of-year date ``YYYY-DDD``,
optionally followed by ``Thh``, ``Thh:mm``, ``Thh:mm:ss`` or ``Thh:mm:ss.f`` (1-9 digits),
and an optional trailing ``Z``; the truncated forms ``YYYY`` and ``YYYY-MM`` are accepted too.
Every time is UTC.  ``24:00`` (``24:00:00``) is the start of the next day.  Response times
are written as ``YYYY-MM-DDThh:mm:ss.ffffffZ`` (microseconds, :data:`TIME_LENGTH` characters).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from awa.hapi.text import time_bytes

#: Characters of a response time (``1986-02-08T00:00:00.000000Z``).
TIME_LENGTH = 27

_CLOCK = r"(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?Z?"
_CALENDAR = re.compile(rf"^(\d{{4}})-(\d{{2}})-(\d{{2}}){_CLOCK}$", flags=re.ASCII)
_ORDINAL = re.compile(rf"^(\d{{4}})-(\d{{3}}){_CLOCK}$", flags=re.ASCII)
_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?Z?$", flags=re.ASCII)

ACCEPTED = (
    "YYYY-MM-DD or YYYY-DDD, optionally with Thh, Thh:mm, Thh:mm:ss or Thh:mm:ss.fff "
    "and a trailing Z (UTC), or YYYY / YYYY-MM"
)


def parse_time(text: str) -> datetime:
    """Parse a HAPI request time into a naive UTC datetime (to the microsecond).

    Parameters
    ----------
    text : str
        A time in one of the forms of the module docstring, e.g. ``1986-039T12:00Z``.

    Returns
    -------
    datetime
        Naive UTC; fractions beyond microseconds are truncated.

    Raises
    ------
    ValueError
        When the text is not one of those forms or names no real date or time; the message
        says which forms are accepted.
    """
    value = text.strip()
    try:
        if m := _CALENDAR.match(value):
            day = datetime(int(m[1]), int(m[2]), int(m[3]))
            return day + _clock(m[4], m[5], m[6], m[7])
        if m := _ORDINAL.match(value):
            year, doy = int(m[1]), int(m[2])
            first = datetime(year, 1, 1)
            last = datetime(year + 1, 1, 1) - timedelta(days=1)
            if not 1 <= doy <= last.timetuple().tm_yday:
                raise ValueError(f"day of year {doy:03d} is not in {year}")
            return first + timedelta(days=doy - 1) + _clock(m[3], m[4], m[5], m[6])
        if m := _MONTH.match(value):
            return datetime(int(m[1]), int(m[2] or 1), 1)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid time ({exc})") from None
    raise ValueError(f"{text!r} is not a HAPI time; accepted: {ACCEPTED}")


def _clock(hh: str | None, mm: str | None, ss: str | None, frac: str | None) -> timedelta:
    """Time of day as a timedelta; 24:00:00 (nothing after it) is allowed, as the next day."""
    h, m, s = int(hh or 0), int(mm or 0), int(ss or 0)
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if h == 24 and m == 0 and s == 0 and not (frac or "0").strip("0"):
        return timedelta(days=1)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"{hh}:{mm or '00'}:{ss or '00'} is not a time of day")
    return timedelta(hours=h, minutes=m, seconds=s, microseconds=micro)


def format_time(t: datetime) -> str:
    """A naive UTC datetime as a HAPI time (``YYYY-MM-DDThh:mm:ss.ffffffZ``)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_times(ns: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """Times (int64 ns since 1970, UTC) as HAPI time strings, ASCII bytes, shape (n,).

    Vectorised; the strings have :data:`TIME_LENGTH` characters each (microseconds, ``Z``).
    """
    text = time_bytes(np.asarray(ns, dtype=np.int64))
    return np.ascontiguousarray(text.reshape(len(text), TIME_LENGTH)).view(f"S{TIME_LENGTH}")[:, 0]
