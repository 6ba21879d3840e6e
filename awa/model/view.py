"""The view options: how a selection is drawn, and the vocabularies of the view controls."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from awa.chem.schema import N_ME_BOXES
from awa.model.parse import FilterError, check_text, format_exact, parse_float
from awa.model.selection import Selection

ET_UNITS = ("channel", "physical")
PLOT_MODES = ("heatmap", "scatter")
SCATTER_COLORS = ("Range", "SSDID", "Sector")
TIMELINE_PANELS = (
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2", "R/BR",
    "L", "MLT", "MAGLAT", "PAPS", "VSTEP", "DPU", "TAC", "PRIORITY", "ME",
)  # fmt: skip
IMAGE_FORMATS = ("png", "svg")
TABS = ("explore", "me", "upload")
#: Histogram grids: AWA's defaults, or the science team's (E-T 0-500 channels in 1-channel bins,
#: M-M/Q 0.5-100 at 0.01 decade with their edge rule, E-T ticks every 50 channels).
GRIDS = ("awa", "team")
TEAM_GRID: dict[str, object] = {
    "et_bin": 1.0, "et_x": (0.0, 500.0), "et_y": (0.0, 500.0), "et_tick": 50.0,
    "mmq_binx": 0.01, "mmq_biny": 0.01, "mmq_x": (0.5, 100.0), "mmq_y": (0.5, 100.0),
}  # fmt: skip
#: Longest custom plot title (characters).
MAX_TITLE = 300

#: Box numbers of the ME grid (ME codes from N_ME_BOXES to 511 are not boxes, spec section 6).
ALL_BOXES: tuple[int, ...] = tuple(range(N_ME_BOXES))
BOXES_FORMS = (
    f"box numbers 0-{N_ME_BOXES - 1} and ranges such as 252-256, separated by commas"
)
ME_COLOUR_MAX = 1e15
#: A timeline y range: panel (or quantity) name, "" for every chosen panel; low, high
#: (None: automatic on that side).
YRange = tuple[str, float | None, float | None]
ME_AXIS_LIMITS = (0.01, 1000.0)


def parse_boxes(text: str | None, name: str = "boxes") -> tuple[int, ...]:
    """Parse a list of ME boxes such as ``"55, 90, 252-256"`` (``all`` or empty: every box).

    Parameters
    ----------
    text : str or None
        Box numbers 0 to ``N_ME_BOXES - 1`` and inclusive ranges ``a-b``, separated by commas
        or spaces (spec section 6).
    name : str
        Control (URL parameter) named in messages.

    Returns
    -------
    tuple of int
        Sorted, distinct box numbers.

    Raises
    ------
    FilterError
        A number outside the grid or a malformed item (the message says what is accepted).
    """
    t = check_text(text, name).strip().lower()
    if t in ("", "all"):
        return ALL_BOXES
    out: set[int] = set()
    for item in (p for p in re.split(r"[,;\s]+", t) if p):
        m = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", item)
        if m is None:
            raise FilterError(name, f"{item!r} is not a box; accepted: {BOXES_FORMS}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo > hi or hi >= N_ME_BOXES:
            raise FilterError(
                name, f"{item!r} is outside 0-{N_ME_BOXES - 1}; accepted: {BOXES_FORMS}"
            )
        out.update(range(lo, hi + 1))
    return tuple(sorted(out))


def format_boxes(boxes: Iterable[int]) -> str:
    """Inverse of :func:`parse_boxes`: runs of consecutive boxes as ``a-b`` (``all``)."""
    values = sorted(set(boxes))
    if tuple(values) == ALL_BOXES:
        return "all"
    parts: list[str] = []
    start = 0
    for i in range(1, len(values) + 1):  # at most N_ME_BOXES boxes
        if i == len(values) or values[i] != values[i - 1] + 1:
            a, b = values[start], values[i - 1]
            parts.append(str(a) if a == b else f"{a}-{b}")
            start = i
    return ",".join(parts)


@dataclass(frozen=True)
class MeOptions:
    """How the matrix-element view is drawn (URL keys ``mez``, ``mex``, ``mey``, ``boxes``).

    Attributes
    ----------
    z_range : (float, float) or None
        Colour limits, counts summed over the cycles (None: 1 to the largest box).
    mpq_range, mass_range : (float, float) or None
        Axis window in amu/e and amu (None: the whole grid, spec section 6).
    boxes : tuple of int
        ME boxes (0 to ``N_ME_BOXES - 1``) summed by the ME timeline (sorted, distinct).
    """

    z_range: tuple[float, float] | None = None
    mpq_range: tuple[float, float] | None = None
    mass_range: tuple[float, float] | None = None
    boxes: tuple[int, ...] = ALL_BOXES

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", tuple(sorted(set(self.boxes))))


@dataclass(frozen=True)
class ViewOptions:
    """How the selection is drawn (axis ranges, bins, scales, panels).

    Panels keep their order; a panel named twice is kept once (the first time).
    """

    et_bin: float = 8.0
    et_x: tuple[float, float] = (0.0, 1023.0)
    et_y: tuple[float, float] = (0.0, 1023.0)
    et_units: str = "channel"
    et_mode: str = "heatmap"
    z_range: tuple[float, float] | None = None
    scatter_color: str = "Range"
    mmq_binx: float = 0.02
    mmq_biny: float = 0.02
    mmq_x: tuple[float, float] = (0.5, 60.0)
    mmq_y: tuple[float, float] = (0.5, 60.0)
    mmq_norm: bool = False
    mmq_refs: bool = True
    mmq_mode: str = "heatmap"
    panels: tuple[str, ...] = ("FSR", "DCR", "TCR", "SSD", "L")
    log_rates: bool = True
    storm_dst: float = -100.0
    image_format: str = "png"
    tab: str = "explore"
    me: MeOptions = field(default_factory=MeOptions)
    # The PHA options of the science team's app (grid, title, axes, ticks, event ranges).
    grid: str = "awa"
    title: str = ""
    mmq_log: bool = True
    et_tick: float | None = None
    events_mass: tuple[float, float] | None = None
    events_mpq: tuple[float, float] | None = None
    # Timeline options of the science team's app.
    tl_filtered: bool = False
    tl_pc0: bool = False
    tl_quantities: tuple[tuple[str, ...], ...] = ()
    tl_yranges: tuple[YRange, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "panels", tuple(dict.fromkeys(self.panels)))


def grid_defaults(grid: str) -> dict[str, object]:
    """The view values a grid sets when the URL gives none (``{}`` for AWA's own grid)."""
    return dict(TEAM_GRID) if grid == "team" else {}


@dataclass(frozen=True)
class AppState:
    """Everything the URL carries: the selection and the view options."""

    selection: Selection = field(default_factory=Selection)
    view: ViewOptions = field(default_factory=ViewOptions)


# ---------------------------------------------------------------------------------------
# Timelines: panels of one's own (quantities and ratios on one axis) and y ranges
# ---------------------------------------------------------------------------------------

#: Rates columns that may be the numerator or denominator of a ratio (counts/spin).
RATIO_COLUMNS = ("FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2")
#: Rates-store columns a panel of one's own may draw, besides ratios ``A/B`` of rates.
QUANTITY_COLUMNS = (
    *RATIO_COLUMNS, "Voltage_Step", "Period_Cntr", "L", "MLTH", "MAGLAT", "Kp", "Dst",
)  # fmt: skip
MAX_PANEL_QUANTITIES = 9
MAX_OWN_PANELS = 6
#: Prefix of the name of a panel of one's own (``q:R0/BR0,FSR/DCR``) in timeline results.
OWN_PANEL_PREFIX = "q:"
QUANTITY_FORMS = (
    f"panels separated by ';', each a list of up to {MAX_PANEL_QUANTITIES} quantities "
    f"separated by commas: {', '.join(QUANTITY_COLUMNS)}, or a ratio A/B of two of "
    f"{', '.join(RATIO_COLUMNS)} (e.g. 'R0/BR0, FSR/DCR; DCR, TCR')"
)
YRANGE_FORMS = (
    "entries 'PANEL:low,high' separated by ';' (PANEL a timeline panel, Kp, Dst or a "
    "quantity of a panel of one's own; without 'PANEL:' the range applies to every chosen "
    "panel; an empty or 'auto' end is automatic), e.g. 'FSR:1,1e5; L:2,8'"
)


def _quantity(item: str, name: str) -> str:
    """One quantity or ratio in its canonical spelling (``r0/br0`` -> ``R0/BR0``)."""
    cols = {c.lower(): c for c in QUANTITY_COLUMNS}
    ratio = {c.lower(): c for c in RATIO_COLUMNS}
    parts = item.split("/")
    if len(parts) == 1 and item.lower() in cols:
        return cols[item.lower()]
    if len(parts) == 2 and parts[0].lower() in ratio and parts[1].lower() in ratio:
        return f"{ratio[parts[0].lower()]}/{ratio[parts[1].lower()]}"
    raise FilterError(name, f"{item!r} is not a quantity; accepted: {QUANTITY_FORMS}")


def parse_quantity_panels(text: str | None, name: str = "tlq") -> tuple[tuple[str, ...], ...]:
    """Parse panels of one's own: ``"R0/BR0, FSR/DCR; DCR, TCR"`` -> two panels.

    Each panel draws its quantities (rates-store columns, or ratios ``A/B`` of the count
    rates, where a zero denominator is a gap) on one y axis.

    Raises
    ------
    FilterError
        An unknown quantity, too many panels or quantities (the message says what is
        accepted).
    """
    t = check_text(text, name).strip()
    panels: list[tuple[str, ...]] = []
    for group in (g for g in t.split(";") if g.strip()):
        items = [_quantity(i, name) for i in re.split(r"[,\s]+", group.strip()) if i]
        quantities = tuple(dict.fromkeys(items))
        if len(quantities) > MAX_PANEL_QUANTITIES:
            raise FilterError(name, f"{len(quantities)} quantities on one axis; at most "
                                    f"{MAX_PANEL_QUANTITIES}")  # fmt: skip
        if quantities not in panels:
            panels.append(quantities)
    if len(panels) > MAX_OWN_PANELS:
        raise FilterError(name, f"{len(panels)} panels of one's own; at most {MAX_OWN_PANELS}")
    return tuple(panels)


def format_quantity_panels(panels: Iterable[tuple[str, ...]]) -> str:
    """Inverse of :func:`parse_quantity_panels`."""
    return "; ".join(",".join(p) for p in panels)


def own_panel_name(quantities: tuple[str, ...]) -> str:
    """Name of a panel of one's own in timeline results (``q:R0/BR0,FSR/DCR``)."""
    return OWN_PANEL_PREFIX + ",".join(quantities)


def own_panel_quantities(panel: str) -> tuple[str, ...] | None:
    """Quantities of a panel named by :func:`own_panel_name` (None for any other panel)."""
    if not panel.startswith(OWN_PANEL_PREFIX):
        return None
    return tuple(panel[len(OWN_PANEL_PREFIX) :].split(","))


def _bound(text: str, name: str) -> float | None:
    t = text.strip()
    if t.lower() in ("", "auto", "*"):
        return None
    return parse_float(t, name, -1e12, 1e12)


def parse_yranges(text: str | None, name: str = "tly") -> tuple[YRange, ...]:
    """Parse timeline y ranges: ``"FSR:1,1e5; L:2,8"``, or ``"0,100"`` for every panel.

    Returns
    -------
    tuple of (name, low, high)
        Canonical panel or quantity names (``""``: every chosen panel), bounds in the
        panel's units (None: automatic).  A later entry for the same name wins.

    Raises
    ------
    FilterError
        An unknown panel, a malformed number or low >= high.
    """
    t = check_text(text, name).strip()
    panels = {p.lower(): p for p in (*TIMELINE_PANELS, "Kp", "Dst")}
    out: dict[str, YRange] = {}
    for entry in (e.strip() for e in t.split(";") if e.strip()):
        key, sep, rest = entry.rpartition(":")
        key = key.strip()
        if sep and key.lower() in panels:
            key = panels[key.lower()]
        elif sep:
            try:
                key = _quantity(key, name)
            except FilterError:
                msg = f"{key!r} is not a panel; accepted: {YRANGE_FORMS}"
                raise FilterError(name, msg) from None
        ends = rest.split(",")
        if len(ends) != 2:
            raise FilterError(name, f"{entry!r} is not a y range; accepted: {YRANGE_FORMS}")
        lo, hi = _bound(ends[0], name), _bound(ends[1], name)
        if lo is not None and hi is not None and not lo < hi:
            raise FilterError(name, f"{entry!r}: the low end must be below the high end")
        out[key] = (key, lo, hi)
    return tuple(out.values())


def format_yranges(ranges: Iterable[YRange]) -> str:
    """Inverse of :func:`parse_yranges`."""
    def end(v: float | None) -> str:
        return "" if v is None else format_exact(v)

    return "; ".join((f"{k}:" if k else "") + f"{end(lo)},{end(hi)}" for k, lo, hi in ranges)


def yrange_for(ranges: Iterable[YRange], panel: str) -> tuple[float | None, float | None] | None:
    """The y range of ``panel`` (a panel name or :func:`own_panel_name`), or None.

    A range named after the panel wins; a panel of one's own takes the range named after
    one of its quantities; the unnamed range applies to every other panel but Kp and Dst.
    """
    by_name = {k: (lo, hi) for k, lo, hi in ranges}
    if panel in by_name:
        return by_name[panel]
    for q in own_panel_quantities(panel) or ():
        if q in by_name:
            return by_name[q]
    return by_name.get("") if panel not in ("Kp", "Dst") else None
