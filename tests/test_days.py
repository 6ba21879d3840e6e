"""The one day-of-year / file-name rule (awa.chem.days)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from awa.chem import days


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("1986_040.fits.gz", dt.date(1986, 2, 9)),
        ("1986_001.fits", dt.date(1986, 1, 1)),
        ("1984_366.fits.gz", dt.date(1984, 12, 31)),  # leap year
        ("2000_366.fits.gz", dt.date(2000, 12, 31)),  # divisible by 400: leap
        ("/data/fits/1985_365.fits.gz", dt.date(1985, 12, 31)),
    ],
)
def test_day_of_valid_names(name: str, day: dt.date) -> None:
    assert days.day_of_file(name) == day
    assert days.is_day_file(name)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("1986_400.fits.gz", "day of year 400 is not in 1986 (1-365)"),
        ("1985_366.fits.gz", "day of year 366 is not in 1985 (1-365)"),
        ("1900_366.fits.gz", "day of year 366 is not in 1900 (1-365)"),  # not a leap year
        ("1986_000.fits.gz", "day of year 0 is not in 1986"),
    ],
)
def test_names_of_no_day_are_refused(name: str, why: str) -> None:
    assert days.is_day_file(name)  # the form is right ...
    with pytest.raises(days.DayError, match=re.escape(why)) as info:
        days.day_of_file(name)  # ... the day does not exist
    assert str(info.value).startswith(f"{name}: ")
    assert info.value.name == name


@pytest.mark.parametrize(
    "name", ["1986_40.fits.gz", "86_040.fits.gz", "1986_040.fit", "1986-040.fits.gz", "x", ""]
)
def test_junk_names_are_refused(name: str) -> None:
    assert not days.is_day_file(name)
    with pytest.raises(days.DayError, match="not an archive file name"):
        days.day_of_file(name)


def test_file_name_round_trip_and_refusal() -> None:
    assert days.file_name(1986, 40) == "1986_040.fits.gz"
    for day in (dt.date(1984, 12, 31), dt.date(1986, 1, 1), dt.date(1989, 7, 4)):
        name = days.file_name(day.year, day.timetuple().tm_yday)
        assert days.day_of_file(name) == day
    with pytest.raises(days.DayError):
        days.file_name(1986, 400)
    with pytest.raises(days.DayError):
        days.file_name(1985, 366)


def test_day_start_and_days_in_year() -> None:
    assert days.day_start(1986, 40) == dt.datetime(1986, 2, 9)
    assert days.day_start(1984, 366) == dt.datetime(1984, 12, 31)
    assert days.days_in_year(1984) == 366
    assert days.days_in_year(1985) == 365
    assert days.days_in_year(1900) == 365
    for year, doy in ((1985, 366), (1986, 0), (1986, -1), (1986, 400), (0, 1)):
        with pytest.raises(days.DayError):
            days.day_start(year, doy)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1986-02-05", dt.date(1986, 2, 5)),
        (" 1986-036 ", dt.date(1986, 2, 5)),
        ("1984-366", dt.date(1984, 12, 31)),
    ],
)
def test_parse_day(text: str, day: dt.date) -> None:
    assert days.parse_day(text) == day


@pytest.mark.parametrize("text", ["1986-400", "1985-366", "1986-000", "1986-13-01", "junk", ""])
def test_parse_day_refuses(text: str) -> None:
    with pytest.raises(days.DayError):
        days.parse_day(text)
