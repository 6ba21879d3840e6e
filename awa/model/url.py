"""URL parameters: one table says, for each key, where it lives and how it is (de)serialised.

A URL query string is the single source of truth of a view: :func:`parse_query` turns it
into an :class:`AppState` (skipping bad values with messages) and :func:`to_query` writes
the values that differ from the defaults.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote

from awa.chem.schema import DPU_MODES, PHA_PRIORITIES, TAC_SLOPES, TOF_ARTEFACT
from awa.model.kp import parse_kp_range
from awa.model.parse import (
    MAX_TEXT,
    FilterError,
    check_text,
    format_exact,
    format_mlt,
    format_range,
    parse_bool,
    parse_float,
    parse_int_set,
    parse_mlt,
    parse_range,
    parse_window,
)
from awa.model.selection import PAPS_LEVELS, PHA_RANGES, SSD_IDS, Selection, parse_sweep
from awa.model.time import (
    MAX_TIME_TEXT,
    TimeRange,
    format_time_ranges,
    merge_time_ranges,
    parse_time_ranges,
)
from awa.model.view import (
    ET_UNITS,
    GRIDS,
    IMAGE_FORMATS,
    MAX_TITLE,
    ME_AXIS_LIMITS,
    ME_COLOUR_MAX,
    PLOT_MODES,
    SCATTER_COLORS,
    TABS,
    TIMELINE_PANELS,
    AppState,
    MeOptions,
    ViewOptions,
    format_boxes,
    format_quantity_panels,
    format_yranges,
    grid_defaults,
    parse_boxes,
    parse_quantity_panels,
    parse_yranges,
)

T = TypeVar("T")

def _fmt_window(v: tuple[float, float] | None) -> str:
    return "all" if v is None else f"{format_exact(v[0])},{format_exact(v[1])}"


def _fmt_boxes(v: tuple[int, ...]) -> str:
    return "none" if not v else format_boxes(v)


def _parse_boxes(text: str) -> tuple[int, ...]:
    return () if str(text).strip().lower() == "none" else parse_boxes(text)


def _opt(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    def inner(text: str) -> T | None:
        t = str(text).strip().lower()
        return None if t in ("", "all", "any", "none") else parse(text)

    return inner


def _opt_set(name: str, allowed: Iterable[int]) -> Callable[[str], tuple[int, ...] | None]:
    allowed_t = tuple(allowed)

    def inner(text: str) -> tuple[int, ...] | None:
        if str(text).strip().lower() in ("all", "any"):
            return None
        return parse_int_set(text, name, allowed_t)

    return inner


def _fmt_set(v: tuple[int, ...] | None) -> str:
    return "all" if v is None else ",".join(str(x) for x in v)


def _fmt_opt_pair(v: tuple[float, float] | None) -> str:
    return "all" if v is None else format_range(v)


def _fmt_opt_num(v: float | None) -> str:
    return "none" if v is None else format_exact(v)


def _fmt_bool(v: bool) -> str:
    return "1" if v else "0"


def _choice(name: str, options: tuple[str, ...]) -> Callable[[str], str]:
    def inner(text: str) -> str:
        t = str(text).strip()
        for o in options:
            if t.lower() == o.lower():
                return o
        raise FilterError(name, f"{text!r} is not one of {', '.join(options)}")

    return inner


def _closed(text: str, name: str, lo: float, hi: float) -> tuple[float, float]:
    """A range with both bounds given (axis ranges: no open side)."""
    a, b = parse_range(text, name, lo, hi)
    if math.isinf(a) or math.isinf(b):
        raise FilterError(name, f"{text!r}: an axis range needs both ends, 'low,high'")
    return (a, b)


def _panels(text: str) -> tuple[str, ...]:
    items = [t for t in re.split(r"[,;\s]+", str(text).strip()) if t]
    out = []
    lookup = {p.lower(): p for p in TIMELINE_PANELS}
    for item in items:
        if item.lower() not in lookup:
            raise FilterError(
                "panels", f"{item!r} is not a panel; accepted: {', '.join(TIMELINE_PANELS)}"
            )
        if lookup[item.lower()] not in out:
            out.append(lookup[item.lower()])
    return tuple(out)


def _title(text: str) -> str:
    """A plot title: one line of at most MAX_TITLE characters (control characters refused)."""
    t = " ".join(str(text).split())
    if len(t) > MAX_TITLE:
        raise FilterError("title", f"{len(t)} characters; a plot title has at most {MAX_TITLE}")
    if any(ord(c) < 32 or ord(c) == 127 for c in t):
        raise FilterError("title", "a plot title cannot hold control characters")
    return t


def _tick(text: str, name: str) -> float | None:
    """Tick spacing in channels: 0 or ``auto`` for plotly's own ticks."""
    if str(text).strip().lower() in ("0", "auto"):
        return None
    return parse_float(text, name, 1, 1023)


