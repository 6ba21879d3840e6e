"""Matrix-element view: the mass versus M/Q picture rebuilt from the box list (spec section 6).

The DPU telemetered counts per box (ME 0-490) instead of an image.
:func:`awa.chem.me_boxes.me_grid` lays the boxes of ``me_boxes.csv`` on the integer grid
(background boxes 252-256 first, so that the other boxes cover them); :func:`me_figure`
colours every box by its counts on a log
scale, outlines each box, and draws the doubles (ME 0-47, no energy, so no mass) in their
own strip under the main panel.  Axes are M/Q in amu/e and mass in amu; the DPU's indices
NQ = x - 1 and NM = y - 1 are in the hover text.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awa.chem import me_boxes, schema
from awa.chem.schema import N_ME_BOXES
from awa.figures.common import COLORSCALE, TIME_GRID, base_layout, message_figure
from awa.model import format_boxes
from awa.query.results import MeSeries

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Colour of boxes without counts (their outline still shows the layout).
EMPTY_COLOUR = "#ececec"
OUTLINE = "rgba(60, 60, 60, 0.55)"
BACKGROUND_OUTLINE = "rgba(200, 40, 40, 0.8)"
#: Labelled ticks of the log M/Q and mass axes (amu/e, amu).
LOG_TICKS = [0.5, 0.7, 1, 1.5, 2, 3, 4, 5, 7, 10, 15, 20, 30, 40, 50, 70, 100, 150]


def box_outlines(kind: str) -> tuple[list[float | None], list[float | None]]:
    """Closed rectangles (x: M/Q amu/e, y: mass amu) of the boxes of ``kind``, None-separated.

    Doubles get y in [0, 1] (the strip's own unitless axis).
    """
    boxes = me_boxes.me_boxes()
    part = boxes[boxes["kind"] == kind]
    xs: list[float | None] = []
    ys: list[float | None] = []
    for x0, x1, y0, y1 in part[["mpq_lo", "mpq_hi", "mass_lo", "mass_hi"]].to_numpy():
        if kind == "double":
            y0, y1 = 0.0, 1.0
        xs += [x0, x1, x1, x0, x0, None]
        ys += [y0, y0, y1, y1, y0, None]
    return xs, ys


def _log_counts(values: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)


def _box_customdata(cells: IntArray, counts: FloatArray) -> FloatArray:
    """Hover data per cell: box, counts, box M/Q and mass limits, box NQ/NM ranges, cell NQ/NM."""
    boxes = me_boxes.me_boxes().set_index("me")
    covered = cells >= 0
    idx = np.where(covered, cells, 0)
    ny, nx = cells.shape

    def col(name: str) -> FloatArray:
        values = boxes[name].to_numpy(dtype=np.float64)[idx]
        return np.where(covered, values, np.nan)

    width = col("width")
    height = col("height")
    nq_lo = col("nq_lo")
    nm_lo = col("nm_lo")
    return np.stack(
        [
            np.where(covered, cells, np.nan),
            np.where(covered, counts[idx], np.nan),
            col("mpq_lo"),
            col("mpq_hi"),
            col("mass_lo"),
            col("mass_hi"),
            nq_lo,
            nq_lo + width - 1,
            nm_lo,
            nm_lo + height - 1,
            np.broadcast_to(np.arange(nx, dtype=np.float64) - 1, (ny, nx)),
            np.broadcast_to(np.arange(ny, dtype=np.float64)[:, None] - 1, (ny, nx)),
        ],
        axis=-1,
    )


HOVER_BOX = (
    "<b>ME %{customdata[0]:.0f}</b>: %{customdata[1]:,.0f} counts<br>"
    "M/Q %{customdata[2]:.3f}-%{customdata[3]:.3f} amu/e "
    "(NQ %{customdata[6]:.0f}-%{customdata[7]:.0f})<br>"
)
HOVER_MAIN = (
    HOVER_BOX + "M %{customdata[4]:.3f}-%{customdata[5]:.3f} amu "
    "(NM %{customdata[8]:.0f}-%{customdata[9]:.0f})<br>"
    "cell NQ %{customdata[10]:.0f}, NM %{customdata[11]:.0f}<extra></extra>"
)
HOVER_DOUBLE = (
    HOVER_BOX + "double (no energy: classified by M/Q only)<br>"
    "cell NQ %{customdata[10]:.0f}<extra></extra>"
)


def _colour_range(counts: FloatArray, z_range: tuple[float, float] | None) -> tuple[float, float]:
    """Colour limits in log10(counts): ``z_range`` (counts) or 1 to the largest count."""
    if z_range is not None:
        lo, hi = (float(np.log10(max(v, 1e-3))) for v in z_range)
    else:
        top = float(counts.max()) if counts.size else 1.0
        lo, hi = 0.0, float(np.log10(max(top, 10.0)))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def me_figure(
    counts: FloatArray,
    title: str,
    z_range: tuple[float, float] | None = None,
    mpq_range: tuple[float, float] | None = None,
    mass_range: tuple[float, float] | None = None,
) -> go.Figure:
    """The ME picture: every box a rectangle coloured by its counts (log colour scale).

    Parameters
    ----------
    counts : array (512,)
        Counts of ME0..ME511 summed over the selected cycles (ME N_ME_BOXES..511 are ignored).
    title : str
        Figure title.
    z_range : (float, float), optional
        Colour limits, counts (log scale); default 1 to the largest box.
    mpq_range : (float, float), optional
        M/Q axis window, amu/e; default the whole grid.
    mass_range : (float, float), optional
        Mass axis window, amu; default the whole grid.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.shape[0] < N_ME_BOXES or not np.any(counts[:N_ME_BOXES] > 0):
        return message_figure("No matrix-element counts in the selected cycles.", title)
    grid = me_boxes.me_grid()
    cells, doubles, xe, ye = grid.cells, grid.doubles, grid.mpq_edges, grid.mass_edges
    zmin, zmax = _colour_range(counts[:N_ME_BOXES], z_range)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.88, 0.12], vertical_spacing=0.035
    )
    # main panel: empty boxes grey underneath, counted boxes on top
    main_custom = _box_customdata(cells, counts)
    covered = cells >= 0
    box_counts = np.where(covered, counts[np.where(covered, cells, 0)], np.nan)
    fig.add_trace(
        go.Heatmap(
            x=xe, y=ye, z=np.where(covered, 0.0, np.nan), customdata=main_custom,
            hovertemplate=HOVER_MAIN, colorscale=[[0, EMPTY_COLOUR], [1, EMPTY_COLOUR]],
            showscale=False, hoverongaps=False, name="empty boxes",
        ),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Heatmap(
            x=xe, y=ye, z=_log_counts(box_counts), customdata=main_custom,
            hovertemplate=HOVER_MAIN, coloraxis="coloraxis", hoverongaps=False,
            name="boxes",
        ),
        row=1, col=1,
    )  # fmt: skip
    # doubles strip
    d_cells = doubles[None, :]
    d_custom = _box_customdata(d_cells, counts)
    d_covered = d_cells >= 0
    d_counts = np.where(d_covered, counts[np.where(d_covered, d_cells, 0)], np.nan)
    fig.add_trace(
        go.Heatmap(
            x=xe, y=[0.0, 1.0], z=np.where(d_covered, 0.0, np.nan), customdata=d_custom,
            hovertemplate=HOVER_DOUBLE, colorscale=[[0, EMPTY_COLOUR], [1, EMPTY_COLOUR]],
            showscale=False, hoverongaps=False, name="empty doubles",
        ),
        row=2, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Heatmap(
            x=xe, y=[0.0, 1.0], z=_log_counts(d_counts), customdata=d_custom,
            hovertemplate=HOVER_DOUBLE, coloraxis="coloraxis", hoverongaps=False,
            name="doubles",
        ),
        row=2, col=1,
    )  # fmt: skip
    # outlines: background boxes (dashed, beneath), then the other boxes, then the doubles
    for kind, colour, dash, row in (
        ("background", BACKGROUND_OUTLINE, "dash", 1),
        ("triple", OUTLINE, "solid", 1),
        ("double", OUTLINE, "solid", 2),
    ):
        xs, ys = box_outlines(kind)
        fig.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", name=f"{kind} outlines",
                       line={"color": colour, "width": 1.4 if kind == "background" else 0.6,
                             "dash": dash}),
            row=row, col=1,
        )  # fmt: skip
    ticks = np.arange(np.floor(zmin), np.ceil(zmax) + 1)
    base_layout(
        fig,
        title,
        margin={"l": 70, "r": 20, "t": 45, "b": 50},
        showlegend=False,
        coloraxis={
            "colorscale": COLORSCALE, "cmin": zmin, "cmax": zmax,
            "colorbar": {"title": {"text": "counts", "side": "right"}, "tickvals": ticks,
                         "ticktext": [f"{10**t:g}" for t in ticks], "thickness": 14},
        },
        meta={"awa_kind": "me"},
    )  # fmt: skip
    x_lo, x_hi = mpq_range if mpq_range is not None else (xe[0], xe[-1])
    y_lo, y_hi = mass_range if mass_range is not None else (ye[0], ye[-1])
    fig.update_xaxes(type="log", range=[np.log10(x_lo), np.log10(x_hi)], tickvals=LOG_TICKS)
    fig.update_xaxes(title_text=schema.label("mpq"), row=2, col=1)
    fig.update_yaxes(type="log", range=[np.log10(y_lo), np.log10(y_hi)], tickvals=LOG_TICKS,
                     title_text=schema.label("mass"), row=1, col=1)  # fmt: skip
    fig.update_yaxes(range=[0, 1], showticklabels=False, title_text="doubles",
                     fixedrange=True, ticks="", row=2, col=1)  # fmt: skip
    return fig


