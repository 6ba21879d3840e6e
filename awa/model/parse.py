"""Generic parsers of control and URL text: numbers, ranges, sets, switches.

Each parser turns one piece of user text into numbers, or raises :class:`FilterError`
naming the control and saying what is accepted.
"""

from __future__ import annotations

import math
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


#: Longest control or URL text a parser reads (longer text is refused before any matching).
MAX_TEXT = 2000

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PAIR = re.compile(rf"^\s*({_NUM})\s*(?:,|;|\.\.|:|to|-|\s)\s*({_NUM})\s*$")
_HHMM_PAIR = re.compile(r"^\s*(\d{1,2}):?(\d{2})\s*(?:,|\.\.|-|to|\s)\s*(\d{1,2}):?(\d{2})\s*$")

#: The accepted forms of a range control, named in messages.
RANGE_FORMS = (
    "'low,high' (also 'low-high', 'low to high', 'low <= x <= high'), one-sided 'low,' or "
    "'>=low', ',high' or '<=high' (bounds are inclusive; exponents such as 1e4 are accepted)"
)


def check_text(text: object, name: str, limit: int = MAX_TEXT) -> str:
    """Return ``text`` as ``str``, refusing text longer than ``limit`` characters.

    Raises
    ------
    FilterError
        When the text is too long to be a value of any control.
    """
    t = "" if text is None else str(text)
    if len(t) > limit:
        raise FilterError(name, f"{len(t)} characters is too long for a value (at most {limit})")
    return t


def _strip_name(text: str, name: str) -> str:
    """Drop a leading control name before an operator (``L >= 3`` in the L control)."""
    m = re.match(r"^\s*([A-Za-z][A-Za-z/]*)\s*(?=[<>=≤≥])", text)
    return text[m.end() :] if m and m.group(1).lower() == name.lower() else text


def split_range(text: str, name: str, forms: str = RANGE_FORMS) -> tuple[str | None, str | None]:
    """Split range text into its low and high bound texts (None: that side is open).

    Parameters
    ----------
    text : str
        One of :data:`RANGE_FORMS`, e.g. ``"2,10"``, ``"3,"``, ``">=3"``, ``"L <= 6"``.
    name : str
        Control named in messages (and accepted before an operator, as in ``L >= 3``).
    forms : str
        The accepted forms named in messages.

    Returns
    -------
    (str or None, str or None)
        The texts of the two bounds; None for an open side.

    Raises
    ------
    FilterError
        When the text is none of the accepted forms, or uses a strict ``<``/``>``.
    """
    t = _strip_name(check_text(text, name), name)
    num = r"[^,;:\s<>=≤≥]+"  # a bound's text; its value is checked by the caller
    if m := re.fullmatch(rf"\s*({num})\s*(?:,|;|\.\.|:|to|\s)\s*({num})\s*", t):
        return m.group(1), m.group(2)
    if m := _PAIR.match(t):
        return m.group(1), m.group(2)
    if m := re.fullmatch(rf"\s*({num})\s*(?:,|\.\.)\s*", t):
        return m.group(1), None
    if m := re.fullmatch(rf"\s*(?:,|\.\.)\s*({num})\s*", t):
        return None, m.group(1)
    if m := re.fullmatch(rf"\s*({num})\s*(?:<=|≤)\s*([A-Za-z/]+)\s*(?:<=|≤)\s*({num})\s*", t):
        if m.group(2).lower() == name.lower():
            return m.group(1), m.group(3)
    if m := re.fullmatch(rf"\s*(>=|=>|≥|<=|=<|≤|>|<|==|=)\s*({num})\s*", t):
        op, value = m.groups()
        if op in (">=", "=>", "≥"):
            return value, None
        if op in ("<=", "=<", "≤"):
            return None, value
        if op in ("==", "="):
            return value, value
        raise FilterError(
            name, f"{text!r}: bounds are inclusive, write {op}= instead of {op}; "
            f"accepted: {forms}"
        )
    if re.fullmatch(rf"\s*{num}\s*", t):
        raise FilterError(
            name, f"{text!r} is one number, not a range: write '{t.strip()},' for "
            f"{t.strip()} and above, ',{t.strip()}' for {t.strip()} and below, or "
            f"'{t.strip()},{t.strip()}' for exactly {t.strip()}; accepted: {forms}"
        )
    raise FilterError(name, f"{text!r} is not a range; accepted: {forms}")