@dataclass(frozen=True)
class Param:
    """One URL parameter: its key, the dataclass field it fills, its parser and formatter."""

    key: str
    target: str  # "selection", "view" or "me" (the view's MeOptions)
    attr: str
    parse: Callable[[str], Any]
    fmt: Callable[[Any], str]
    label: str


PARAMS: tuple[Param, ...] = (
    Param("t", "selection", "times", parse_time_ranges, format_time_ranges, "time"),
    Param("L", "selection", "l_range",
          _opt(lambda s: parse_range(s, "L", 0, 20)), _fmt_opt_pair, "L range"),
    Param("vs", "selection", "vstep_range",
          _opt(lambda s: parse_range(s, "vs", 0, 63, integer=True)), _fmt_opt_pair,
          "E/Q voltage steps"),
    Param("mlt", "selection", "mlt_range", _opt(parse_mlt),
          lambda v: "all" if v is None else format_mlt(v), "MLT (HHMM)"),
    Param("dst", "selection", "dst_range",
          _opt(lambda s: parse_range(s, "dst", -2000, 500)), _fmt_opt_pair, "Dst, nT"),
    Param("kp", "selection", "kp_range",
          _opt(parse_kp_range), _fmt_opt_pair, "Kp"),
    Param("ssd", "selection", "ssd_ids", _opt_set("ssd", SSD_IDS), _fmt_set, "SSD ids"),
    Param("rng", "selection", "pha_ranges", _opt_set("rng", PHA_RANGES), _fmt_set, "PHA ranges"),
    Param("paps", "selection", "paps_levels", _opt_set("paps", PAPS_LEVELS), _fmt_set,
          "PAPS levels"),
    Param("dpu", "selection", "dpu_modes", _opt_set("dpu", DPU_MODES), _fmt_set, "DPU modes"),
    Param("tac", "selection", "tac_slopes", _opt_set("tac", TAC_SLOPES), _fmt_set,
          "TAC slopes"),
    Param("prio", "selection", "pha_priorities", _opt_set("prio", PHA_PRIORITIES), _fmt_set,
          "PHA priority"),
    Param("tri", "selection", "triples_only", lambda s: parse_bool(s, "tri"), _fmt_bool,
          "triples only"),
    Param("r1019", "selection", "reject_tof1019", lambda s: parse_bool(s, "r1019"), _fmt_bool,
          f"reject TOF = {TOF_ARTEFACT}"),
    Param("r3", "selection", "reject_range3", lambda s: parse_bool(s, "r3"), _fmt_bool,
          "reject Range 3"),
    Param("rssd", "selection", "reject_ssd_high", lambda s: parse_bool(s, "rssd"), _fmt_bool,
          "reject SSDID >= 4"),
    Param("brdcr", "selection", "sum_br_le_dcr", lambda s: parse_bool(s, "brdcr"), _fmt_bool,
          "sum BR <= DCR"),
    Param("br2tcr", "selection", "br2_le_tcr", lambda s: parse_bool(s, "br2tcr"), _fmt_bool,
          "BR2 <= TCR"),
    Param("rnbrn", "selection", "rn_le_brn", lambda s: parse_bool(s, "rnbrn"), _fmt_bool,
          "R_n <= BR_n"),
    Param("br0max", "selection", "max_br0", _opt(lambda s: parse_float(s, "br0max", 0, 1e12)),
          _fmt_opt_num, "max BR0"),
    Param("br1max", "selection", "max_br1", _opt(lambda s: parse_float(s, "br1max", 0, 1e12)),
          _fmt_opt_num, "max BR1"),
    Param("br2max", "selection", "max_br2", _opt(lambda s: parse_float(s, "br2max", 0, 1e12)),
          _fmt_opt_num, "max BR2"),
    Param("sweep", "selection", "sweep", parse_sweep,
          lambda v: "" if v is None else f"{v.rate},{format_exact(v.limit)},{v.step}",
          "sweep rate filter"),
    Param("etbin", "view", "et_bin",
          lambda s: parse_float(s, "etbin", 1, 256), format_exact,
          "E-T bin width, channels"),
    Param("etx", "view", "et_x", lambda s: _closed(s, "etx", 0, 1023), format_range,
          "E-T TOF axis range, channels"),
    Param("ety", "view", "et_y", lambda s: _closed(s, "ety", 0, 1023), format_range,
          "E-T energy axis range, channels"),
    Param("units", "view", "et_units", _choice("units", ET_UNITS), str, "E-T units"),
    Param("etmode", "view", "et_mode", _choice("etmode", PLOT_MODES), str, "E-T view"),
    Param("z", "view", "z_range", _opt(lambda s: _closed(s, "z", 0, 1e12)),
          _fmt_opt_pair, "colour range, counts"),
    Param("color", "view", "scatter_color", _choice("color", SCATTER_COLORS), str,
          "scatter colour"),
    Param("mbx", "view", "mmq_binx", lambda s: parse_float(s, "mbx", 0.001, 1.0), format_exact,
          "M/Q bin width, log10"),
    Param("mby", "view", "mmq_biny", lambda s: parse_float(s, "mby", 0.001, 1.0), format_exact,
          "mass bin width, log10"),
    Param("mx", "view", "mmq_x", lambda s: _closed(s, "mx", 0.01, 1000), format_range,
          "M/Q axis range, amu/e"),
    Param("my", "view", "mmq_y", lambda s: _closed(s, "my", 0.01, 1000), format_range,
          "mass axis range, amu"),
    Param("norm", "view", "mmq_norm", lambda s: parse_bool(s, "norm"), _fmt_bool,
          "BR/R normalisation"),
    Param("refs", "view", "mmq_refs", lambda s: parse_bool(s, "refs"), _fmt_bool,
          "species marks"),
    Param("mmode", "view", "mmq_mode", _choice("mmode", PLOT_MODES), str, "M-M/Q view"),
    Param("panels", "view", "panels", _panels, lambda v: ",".join(v), "timeline panels"),
    Param("log", "view", "log_rates", lambda s: parse_bool(s, "log"), _fmt_bool,
          "log rate axes"),
    Param("storm", "view", "storm_dst", lambda s: parse_float(s, "storm", -1000, 0), format_exact,
          "storm Dst threshold, nT"),
    Param("img", "view", "image_format", _choice("img", IMAGE_FORMATS), str, "image format"),
    Param("tab", "view", "tab", _choice("tab", TABS), str, "tab"),
    Param("mez", "me", "z_range",
          lambda s: parse_window(s, "mez", 0.0, ME_COLOUR_MAX), _fmt_window,
          "ME colour limits, counts"),
    Param("mex", "me", "mpq_range",
          lambda s: parse_window(s, "mex", *ME_AXIS_LIMITS), _fmt_window,
          "ME M/Q window, amu/e"),
    Param("mey", "me", "mass_range",
          lambda s: parse_window(s, "mey", *ME_AXIS_LIMITS), _fmt_window,
          "ME mass window, amu"),
    Param("boxes", "me", "boxes", _parse_boxes, _fmt_boxes, "ME timeline boxes"),
    # the science team's PHA options (grid, title, linear M-M/Q axes, ticks, event ranges)
    Param("grid", "view", "grid", _choice("grid", GRIDS), str, "histogram grids"),
    Param("title", "view", "title", _title, str, "plot title"),
    Param("mlog", "view", "mmq_log", lambda s: parse_bool(s, "mlog"), _fmt_bool,
          "log M-M/Q axes"),
    Param("ettick", "view", "et_tick", _opt(lambda s: _tick(s, "ettick")), _fmt_opt_num,
          "E-T tick spacing, channels"),
    Param("evm", "view", "events_mass",
          _opt(lambda s: _closed(s, "evm", 0, 1000)), _fmt_opt_pair,
          "events CSV mass range, amu"),
    Param("evq", "view", "events_mpq",
          _opt(lambda s: _closed(s, "evq", 0, 1000)), _fmt_opt_pair,
          "events CSV M/Q range, amu/e"),
    Param("tlf", "view", "tl_filtered", lambda s: parse_bool(s, "tlf"), _fmt_bool,
          "timelines with filters"),
    Param("pc0", "view", "tl_pc0", lambda s: parse_bool(s, "pc0"), _fmt_bool,
          "timelines: period counter 0 only"),
    Param("tlq", "view", "tl_quantities", parse_quantity_panels, format_quantity_panels,
          "timeline quantities on one axis"),
    Param("tly", "view", "tl_yranges", parse_yranges, format_yranges, "timeline y ranges"),
)  # fmt: skip
PARAM_BY_KEY = {p.key: p for p in PARAMS}


