"""Store access of the AWA app: typed filters in, NumPy arrays out (no Dash here).

Stores are read with PyTables directly, read-only, one handle per process and thread,
opened on first use.  Tables are sorted by ``SpinStartTime``, so a time window becomes a
row range; the other filters are NumPy masks over the rows of that range, read in chunks
of bounded size (or, when the column sidecar is present, only the chunks holding selected
spins).  PHA events take their per-spin rates from the rates store by matching
``SpinStartTime``.

No text from a user reaches this package: it receives :class:`awa.model.Selection`
objects whose fields are numbers, enums and datetimes.

Modules, each importing only those above it:

- :mod:`~awa.query.store`: handles, time bisection, row ranges, the row limit;
- :mod:`~awa.query.results`: the plain result types (no I/O);
- :mod:`~awa.query.masks`: filter masks and the one rate join;
- :mod:`~awa.query.scan`: selected events from the store or the column sidecar;
- :mod:`~awa.query.downsample`: min/max decimation of traces;
- :mod:`~awa.query.pieces`: piece-by-piece sums with progress, the cost of a request;
- :mod:`~awa.query.histograms`: E-T and M-M/Q histograms, events;
- :mod:`~awa.query.me`: matrix-element totals and timelines, the ME block layout;
- :mod:`~awa.query.timelines`: timeline panels;
- :mod:`~awa.query.archive`: store summaries, the default view, storm intervals;
- :mod:`~awa.query.species`: species counts and rates per cycle or hour.
"""

from awa.query.archive import default_time_range, storm_intervals, summarize
from awa.query.downsample import decimate
from awa.query.histograms import (
    channel_edges,
    convert,
    et_histogram,
    event_weights,
    log_edges,
    mmq_histogram,
    select_events,
)
from awa.query.masks import (
    CONTEXT_COLUMNS,
    DETECTOR_COLUMNS,
    RATE_FILTER_COLUMNS,
    RATE_JOIN,
    SWEEP_MARGIN,
    context_mask,
    detector_mask,
    event_mask,
    join_rates,
    spin_mask,
)
from awa.query.me import me_block_layout, me_timeline, me_totals
from awa.query.pieces import (
    Cost,
    HistogramSum,
    Progress,
    Step,
    by_pieces,
    day_pieces,
    estimate_cost,
    sum_histograms,
)
from awa.query.results import (
    EventSample,
    Hist2D,
    MeSeries,
    MeTotals,
    Series,
    SpeciesSeries,
    StoreSummary,
    Storm,
)
from awa.query.scan import Block, iter_events
from awa.query.species import species_counts
from awa.query.store import (
    SelectionTooLargeError,
    StoreKey,
    StoreMissingError,
    bisect_time,
    check_row_limit,
    close_all,
    count_rows,
    from_ns,
    get_sidecar,
    get_table,
    hour_index,
    row_ranges,
    store_key,
    to_ns,
)
from awa.query.timelines import PANEL_SOURCES, read_timeline_column, timeline

__all__ = [
    "CONTEXT_COLUMNS",
    "DETECTOR_COLUMNS",
    "PANEL_SOURCES",
    "RATE_FILTER_COLUMNS",
    "RATE_JOIN",
    "SWEEP_MARGIN",
    "Block",
    "Cost",
    "EventSample",
    "Hist2D",
    "HistogramSum",
    "MeSeries",
    "MeTotals",
    "Progress",
    "SelectionTooLargeError",
    "Series",
    "SpeciesSeries",
    "StoreKey",
    "StoreMissingError",
    "Step",
    "StoreSummary",
    "Storm",
    "bisect_time",
    "by_pieces",
    "channel_edges",
    "check_row_limit",
    "close_all",
    "context_mask",
    "convert",
    "count_rows",
    "day_pieces",
    "decimate",
    "default_time_range",
    "detector_mask",
    "estimate_cost",
    "et_histogram",
    "event_mask",
    "event_weights",
    "from_ns",
    "get_sidecar",
    "get_table",
    "hour_index",
    "iter_events",
    "join_rates",
    "log_edges",
    "me_block_layout",
    "me_timeline",
    "me_totals",
    "mmq_histogram",
    "read_timeline_column",
    "row_ranges",
    "select_events",
    "species_counts",
    "spin_mask",
    "storm_intervals",
    "store_key",
    "sum_histograms",
    "summarize",
    "timeline",
    "to_ns",
]
