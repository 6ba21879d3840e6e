"""Vectorised decimal text of numbers and times, as byte matrices (no Python loop per value).

Each function returns a ``uint8`` array of shape ``(n, m, w)``: the ASCII text of each value,
right-aligned in ``w`` bytes and padded with zero bytes, which the CSV writer drops
(:func:`awa.hapi.encode.csv_chunk`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_ZERO = ord("0")
_US_PER_DAY = 86_400_000_000
#: Layout of a time ``YYYY-MM-DDThh:mm:ss.ffffffZ``: (first byte, digits) of each field.
_FIELDS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2), (20, 6))
_TEMPLATE = np.frombuffer(b"0000-00-00T00:00:00.000000Z", dtype=np.uint8)

ByteMatrix = npt.NDArray[np.uint8]


def _put_digits(out: ByteMatrix, values: npt.NDArray[np.int64], first: int, digits: int) -> None:
    """Write ``values`` as zero-padded decimals of ``digits`` bytes at ``out[:, first:]``."""
    rest = values.copy()
    for k in range(digits - 1, -1, -1):
        out[:, first + k] = rest % 10 + _ZERO
        rest //= 10


def civil_dates(days: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
    """Year, month, day of days since 1970-01-01 (proleptic Gregorian calendar), vectorised.

    The calendar is counted in 400-year eras of 146097 days starting on 1 March, so that the
    leap day falls at the end of each year of the era.
    """
    z = days + 719_468  # days from 0000-03-01
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def time_bytes(ns: npt.NDArray[np.int64]) -> ByteMatrix:
    """HAPI times ``YYYY-MM-DDThh:mm:ss.ffffffZ`` of int64 ns since 1970 UTC, shape (n, 1, 27).

    Sub-microsecond parts are truncated (floor).
    """
    us = np.asarray(ns, dtype=np.int64) // 1000
    days = us // _US_PER_DAY
    of_day = us - days * _US_PER_DAY
    year, month, day = civil_dates(days)
    secs = of_day // 1_000_000
    parts = (year, month, day, secs // 3600, secs // 60 % 60, secs % 60, of_day % 1_000_000)
    out = np.tile(_TEMPLATE, (len(us), 1))
    for (first, digits), values in zip(_FIELDS, parts, strict=True):
        _put_digits(out, values, first, digits)
    return out.reshape(len(us), 1, _TEMPLATE.size)


def int_bytes(values: npt.NDArray[Any]) -> ByteMatrix:
    """Decimal text of integers (shape (n,) or (n, m)), shape (n, m, w), w = widest text."""
    v = np.asarray(values, dtype=np.int64)
    v = v.reshape(len(v), -1)
    mag = np.abs(v)
    digits = len(str(int(mag.max()))) if mag.size else 1
    out = np.zeros((*v.shape, digits + 1), dtype=np.uint8)
    rest = mag.copy()
    for k in range(digits, 0, -1):
        out[:, :, k] = np.where((rest > 0) | (k == digits), rest % 10 + _ZERO, 0)
        rest //= 10
    # the sign goes just before the first digit; the zero bytes between are dropped
    out[:, :, 0] = np.where(v < 0, ord("-"), 0)
    return out


def float_bytes(values: npt.NDArray[np.floating[Any]]) -> ByteMatrix:
    """Shortest round-trip text of floats (float32 as float32), shape (n, m, w).

    Each distinct value is formatted once (NumPy's shortest repr) and then repeated, since
    store columns such as Dst, Kp and MLT repeat the same value over many records.
    """
    v = np.asarray(values)
    v = v.reshape(len(v), -1)
    unique, inverse = np.unique(v, return_inverse=True)
    text = unique.astype(np.bytes_)
    w = text.dtype.itemsize
    table = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(len(unique), w)
    return table[inverse.reshape(v.shape)]