def parse_number(text: str, name: str) -> float:
    """Parse one finite decimal number (``12``, ``-0.5``, ``.25``, ``1e-05``, ``1.5E+06``).

    The form is exactly the one :func:`format_exact` writes (and every decimal a user types);
    ``inf``, ``nan``, hexadecimal and digit separators are refused.

    Raises
    ------
    FilterError
        When the text is not a finite decimal number.
    """
    t = check_text(text, name).strip()
    if not re.fullmatch(_NUM, t, flags=re.ASCII):
        raise FilterError(name, f"{text!r} is not a number (write e.g. 12, -0.5 or 1e4)")
    value = float(t)
    if not math.isfinite(value):
        raise FilterError(name, f"{text!r} is too large a number")
    return value


def parse_range(
    text: str, name: str, lo: float, hi: float, integer: bool = False, ordered: bool = True
) -> tuple[float, float]:
    """Parse a closed range (``"a,b"``, ``a-b``, ``a..b``, ``a to b``) within ``[lo, hi]``.

    One-sided forms (``"a,"``, ``">=a"``, ``",b"``, ``"<=b"``, also after the control name,
    ``L >= 3``) give ``-inf`` or ``+inf`` for the open side, so that nothing is cut there.

    Returns
    -------
    (float, float)
        Inclusive low and high bounds, in the control's unit.

    Raises
    ------
    FilterError
        When the text is not a range, a number is out of bounds, or (``ordered``) a > b.
    """
    accepted = f"{RANGE_FORMS}, between {format_exact(lo)} and {format_exact(hi)}"
    a_text, b_text = split_range(check_text(text, name), name)
    out = []
    for part, open_value in ((a_text, -math.inf), (b_text, math.inf)):
        if part is None:
            out.append(open_value)
            continue
        try:
            v = parse_number(part, name)
        except FilterError:
            raise FilterError(name, f"{text!r} is not a range; accepted: {accepted}") from None
        if integer and v != int(v):
            raise FilterError(name, f"{text!r}: whole numbers only; accepted: {accepted}")
        if not lo <= v <= hi:
            raise FilterError(
                name, f"{format_exact(v)} is outside {format_exact(lo)}..{format_exact(hi)}; "
                f"accepted: {accepted}"
            )
        out.append(v)
    a, b = out
    if ordered and a > b:
        raise FilterError(name, f"low {format_exact(a)} is above high {format_exact(b)}")
    return (a, b)


def format_range(r: tuple[float, float]) -> str:
    """Inverse of :func:`parse_range`: ``"2,10"``, ``"3,"`` (3 and above), ``",6"``.

    Numbers are written exactly (:func:`format_exact`); an infinite side is left empty.
    """
    a, b = r
    left = "" if a == -math.inf else format_exact(a)
    right = "" if b == math.inf else format_exact(b)
    return f"{left},{right}"


def describe_range(r: tuple[float, float], unit: str = "") -> str:
    """A caption of a range: ``2-10``, ``>= 3``, ``<= 6`` (numbers as typed, exactly)."""
    a, b = r
    u = f" {unit}" if unit else ""
    if a == -math.inf and b == math.inf:
        return "any"
    if a == -math.inf:
        return f"<= {format_exact(b)}{u}"
    if b == math.inf:
        return f">= {format_exact(a)}{u}"
    sep = ".." if a < 0 or b < 0 else "-"
    return f"{format_exact(a)}{sep}{format_exact(b)}{u}"


