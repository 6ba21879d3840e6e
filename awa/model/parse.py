"""Generic parsers of control and URL text: numbers, ranges, sets, switches.

Each parser turns one piece of user text into numbers, or raises :class:`FilterError`
naming the control and saying what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


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