def break_gaps(
    t_ns: npt.NDArray[np.int64], values: FloatArray, factor: float = 3.0
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Insert a NaN after every step longer than ``factor`` times the median step, so that
    lines break across gaps (calibration cycles, missing data) instead of bridging them."""
    if t_ns.size < 3:
        return t_ns, values
    steps = np.diff(t_ns)
    gaps = np.flatnonzero(steps > factor * np.median(steps))
    if gaps.size == 0:
        return t_ns, values
    t_out = np.insert(t_ns, gaps + 1, t_ns[gaps] + steps[gaps] // 2)
    v_out = np.insert(values.astype(np.float64), gaps + 1, np.nan)
    return t_out, v_out


def me_timeline_figure(
    series: MeSeries, title: str, span: tuple[datetime, datetime] | None = None
) -> go.Figure:
    """Counts per cycle of the chosen ME boxes against time (UTC).

    Parameters
    ----------
    series : MeSeries
        From :func:`awa.query.me.me_timeline`.
    title : str
        Figure title.
    span : (datetime, datetime), optional
        Time axis range (the selection's span, as on the other timelines).
    """
    if series.n_cycles == 0:
        return message_figure("No science cycles in the selected time and L range.", title)
    label = format_boxes(series.boxes)
    t, y = break_gaps(series.t_ns, series.counts)
    fig = go.Figure(
        go.Scatter(
            x=t.astype("datetime64[ns]"), y=y, mode="lines", connectgaps=False,
            line={"width": 1, "color": "#1f77b4"}, name=f"ME {label}",
            hovertemplate="%{x|%Y-%m-%d %H:%M:%S} %{y:,.0f} counts/cycle<extra></extra>",
        )
    )  # fmt: skip
    base_layout(
        fig,
        title,
        margin={"l": 90, "r": 20, "t": 45, "b": 45},
        height=260,
        showlegend=False,
        hovermode="x",
        meta={"awa_kind": "me_timeline"},
    )
    positive = series.counts[series.counts > 0]
    # a log axis only when the values span a decade or more: on a narrow range plotly labels
    # minor ticks with single digits, which reads badly
    wide = positive.size > 0 and float(positive.max()) >= 10 * float(positive.min())
    fig.update_yaxes(title_text=schema.label("ME_counts"), type="log" if wide else "linear")
    fig.update_xaxes(title_text=schema.label("SpinStartTime"), **TIME_GRID)
    if span is not None:
        fig.update_xaxes(range=[span[0], span[1]])
    return fig