def _holder(state: AppState, target: str) -> Any:
    """The object holding a parameter's field: the selection, the view or its MeOptions."""
    if target == "selection":
        return state.selection
    return state.view.me if target == "me" else state.view


def _post_check(state: AppState) -> None:
    v = state.view
    for name, (lo, hi) in (("etx", v.et_x), ("ety", v.et_y), ("mx", v.mmq_x), ("my", v.mmq_y)):
        if not lo < hi:
            raise FilterError(name, f"axis range {lo:g},{hi:g} must have low < high")


def parse_params(values: Mapping[str, Any], strict: bool = True) -> tuple[AppState, list[str]]:
    """Build an :class:`AppState` from ``{url key: text}``; missing keys keep their defaults.

    Parameters
    ----------
    values : mapping
        URL keys (``PARAMS``) to raw text (lists are joined with commas).
    strict : bool
        Raise the first :class:`FilterError` (True), or skip bad values and return their
        messages (False; used for URLs, so that one bad parameter keeps the rest).

    Returns
    -------
    state : AppState
    errors : list of str
        Messages of the values that were skipped (empty when ``strict``).
    """
    parts: dict[str, dict[str, Any]] = {"selection": {}, "view": {}, "me": {}}
    errors: list[str] = []
    for key, raw in values.items():
        param = PARAM_BY_KEY.get(key)
        if param is None:
            if strict:
                raise FilterError(key, "unknown parameter")
            errors.append(f"{key}: unknown parameter (ignored)")
            continue
        text = ",".join(str(x) for x in raw) if isinstance(raw, list | tuple) else str(raw)
        try:
            limit = MAX_TIME_TEXT if param.key == "t" else MAX_TEXT
            value = param.parse(check_text(text, key, limit))
        except FilterError as exc:
            if strict:
                raise
            errors.append(str(exc))
            continue
        parts[param.target][param.attr] = value
    for attr, value in grid_defaults(parts["view"].get("grid", "awa")).items():
        parts["view"].setdefault(attr, value)
    me = MeOptions(**parts["me"])
    state = AppState(Selection(**parts["selection"]), ViewOptions(**parts["view"], me=me))
    try:
        _post_check(state)
    except FilterError as exc:
        if strict:
            raise
        errors.append(str(exc))
        state = AppState(state.selection, ViewOptions())
    return state, errors