def _hhmm(text: str, accepted: str) -> float:
    m = re.fullmatch(r"\s*(\d{1,2}):?(\d{2})\s*", text, flags=re.ASCII)
    if not m:
        raise FilterError("mlt", f"{text!r} is not a clock time HHMM; accepted: {accepted}")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi != 0):
        raise FilterError("mlt", f"{h:02d}{mi:02d} is not a clock time; accepted: {accepted}")
    return (h * 60 + mi) / 60.0  # minutes / 60: the value format_mlt writes back exactly


def parse_mlt(text: str) -> tuple[float, float]:
    """Parse an MLT range ``HHMM-HHMM`` (``2200-0400`` wraps through midnight) into hours.

    One-sided forms: ``>=2200`` or ``2200,`` is 2200-2400, ``<=0400`` or ``,0400`` is
    0000-0400.

    Returns
    -------
    (float, float)
        Low and high MLT, hours (low > high wraps through midnight).

    Raises
    ------
    FilterError
        When the text is not an MLT range of clock times.
    """
    accepted = (
        "'HHMM-HHMM' from 0000 to 2400, e.g. 2200-0400 (wraps through midnight), "
        "or one-sided '>=2200' (2200-2400), '<=0400' (0000-0400)"
    )
    t = check_text(text, "mlt")
    m = _HHMM_PAIR.match(t)
    if m:
        h1, m1, h2, m2 = m.groups()
        return (_hhmm(h1 + m1, accepted), _hhmm(h2 + m2, accepted))
    try:
        low, high = split_range(t, "mlt")
    except FilterError:
        raise FilterError("mlt", f"{text!r} is not an MLT range; accepted: {accepted}") from None
    if low is not None and high is not None:
        raise FilterError("mlt", f"{text!r} is not an MLT range; accepted: {accepted}")
    if low is not None:
        return (_hhmm(low, accepted), 24.0)
    assert high is not None
    return (0.0, _hhmm(high, accepted))


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
        items = [t for t in re.split(r"[,\s;]+", check_text(text, name).strip()) if t]
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
    """Parse one decimal number within ``[lo, hi]`` (exponents accepted, NaN and inf not)."""
    check_text(text, name)
    try:
        value = parse_number(text, name)
    except FilterError:
        raise FilterError(
            name, f"{text!r} is not a number between {format_exact(lo)} and {format_exact(hi)}"
        ) from None
    if not (lo <= value <= hi):
        bounds = f"{format_exact(lo)}..{format_exact(hi)}"
        raise FilterError(name, f"{format_exact(value)} is outside {bounds}")
    return value


def parse_int(text: str, name: str, lo: int, hi: int) -> int:
    """Parse one whole number within ``[lo, hi]``."""
    checked = check_text(text, name)
    try:
        value = int(checked.strip())
    except ValueError:
        raise FilterError(name, f"{text!r} is not a whole number from {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise FilterError(name, f"{value} is outside {lo}..{hi}")
    return value


def parse_bool(text: str, name: str) -> bool:
    """Parse ``1/0``, ``true/false``, ``yes/no``, ``on/off``."""
    t = check_text(text, name).strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise FilterError(name, f"{text!r} is not a switch; accepted: 1 or 0")


def _fmt_num(x: float) -> str:
    return format_exact(x)


def _fmt_pair(p: tuple[float, float]) -> str:
    return format_range(p)


def parse_window(text: str | None, name: str, lo: float, hi: float) -> tuple[float, float] | None:
    """Parse ``"low,high"`` (also ``low high``, ``1e4``) with ``lo <= low < high <= hi``.

    Empty text, ``auto`` and ``all`` give None (automatic limits, the whole grid).

    Raises
    ------
    FilterError
        When the text is not two finite numbers in order inside ``[lo, hi]``.
    """
    t = check_text(text, name).strip().lower()
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
    """Shortest text that parses back to exactly ``x`` (``10000``, ``0.1``, ``1e-05``, ``1e16``).

    The exponent carries no ``+`` (a ``+`` in a URL reads as a space when left unescaped).
    """
    text = repr(float(x)).replace("e+", "e")
    return text[:-2] if text.endswith(".0") else text
