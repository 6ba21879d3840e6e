"""The one rule for UT days: archive file names and day-of-year numbers (spec section 2).

The archive holds one file per UT day, named ``YYYY_DDD.fits.gz`` (or ``.fits``) where
``DDD`` is the day of the year, 001 to 365, or 366 in a leap year (``calendar.isleap``).
Every part of the project that turns a year and a day-of-year into a date, or a date into a
file name, goes through this module, so a name such as ``1986_400.fits.gz`` is refused the
same way everywhere.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from pathlib import Path

__all__ = [
    "FILENAME_RE",
    "DayError",
    "day_from_doy",
    "day_of_file",
    "day_start",
    "days_in_year",
    "file_name",
    "is_day_file",
    "parse_day",
]

#: An archive file name: four-digit year, underscore, three-digit day of year.
FILENAME_RE = re.compile(r"^(?P<year>\d{4})_(?P<doy>\d{3})\.fits(\.gz)?$")


class DayError(ValueError):
    """A year, day-of-year or file name that names no UT day; the message says why.

    Attributes
    ----------
    reason : str
        Why, without the file name.
    name : str
        The file name refused ("" when no file name was involved).
    """

    def __init__(self, reason: str, name: str = "") -> None:
        super().__init__(f"{name}: {reason}" if name else reason)
        self.reason = reason
        self.name = name


def days_in_year(year: int) -> int:
    """Number of days of ``year``: 366 in a leap year (``calendar.isleap``), else 365."""
    return 366 if calendar.isleap(year) else 365


def day_from_doy(year: int, doy: int) -> dt.date:
    """The UT day of day-of-year ``doy`` (1 = 1 January) of ``year``.

    Parameters
    ----------
    year : int
        Year, 1-9999.
    doy : int
        Day of the year, 1 to 365 (366 in a leap year).

    Returns
    -------
    datetime.date

    Raises
    ------
    DayError
        ``doy`` is outside the days of ``year``, or ``year`` is not a calendar year.
    """
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise DayError(f"year {year} is not a calendar year")
    last = days_in_year(year)
    if not 1 <= doy <= last:
        raise DayError(f"day of year {doy} is not in {year} (1-{last})")
    return dt.date(year, 1, 1) + dt.timedelta(days=doy - 1)


def day_start(year: int, doy: int) -> dt.datetime:
    """Start (00:00 UT, naive) of day-of-year ``doy`` of ``year``; see :func:`day_from_doy`."""
    day = day_from_doy(year, doy)
    return dt.datetime(day.year, day.month, day.day)


def file_name(year: int, doy: int) -> str:
    """Archive file name of a UT day, e.g. ``1986_040.fits.gz``.

    Raises
    ------
    DayError
        ``doy`` is not a day of ``year``.
    """
    day_from_doy(year, doy)
    return f"{year:04d}_{doy:03d}.fits.gz"


def is_day_file(path: str | os.PathLike[str]) -> bool:
    """Whether the base name of ``path`` has the archive form ``YYYY_DDD.fits[.gz]``.

    Only the form is checked; :func:`day_of_file` also checks that the day exists.
    """
    return FILENAME_RE.match(Path(path).name) is not None


def day_of_file(path: str | os.PathLike[str]) -> dt.date:
    """The UT day named by an archive file ``YYYY_DDD.fits[.gz]`` (directories ignored).

    Raises
    ------
    DayError
        The name does not have the archive form, or its day of year is not in its year
        (``1986_400.fits.gz``, ``1985_366.fits.gz``, ``1986_000.fits.gz``).
    """
    name = Path(path).name
    match = FILENAME_RE.match(name)
    if match is None:
        raise DayError("not an archive file name (YYYY_DDD.fits.gz)", name)
    try:
        return day_from_doy(int(match["year"]), int(match["doy"]))
    except DayError as exc:
        raise DayError(f"file name names no day: {exc.reason}", name) from None


def parse_day(text: str) -> dt.date:
    """A UT day written ``YYYY-MM-DD`` or in the day-of-year form ``YYYY-DDD``.

    Raises
    ------
    DayError
        The text is neither form, or names no day.
    """
    t = text.strip()
    if len(t) == 8 and t[4] == "-" and t[:4].isdigit() and t[5:].isdigit():
        return day_from_doy(int(t[:4]), int(t[5:]))
    try:
        return dt.date.fromisoformat(t)
    except ValueError:
        raise DayError(f"not a day: {text!r}") from None