def parse_query(search: str | None) -> tuple[AppState, list[str]]:
    """Parse a URL query string (``?t=...&L=2,10``), skipping bad values with messages."""
    text = (search or "").lstrip("?")
    return parse_params(dict(parse_qsl(text, keep_blank_values=True)), strict=False)


def to_params(state: AppState) -> dict[str, str]:
    """Serialise the values of ``state`` that differ from the defaults, as ``{key: text}``.

    The defaults are those of the state's grid (:func:`awa.model.view.grid_defaults`)."""
    default = AppState(view=ViewOptions(**grid_defaults(state.view.grid)))  # type: ignore[arg-type]
    out: dict[str, str] = {}
    for p in PARAMS:
        value = getattr(_holder(state, p.target), p.attr)
        if value != getattr(_holder(default, p.target), p.attr):
            out[p.key] = p.fmt(value)
    return out


def all_params(state: AppState) -> dict[str, str]:
    """Serialise every value of ``state`` as ``{key: text}`` (controls show these)."""
    out = {}
    for p in PARAMS:
        out[p.key] = p.fmt(getattr(_holder(state, p.target), p.attr))
    return out


#: Longest query string AWA writes into a link: it must fit, with a download path, in the
#: request line a server accepts (gunicorn.conf.py sets ``limit_request_line`` to 8190).
MAX_QUERY_CHARS = 7000


def check_query_length(query: str) -> None:
    """Refuse a view whose query string is too long to carry in a link.

    Raises
    ------
    FilterError
        ``query`` is longer than :data:`MAX_QUERY_CHARS` characters.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise FilterError(
            "t",
            f"this view needs {len(query):,} characters in its address, more than the "
            f"{MAX_QUERY_CHARS:,} a link can carry (reload, share, downloads): use fewer or "
            f"longer time ranges",
        )


def to_query(state: AppState) -> str:
    """Serialise ``state`` as a URL query string (``?...``; empty when all defaults)."""
    params = to_params(state)
    if not params:
        return ""
    return "?" + "&".join(
        f"{k}={quote(v if k == 'title' else v.replace('; ', ';'), safe=',:;-./')}"
        for k, v in params.items()
    )


def with_times(state: AppState, times: tuple[TimeRange, ...]) -> AppState:
    """Return ``state`` with its time ranges replaced."""
    return replace(state, selection=replace(state.selection, times=merge_time_ranges(times)))
