"""The Browser page's ids and the mapping between its controls and URL parameters.

Every control shows one or more URL parameters (``awa.model.PARAMS``).  ``read_controls``
turns control values into ``{key: text}`` and ``write_controls`` does the reverse, so the
URL query string is the one source of truth of the view state.  :func:`sync` is the pure
logic behind the callback that keeps URL and controls in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from awa.model import (
    DPU_MODES,
    IMAGE_FORMATS,
    PHA_PRIORITIES,
    PHA_RANGES,
    PLOT_MODES,
    SCATTER_COLORS,
    SSD_IDS,
    TABS,
    TAC_SLOPES,
    TIMELINE_PANELS,
    AppState,
    FilterError,
    TimeRange,
    all_params,
    check_query_length,
    format_time_ranges,
    parse_params,
    parse_query,
    to_query,
    with_times,
)
from awa.model.view import GRIDS
from awa.pages.me import MeIds
from awa.pages.widgets import PAPS_OPTIONS


class Ids(StrEnum):
    """Component ids of the Browser page (the ME tab's are :class:`awa.pages.me.MeIds`)."""

    URL = "url"
    MESSAGE = "message"
    STATUS = "store-status"
    SHARE = "share-link"
    TABS = "tabs"
    TIME = "time"
    PICKER = "picker"
    STORMS = "storms"
    STORM_DST = "storm-dst"
    L = "l-range"
    VSTEP = "vstep-range"
    MLT = "mlt-range"
    DST = "dst-range"
    KP = "kp-range"
    SSD = "ssd-ids"
    RANGES = "pha-ranges"
    PAPS = "paps-levels"
    DPU = "dpu-modes"
    TAC = "tac-slopes"
    PRIO = "pha-priorities"
    FLAGS = "flags"
    RATE_FLAGS = "rate-flags"
    BR0MAX = "br0-max"
    BR1MAX = "br1-max"
    BR2MAX = "br2-max"
    SWEEP = "sweep"
    ET_GRAPH = "et-graph"
    ET_CAPTION = "et-caption"
    ET_DOWNLOAD = "et-download"
    ET_EVENTS = "et-events-download"
    ET_BIN = "et-bin"
    ET_X = "et-x"
    ET_Y = "et-y"
    ET_UNITS = "et-units"
    ET_MODE = "et-mode"
    Z_RANGE = "z-range"
    COLOR = "scatter-color"
    MMQ_GRAPH = "mmq-graph"
    MMQ_CAPTION = "mmq-caption"
    MMQ_DOWNLOAD = "mmq-download"
    MMQ_BINX = "mmq-binx"
    MMQ_BINY = "mmq-biny"
    MMQ_X = "mmq-x"
    MMQ_Y = "mmq-y"
    MMQ_MODE = "mmq-mode"
    MMQ_FLAGS = "mmq-flags"
    TL_GRAPH = "tl-graph"
    TL_CAPTION = "tl-caption"
    TL_DOWNLOAD = "tl-download"
    TL_PANELS = "tl-panels"
    TL_FLAGS = "tl-flags"
    TL_QUANTITIES = "tl-quantities"
    TL_YRANGES = "tl-yranges"
    TL_REJECTED = "tl-rejected-download"
    TL_RESET = "tl-reset-zoom"
    STORM_NOTE = "storm-note"
    IMG = "image-format"
    UPLOAD = "upload"
    UPLOAD_GRAPH = "upload-graph"
    UPLOAD_CAPTION = "upload-caption"
    GRID = "pha-grid"
    PLOT_TITLE = "plot-title"
    ET_TICK = "et-tick"
    EV_MASS = "events-mass"
    EV_MPQ = "events-mpq"


@dataclass(frozen=True)
class Control:
    """A control: component id, its value property, the URL keys it shows, and its kind.

    Kinds: ``text`` (one key, free text), ``set`` (one key, checklist of ``options`` codes;
    all checked = ``all``), ``flags`` (checklist whose options are the keys, each ``1``/``0``),
    ``choice`` (one key, radio value), ``panels`` (one key, multi dropdown).
    """

    id: str
    keys: tuple[str, ...]
    kind: str
    options: tuple[Any, ...] = ()
    prop: str = "value"


CONTROLS: tuple[Control, ...] = (
    Control(Ids.TIME, ("t",), "text"),
    Control(Ids.L, ("L",), "text"),
    Control(Ids.VSTEP, ("vs",), "text"),
    Control(Ids.MLT, ("mlt",), "text"),
    Control(Ids.DST, ("dst",), "text"),
    Control(Ids.KP, ("kp",), "text"),
    Control(Ids.SSD, ("ssd",), "set", SSD_IDS),
    Control(Ids.RANGES, ("rng",), "set", PHA_RANGES),
    Control(Ids.PAPS, ("paps",), "set", tuple(PAPS_OPTIONS)),
    Control(Ids.DPU, ("dpu",), "set", tuple(DPU_MODES)),
    Control(Ids.TAC, ("tac",), "set", tuple(TAC_SLOPES)),
    Control(Ids.PRIO, ("prio",), "set", tuple(PHA_PRIORITIES)),
    Control(Ids.FLAGS, ("tri", "r1019", "r3", "rssd"), "flags"),
    Control(Ids.RATE_FLAGS, ("brdcr", "br2tcr", "rnbrn"), "flags"),
    Control(Ids.BR0MAX, ("br0max",), "text"),
    Control(Ids.BR1MAX, ("br1max",), "text"),
    Control(Ids.BR2MAX, ("br2max",), "text"),
    Control(Ids.SWEEP, ("sweep",), "text"),
    Control(Ids.ET_BIN, ("etbin",), "text"),
    Control(Ids.ET_X, ("etx",), "text"),
    Control(Ids.ET_Y, ("ety",), "text"),
    Control(Ids.ET_UNITS, ("units",), "choice", ("channel", "physical")),
    Control(Ids.ET_MODE, ("etmode",), "choice", PLOT_MODES),
    Control(Ids.Z_RANGE, ("z",), "text"),
    Control(Ids.COLOR, ("color",), "choice", SCATTER_COLORS),
    Control(Ids.MMQ_BINX, ("mbx",), "text"),
    Control(Ids.MMQ_BINY, ("mby",), "text"),
    Control(Ids.MMQ_X, ("mx",), "text"),
    Control(Ids.MMQ_Y, ("my",), "text"),
    Control(Ids.MMQ_MODE, ("mmode",), "choice", PLOT_MODES),
    Control(Ids.MMQ_FLAGS, ("norm", "refs", "mlog"), "flags"),
    Control(Ids.TL_PANELS, ("panels",), "panels", TIMELINE_PANELS),
    Control(Ids.TL_FLAGS, ("log", "tlf", "pc0"), "flags"),
    Control(Ids.TL_QUANTITIES, ("tlq",), "text"),
    Control(Ids.TL_YRANGES, ("tly",), "text"),
    Control(Ids.STORM_DST, ("storm",), "text"),
    Control(Ids.IMG, ("img",), "choice", IMAGE_FORMATS),
    Control(Ids.TABS, ("tab",), "choice", TABS),
    Control(MeIds.Z, ("mez",), "text"),
    Control(MeIds.X, ("mex",), "text"),
    Control(MeIds.Y, ("mey",), "text"),
    Control(MeIds.BOXES, ("boxes",), "text"),
    Control(Ids.GRID, ("grid",), "choice", GRIDS),
    Control(Ids.PLOT_TITLE, ("title",), "text"),
    Control(Ids.ET_TICK, ("ettick",), "text"),
    Control(Ids.EV_MASS, ("evm",), "text"),
    Control(Ids.EV_MPQ, ("evq",), "text"),
)

#: URL keys whose defaults depend on the grid (``awa.model.view.grid_defaults``): a change
#: of grid resets them to the new grid's values.
GRID_KEYS = ("etbin", "etx", "ety", "ettick", "mbx", "mby", "mx", "my")


def read_control(control: Control, value: Any) -> dict[str, str]:
    """Turn a control's value into ``{url key: text}``."""
    if control.kind == "flags":
        on = set(value or ())
        return {k: "1" if k in on else "0" for k in control.keys}
    key = control.keys[0]
    if control.kind == "set":
        chosen = [int(v) for v in (value or ())]
        if set(chosen) == set(control.options):
            return {key: "all"}
        return {key: ",".join(str(v) for v in sorted(chosen))}
    if control.kind == "panels":
        return {key: ",".join(value or ())}
    return {key: "" if value is None else str(value)}


def write_control(control: Control, params: dict[str, str]) -> Any:
    """Turn ``{url key: text}`` (all keys, as from ``all_params``) into the control's value."""
    if control.kind == "flags":
        return [k for k in control.keys if params[k] == "1"]
    text = params[control.keys[0]]
    if control.kind == "set":
        if text == "all":
            return list(control.options)
        return [int(v) for v in text.split(",") if v]
    if control.kind == "panels":
        return [v for v in text.split(",") if v]
    if control.kind == "text" and text in ("all", "none"):
        return ""
    return text


def read_controls(values: dict[str, Any]) -> dict[str, str]:
    """URL parameters of all controls' values."""
    out: dict[str, str] = {}
    for control in CONTROLS:
        if control.id in values:
            out.update(read_control(control, values[control.id]))
    return out


def write_controls(state: AppState) -> dict[str, Any]:
    """Control values that show ``state``."""
    params = all_params(state)
    return {c.id: write_control(c, params) for c in CONTROLS}


@dataclass(frozen=True)
class SyncResult:
    """What the URL/control callback returns: a new query string (or None: unchanged),
    new control values (only those to change) and a message for the user."""

    search: str | None
    controls: dict[str, Any]
    message: str


def parse_selected_range(selected: dict[str, Any] | None) -> TimeRange | None:
    """Time range of a box selection on a timeline (``selectedData['range']``), its ends
    rounded to the minute (:func:`round_minute`)."""
    if not selected or not isinstance(selected.get("range"), dict):
        return None
    for axis, span in selected["range"].items():
        if str(axis).startswith("x") and isinstance(span, list) and len(span) == 2:
            try:
                a, b = (_parse_plotly_time(str(v)) for v in span)
            except ValueError:
                return None
            a, b = round_minute(min(a, b)), round_minute(max(a, b))
            if b == a:  # a drag shorter than a minute: that minute
                b = a + timedelta(minutes=1)
            return TimeRange(a, b)
    return None


def round_minute(t: datetime) -> datetime:
    """``t`` rounded to the nearest whole minute (30 s and more round up): a span dragged
    on a timeline is written ``1986-038-2353``, not ``1986-038-235234``."""
    down = t.replace(second=0, microsecond=0)
    return down + timedelta(minutes=1) if t - down >= timedelta(seconds=30) else down


_RANGE_KEY = re.compile(r"^xaxis\d*\.range\[([01])\]$")


def parse_zoom(relayout: dict[str, Any] | None) -> tuple[bool, TimeRange | None]:
    """Interpret a timeline's ``relayoutData``.

    Returns
    -------
    changed : bool
        True when the time axis was zoomed or reset (other relayouts are ignored).
    window : TimeRange or None
        The visible span after a zoom; None after a reset (autorange).
    """
    if not relayout:
        return False, None
    ends: dict[int, str] = {}
    for key, value in relayout.items():
        m = _RANGE_KEY.match(str(key))
        if m:
            ends[int(m.group(1))] = str(value)
        elif re.match(r"^xaxis\d*\.range$", str(key)) and isinstance(value, list):
            if len(value) != 2:
                return False, None
            ends = {0: str(value[0]), 1: str(value[1])}
        elif re.match(r"^xaxis\d*\.autorange$", str(key)) and value:
            return True, None
    if len(ends) != 2:
        return False, None
    try:
        a, b = _parse_plotly_time(ends[0]), _parse_plotly_time(ends[1])
    except ValueError:
        return False, None
    return (True, TimeRange(min(a, b), max(a, b))) if a != b else (False, None)


def _parse_plotly_time(text: str) -> datetime:
    t = datetime.fromisoformat(text.strip().replace(" ", "T")[:26])
    return (
        t.replace(microsecond=0)
        if t.microsecond < 500_000
        else (t.replace(microsecond=0) + timedelta(seconds=1))
    )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def picker_range(start: str | None, end: str | None) -> TimeRange | None:
    """Whole days from the calendar picker's start to end dates (inclusive)."""
    if not start or not end or not _DATE.match(start) or not _DATE.match(end):
        return None
    try:
        a = datetime.fromisoformat(start[:10])
        b = datetime.fromisoformat(end[:10]) + timedelta(days=1)
    except ValueError:  # a well-shaped but impossible date, e.g. 1986-02-31
        return None
    return TimeRange(a, b) if b > a else None


def sync(
    trigger: str | None,
    search: str | None,
    values: dict[str, Any],
    default_times: tuple[TimeRange, ...] = (),
    new_times: tuple[TimeRange, ...] | None = None,
    shorten: Callable[[str], str] | None = None,
) -> SyncResult:
    """Keep URL and controls in step.

    Parameters
    ----------
    trigger : str or None
        Id of the component that changed; None or ``url`` on page load and history moves.
    search : str
        The URL query string.
    values : dict
        Current control values.
    default_times : tuple of TimeRange
        Time ranges shown when the URL names none.
    new_times : tuple of TimeRange, optional
        Times chosen with the calendar, the storm list or a timeline selection.
    shorten : callable, optional
        Turns a query string too long for a link into a short one (``?v=<id>``).

    Returns
    -------
    SyncResult
        From the URL: controls set to the URL's state (bad parameters are reported and
        skipped).  From a control: the new query string, or a message naming the bad value.
    """
    if trigger in (None, "", Ids.URL.value):
        state, errors = parse_query(search)
        if not state.selection.times and default_times:
            state = with_times(state, default_times)
        message = ("URL: " + "; ".join(errors)) if errors else ""
        return SyncResult(None, write_controls(state), message)
    params = read_controls(values)
    changed: dict[str, Any] = {}
    if trigger == Ids.GRID:
        for key in GRID_KEYS:
            params.pop(key, None)
    if new_times is not None:
        params["t"] = format_time_ranges(new_times)
        changed[Ids.TIME] = params["t"]
    try:
        state, _ = parse_params(params, strict=True)
    except FilterError as exc:
        return SyncResult(None, changed, str(exc))
    if not state.selection.times:
        return SyncResult(None, changed, "time: enter at least one time range")
    if trigger == Ids.GRID:  # show the new grid's bins and ranges
        shown = write_controls(state)
        changed.update({c.id: shown[c.id] for c in CONTROLS if set(c.keys) & set(GRID_KEYS)})
    query = to_query(state) if shorten is None else shorten(to_query(state))
    try:
        check_query_length(query)
    except FilterError as exc:
        return SyncResult(None, changed, str(exc))
    return SyncResult(query, changed, "")
