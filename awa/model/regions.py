"""Species regions as text (URL parameter ``sp``): parse and format, with clear messages.

The text form is one entry per region, separated by ``;``::

    NAME:mpq_low,mpq_high,mass_low,mass_high

e.g. ``H+:0.55,1.6,0.45,2.2; O+:10,28,9,30`` (M/Q in amu/e, mass in amu, half-open bounds of
:class:`awa.chem.species.SpeciesRegion`).  The empty text (or ``default``) is the default
table (:func:`awa.chem.species.default_regions`), so a URL carries regions only once edited.
Numbers are formatted with at most 4 significant digits, which keeps a URL of the largest
number of regions (32) under about 1,500 characters.
"""

from __future__ import annotations

import math
import re

from awa.chem.species import MAX_REGIONS, SpeciesRegion, default_regions, validate_regions
from awa.model.parse import FilterError, check_text

__all__ = ["REGION_FORMS", "format_regions", "parse_regions", "regions_from_boxes"]

#: The accepted form, named in messages.
REGION_FORMS = (
    "regions separated by ';', each 'NAME:mpq_low,mpq_high,mass_low,mass_high' "
    "(M/Q in amu/e, mass in amu), e.g. 'H+:0.55,1.6,0.45,2.2; O+:10,28,9,30'; "
    "empty or 'default' for the default regions"
)
_NAME = "sp"
_ENTRY = re.compile(r"^\s*([^:;]+?)\s*:\s*(.+?)\s*$")
_MAX_CHARS = 2000


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FilterError(_NAME, f"{where}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise FilterError(_NAME, f"{where}: {text.strip()!r} is not a finite number")
    return value


def parse_regions(text: str | None) -> tuple[SpeciesRegion, ...]:
    """Regions of the text form (module docstring), in the order given.

    Raises
    ------
    FilterError
        Naming the entry at fault: no ``NAME:`` part, not four numbers, bounds not
        positive or not increasing, a name repeated or reserved, more than 32 regions, or
        too long a text; the message repeats the accepted form.
    """
    body = check_text(text, _NAME, _MAX_CHARS).strip()
    if body == "" or body.lower() == "default":
        return default_regions()
    entries = [e for e in body.split(";") if e.strip()]
    if len(entries) > MAX_REGIONS:
        raise FilterError(_NAME, f"{len(entries)} regions: at most {MAX_REGIONS} are allowed")
    out = []
    for i, entry in enumerate(entries, start=1):
        m = _ENTRY.match(entry)
        if m is None:
            raise FilterError(_NAME, f"region {i} {entry.strip()!r} has no 'NAME:'; {REGION_FORMS}")
        name, numbers = m.group(1), m.group(2).split(",")
        if len(numbers) != 4:
            raise FilterError(
                _NAME, f"region {name!r} needs 4 numbers, got {len(numbers)}; {REGION_FORMS}"
            )
        b = [_number(v, f"region {name!r}") for v in numbers]
        out.append(SpeciesRegion(name, b[0], b[1], b[2], b[3]))
    try:
        return validate_regions(tuple(out))
    except ValueError as exc:
        raise FilterError(_NAME, str(exc)) from None


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def format_regions(regions: tuple[SpeciesRegion, ...]) -> str:
    """The text form of ``regions``; ``""`` for the default regions."""
    if tuple(regions) == default_regions():
        return ""
    return ";".join(
        f"{r.name}:{_fmt(r.mpq_min)},{_fmt(r.mpq_max)},{_fmt(r.mass_min)},{_fmt(r.mass_max)}"
        for r in regions
    )


def regions_from_boxes(
    regions: tuple[SpeciesRegion, ...], boxes: dict[int, tuple[float, float, float, float]]
) -> tuple[SpeciesRegion, ...]:
    """``regions`` with the boxes of some replaced (a region dragged or resized on a plot).

    Parameters
    ----------
    regions : tuple of SpeciesRegion
    boxes : dict
        Region index -> (x0, x1, y0, y1): M/Q (amu/e) and mass (amu) corners, in any order.

    Raises
    ------
    FilterError
        When an index is not a region or a new box is not positive.
    """
    new = list(regions)
    for index, (x0, x1, y0, y1) in boxes.items():
        if not 0 <= index < len(new):
            raise FilterError(_NAME, f"no region {index} to move (there are {len(new)})")
        r = new[index]
        q0, q1, m0, m1 = (float(_fmt(v)) for v in (min(x0, x1), max(x0, x1), min(y0, y1),
                                                   max(y0, y1)))  # fmt: skip
        new[index] = SpeciesRegion(r.name, q0, q1, m0, m1)
    try:
        return validate_regions(tuple(new))
    except ValueError as exc:
        raise FilterError(_NAME, str(exc)) from None
