"""The view options: how a selection is drawn, and the vocabularies of the view controls."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from awa.chem.schema import N_ME_BOXES
from awa.model.parse import FilterError, check_text
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
