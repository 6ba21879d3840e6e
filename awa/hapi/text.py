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


def _decimals(v: npt.NDArray[np.floating[Any]], most: int = 9) -> npt.NDArray[np.int64] | None:
    """Fewest decimals ``k`` of each value whose text ``round(v, k)`` reads back to it exactly
    (in ``v``'s own precision); None when a value needs more than ``most`` or the scaled
    values would not fit an int64 exactly."""
    big = float(np.abs(v).max()) if v.size else 0.0
    if big * 10.0**most >= 2.0**53:
        return None
    v64 = v.astype(np.float64)
    k = np.full(v.shape, -1, dtype=np.int64)
    for d in range(most + 1):
        todo = k < 0
        if not todo.any():
            break
        back = (np.rint(v64[todo] * 10.0**d) / 10.0**d).astype(v.dtype)
        hit = np.flatnonzero(todo)[back == v[todo]]
        k[hit] = d
    return None if (k < 0).any() else k


def _fixed(v: npt.NDArray[np.floating[Any]], k: npt.NDArray[np.int64]) -> ByteMatrix:
    """Text ``[-]int.frac`` of each value with its own ``k`` decimals (no point when 0),
    shape (n, m, w): the shortest fixed form that reads back exactly."""
    scaled = np.rint(v.astype(np.float64) * 10.0**k).astype(np.int64)
    mag = np.abs(scaled)
    places = int(k.max()) if k.size else 0
    whole = int_bytes(mag // 10**k)
    n, m, w = whole.shape
    out = np.zeros((n, m, w + (places + 1 if places else 0)), dtype=np.uint8)
    out[:, :, :w] = whole
    out[:, :, 0] = np.where(scaled < 0, ord("-"), 0)
    if places:
        frac = (mag % 10**k) * 10 ** (places - k)
        flat = out.reshape(n * m, -1)
        flat[:, w] = np.where(k.reshape(-1) > 0, ord("."), 0)
        _put_digits(flat, frac.reshape(-1), w + 1, places)
        # digits beyond each value's own decimals are zero bytes (dropped)
        beyond = np.arange(1, places + 1) > k.reshape(-1, 1)
        tail = flat[:, w + 1 :]
        tail[beyond] = 0
    return out


def float_bytes(values: npt.NDArray[np.floating[Any]], fill: float) -> ByteMatrix:
    """Text of floats that reads back exactly (float32 as float32), shape (n, m, w).

    When every value reads back from at most 9 decimals, each is written in fixed point with
    its own fewest such decimals (vectorised); otherwise the column is written with NumPy's
    shortest repr of each distinct value.  ``fill`` values are written as ``repr(fill)``.
    """
    v = np.asarray(values)
    v = v.reshape(len(v), -1)
    is_fill = v == fill
    k = _decimals(np.where(is_fill, 0, v).astype(v.dtype))
    if k is None:
        unique, inverse = np.unique(v, return_inverse=True)
        text = unique.astype(np.bytes_)
        table = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(len(unique), -1)
        return table[inverse.reshape(v.shape)]
    out = _fixed(np.where(is_fill, 0, v).astype(v.dtype), k)
    if is_fill.any():
        mark = np.frombuffer(repr(float(fill)).encode(), dtype=np.uint8)
        if mark.size > out.shape[2]:
            out = np.concatenate(
                [np.zeros((*out.shape[:2], mark.size - out.shape[2]), np.uint8), out], axis=2
            )
        out[is_fill] = 0
        cells = out[is_fill]
        cells[:, : mark.size] = mark
        out[is_fill] = cells
    return out
