"""The typed model of AWA: user text and URLs in, frozen dataclasses out.

Everything a user types or a URL carries is parsed here, once, into frozen dataclasses of
numbers, enums and datetimes.  Nothing downstream sees raw text, and no user text ever
reaches a PyTables ``where`` expression.  A malformed value raises :class:`FilterError`,
whose message names the control and says what is accepted.

Modules
-------
parse
    :class:`FilterError` and the generic parsers (ranges, MLT, sets, numbers, switches).
kp
    Kp bounds in every spelling (``7.667``, ``23/3``, ``8-``), snapped to the stored thirds.
time
    :class:`TimeRange` and the time grammar (ISO and day-of-year ranges).
selection
    :class:`Selection` (which events) and :class:`SweepLimit`.
view
    :class:`ViewOptions`, :class:`MeOptions`, :class:`AppState` and the view vocabularies.
url
    The URL parameter table (:data:`PARAMS`) and (de)serialisation of :class:`AppState`.
"""

from awa.chem.schema import DPU_MODES, PHA_PRIORITIES, TAC_SLOPES
from awa.model.kp import (
    KP_FORMS,
    KP_THIRDS,
    describe_kp,
    format_kp,
    parse_kp,
    parse_kp_range,
    snap_kp,
)
from awa.model.parse import (
    MAX_TEXT,
    RANGE_FORMS,
    FilterError,
    check_text,
    describe_range,
    format_exact,
    format_mlt,
    format_range,
    parse_bool,
    parse_float,
    parse_int,
    parse_int_set,
    parse_mlt,
    parse_number,
    parse_range,
    parse_window,
    split_range,
)
from awa.model.selection import (
    PAPS_LEVELS,
    PHA_RANGES,
    RATE_NAMES,
    SSD_IDS,
    Selection,
    SweepLimit,
    parse_sweep,
)
from awa.model.time import (
    MAX_TIME_TEXT,
    TIME_FORMS,
    TimeRange,
    format_time,
    format_time_range,
    format_time_ranges,
    merge_time_ranges,
    parse_time_range,
    parse_time_ranges,
)
from awa.model.url import (
    MAX_QUERY_CHARS,
    PARAM_BY_KEY,
    PARAMS,
    Param,
    all_params,
    check_query_length,
    parse_params,
    parse_query,
    to_params,
    to_query,
    with_times,
)
from awa.model.view import (
    ALL_BOXES,
    ET_UNITS,
    IMAGE_FORMATS,
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
    parse_boxes,
)
from awa.model.view_id import VIEW_ID_KEY, view_id, view_id_of

__all__ = [
    "MAX_QUERY_CHARS",
    "VIEW_ID_KEY",
    "view_id",
    "view_id_of",
    "check_query_length",
    "ALL_BOXES",
    "DPU_MODES",
    "ET_UNITS",
    "IMAGE_FORMATS",
    "KP_FORMS",
    "KP_THIRDS",
    "MAX_TEXT",
    "MAX_TIME_TEXT",
    "ME_AXIS_LIMITS",
    "ME_COLOUR_MAX",
    "PAPS_LEVELS",
    "PARAMS",
    "PARAM_BY_KEY",
    "PHA_PRIORITIES",
    "PHA_RANGES",
    "PLOT_MODES",
    "RANGE_FORMS",
    "RATE_NAMES",
    "SCATTER_COLORS",
    "SSD_IDS",
    "TABS",
    "TAC_SLOPES",
    "TIMELINE_PANELS",
    "TIME_FORMS",
    "AppState",
    "FilterError",
    "MeOptions",
    "Param",
    "Selection",
    "SweepLimit",
    "TimeRange",
    "ViewOptions",
    "all_params",
    "check_text",
    "describe_kp",
    "describe_range",
    "format_boxes",
    "format_exact",
    "format_kp",
    "format_mlt",
    "format_range",
    "format_time",
    "format_time_range",
    "format_time_ranges",
    "merge_time_ranges",
    "parse_bool",
    "parse_boxes",
    "parse_float",
    "parse_int",
    "parse_int_set",
    "parse_kp",
    "parse_kp_range",
    "parse_mlt",
    "parse_number",
    "parse_params",
    "parse_query",
    "parse_range",
    "parse_sweep",
    "parse_time_range",
    "parse_time_ranges",
    "parse_window",
    "snap_kp",
    "split_range",
    "to_params",
    "to_query",
    "with_times",
]
