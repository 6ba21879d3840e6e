"""Words of the figures and pages: counts with plural rules, human durations, wrapped titles.

Pure functions (no plotly): the captions, hovers and page texts call them so that a scientist
reads "1 repeated spin time", "12.5 days" and a title that fits its card.
"""

from __future__ import annotations

import re
import textwrap

#: Plural nouns of the counts AWA prints (verify findings, coverage, captions) -> singular.
_SINGULAR = {
    "times": "time", "spins": "spin", "copies": "copy", "values": "value",
    "violations": "violation", "days": "day", "cycles": "cycle", "events": "event",
    "files": "file", "ranges": "range", "gaps": "gap", "hours": "hour", "minutes": "minute",
}  # fmt: skip
_ONE = re.compile(r"(?<![\d.,])1 ((?:[A-Za-z-]+ ){0,3}?)(" + "|".join(_SINGULAR) + r")\b")


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and its noun, singular for exactly one: ``plural(1, "spin")`` -> "1 spin".

    Parameters
    ----------
    n : int
        The count (written with thousands separators).
    noun : str
        The singular noun.
    many : str, optional
        The plural noun (default ``noun + "s"``).
    """
    return f"{n:,} {noun if n == 1 else (many or noun + 's')}"


def singular_counts(text: str) -> str:
    """``text`` with "1 <words> <plural noun>" made singular ("1 repeated spin times" ->
    "1 repeated spin time"), for counts worded elsewhere (the findings of ``awa-build
    verify``); other counts are left as they are."""
    return _ONE.sub(lambda m: f"1 {m.group(1)}{_SINGULAR[m.group(2)]}", text)


def duration_text(seconds: float) -> str:
    """A duration as a person says it: "45 min", "6 h", "1.5 h", "10 days", "5.4 years".

    Minutes under an hour, hours (at most one decimal) under three days, days (at most one
    decimal) under a year, else years with the days in brackets: never an exponent.

    Parameters
    ----------
    seconds : float
        The duration, s (>= 0).
    """
    if seconds < 3600:
        return plural(round(seconds / 60), "min", "min")
    if seconds < 3 * 86400:
        return f"{_short(seconds / 3600)} h"
    days = seconds / 86400
    if days < 365:
        return f"{_short(days)} {'day' if _short(days) == '1' else 'days'}"
    return f"{seconds / (365.25 * 86400):.1f} years ({round(days):,} days)"


def _short(x: float) -> str:
    """``x`` with at most one decimal and no trailing ".0", thousands separated."""
    return f"{round(x, 1):,.1f}".removesuffix(".0")


def wrap_title(title: str, width: int) -> str:
    """``title`` broken into lines of at most ``width`` characters (plotly ``<br>``), at
    spaces; a word longer than ``width`` stays whole."""
    return "<br>".join(textwrap.wrap(title, width, break_long_words=False, break_on_hyphens=False))
