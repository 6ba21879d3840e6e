"""Kp bounds: every spelling of a Kp third selects the same spins.

Kp is published in thirds (``5-`` = 4 2/3, ``5o`` = 5, ``5+`` = 5 1/3).  The stores hold Kp as
GFZ writes it, each third rounded to three decimals (0.333, 0.667, ..., 8.667, 9.0, float64).
A bound typed as ``7.667``, ``23/3``, ``8-`` or ``7.6667`` means the same third; it is snapped
to that stored value (:data:`KP_THIRDS`) so that ``Kp >= bound`` includes the third and
``Kp <= bound`` does too, whatever decimals the user typed.  A bound that is not within
:data:`KP_SNAP` of a third is kept as typed.
"""

from __future__ import annotations

import math
import re

from awa.model.parse import FilterError, check_text, format_exact, parse_number, split_range

#: The stored Kp values: n/3 rounded to three decimals, n = 0..27 (GFZ's own decimals).
KP_THIRDS: tuple[float, ...] = tuple(round(n / 3, 3) for n in range(28))
#: A typed bound within this distance of a third means that third.
KP_SNAP = 0.01
KP_MIN, KP_MAX = 0.0, 9.0

KP_FORMS = (
    "Kp values 0-9 as decimals (7.667), thirds (23/3) or Kp notation (8-, 8o, 8+); "
    "a range 'low,high' (7.667,9), one-sided '>=5', '5,' (5 and above), '<=3', ',3'; "
    "one value alone ('5+') is a lower bound: 5+ and above"
)

_NOTATION = re.compile(r"\s*(\d)\s*([-+oO])\s*", flags=re.ASCII)
_FRACTION = re.compile(r"\s*(\d{1,3})\s*/\s*(\d{1,3})\s*", flags=re.ASCII)


def snap_kp(value: float) -> float:
    """The stored Kp third nearest ``value`` when within :data:`KP_SNAP`, else ``value``.

    Parameters
    ----------
    value : float
        A Kp bound (dimensionless, 0-9); infinities (open sides) are returned unchanged.

    Returns
    -------
    float
        ``KP_THIRDS[n]`` for ``|value - n/3| <= KP_SNAP``, else ``value``.
    """
    if not math.isfinite(value):
        return value
    n = round(value * 3)
    if 0 <= n < len(KP_THIRDS) and abs(value - n / 3) <= KP_SNAP:
        return KP_THIRDS[n]
    return value


def parse_kp(text: str, name: str = "kp") -> float:
    """Parse one Kp value (``7.667``, ``23/3``, ``8-``, ``8o``, ``7.6667``), snapped to a third.

    Returns
    -------
    float
        Kp, 0-9, one of :data:`KP_THIRDS` when the value is within :data:`KP_SNAP` of a third.

    Raises
    ------
    FilterError
        When the text is no Kp value or is outside 0-9.
    """
    t = check_text(text, name)
    if m := _NOTATION.fullmatch(t):
        whole, sign = int(m.group(1)), m.group(2).lower()
        value = whole + {"-": -1 / 3, "+": 1 / 3, "o": 0.0}[sign]
        if not KP_MIN <= value <= KP_MAX:
            raise FilterError(name, f"{t.strip()!r} is not a Kp value; accepted: {KP_FORMS}")
    elif m := _FRACTION.fullmatch(t):
        numerator, denominator = int(m.group(1)), int(m.group(2))
        if denominator == 0:
            raise FilterError(name, f"{t.strip()!r} divides by zero; accepted: {KP_FORMS}")
        value = numerator / denominator
    else:
        try:
            value = parse_number(t, name)
        except FilterError:
            raise FilterError(name, f"{text!r} is not a Kp value; accepted: {KP_FORMS}") from None
    if not KP_MIN <= value <= KP_MAX:
        raise FilterError(
            name, f"Kp {format_exact(value)} is outside 0..9; accepted: {KP_FORMS}"
        )
    return snap_kp(value)


def parse_kp_range(text: str, name: str = "kp") -> tuple[float, float]:
    """Parse a Kp range: two bounds, one-sided forms, or one value (that value and above).

    Parameters
    ----------
    text : str
        One of :data:`KP_FORMS`, e.g. ``7.667,9``, ``8-,9o``, ``>=5``, ``<=3``, ``5+``.
    name : str
        Control (URL parameter) named in messages.

    Returns
    -------
    (float, float)
        Inclusive bounds, each snapped by :func:`snap_kp`; ``inf`` / ``-inf`` on an open side.

    Raises
    ------
    FilterError
        When a bound is no Kp value, or low is above high.
    """
    t = check_text(text, name)
    try:
        return (parse_kp(t, name), math.inf)
    except FilterError as exc:
        one_value_error = exc
    try:
        low, high = split_range(t, name, KP_FORMS)
    except FilterError:
        if re.fullmatch(r"\s*[^,;:\s<>=≤≥]+\s*", t):  # one value, and not a Kp value
            raise one_value_error from None
        raise
    a = -math.inf if low is None else parse_kp(low, name)
    b = math.inf if high is None else parse_kp(high, name)
    if a > b:
        raise FilterError(name, f"low Kp {format_exact(a)} is above high Kp {format_exact(b)}")
    return (a, b)


def format_kp(value: float) -> str:
    """Kp in notation when it is a stored third (``7.667`` -> ``8-``), else exactly."""
    if value in KP_THIRDS:
        n = KP_THIRDS.index(value)
        whole, rest = divmod(n, 3)
        return {0: f"{whole}o", 1: f"{whole}+", 2: f"{whole + 1}-"}[rest]
    return format_exact(value)


def describe_kp(r: tuple[float, float]) -> str:
    """A caption of a Kp range: ``Kp 5- to 9o``, ``Kp >= 8-``, ``Kp <= 3o``."""
    a, b = r
    if b == math.inf:
        return f"Kp >= {format_kp(a)}"
    if a == -math.inf:
        return f"Kp <= {format_kp(b)}"
    return f"Kp {format_kp(a)} to {format_kp(b)}"
