"""Species figures: regions on the M-M/Q plane, species timelines with Kp and Dst, CSV text.

The timeline draws, on one shared UTC time axis, the species counts (or rates) of a
:class:`awa.query.results.SpeciesSeries`, the chosen ratio panels (e.g. O+/H+), optionally
the same species from the on-board ME boxes, then Kp and Dst (means over each bin's
selected spins).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awa.chem.species import SpeciesRegion
from awa.figures.common import TEMPLATE, message_figure
from awa.query.results import FloatArray, SpeciesSeries

__all__ = [
    "QUANTITIES",
    "draw_regions",
    "series_values",
    "species_caption",
    "species_csv",
    "species_timeline_figure",
]

#: What the species panel shows: events per bin, or the weighted rate per second.
QUANTITIES = {"counts": "events per bin", "rates": "rate, 1/s (events x BR/R per s)"}
_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e", "#8c564b", "#7f7f7f",
            "#bcbd22", "#17becf", "#e377c2")  # fmt: skip


def region_colour(index: int) -> str:
    """Colour of region ``index`` (the same in every species figure)."""
    return _COLOURS[index % len(_COLOURS)]


def draw_regions(
    fig: go.Figure,
    regions: tuple[SpeciesRegion, ...],
    editable: bool = False,
    xref: str = "x",
    yref: str = "y",
) -> None:
    """Outline the species regions on an M-M/Q plot (data coordinates, log axes too).

    With ``editable`` the outlines can be dragged and resized in the browser; the figure's
    ``relayoutData`` then carries ``shapes[i].x0`` ... of region ``i`` (M/Q and mass).
    """
    for i, r in enumerate(regions):
        colour = region_colour(i)
        fig.add_shape(
            type="rect", x0=r.mpq_min, x1=r.mpq_max, y0=r.mass_min, y1=r.mass_max,
            xref=xref, yref=yref, editable=editable, name=r.name,
            line={"color": colour, "width": 2, "dash": "dot" if not editable else "solid"},
            fillcolor="rgba(0,0,0,0)",
            label={"text": r.name, "textposition": "top left",
                   "font": {"color": colour, "size": 12}},
        )  # fmt: skip


def series_values(series: SpeciesSeries, quantity: str) -> FloatArray:
    """Counts (float) or rates (1/s) per bin and code, shape (n, k)."""
    return series.counts.astype(np.float64) if quantity == "counts" else series.rates()


def _ratio(series: SpeciesSeries, num: str, den: str) -> FloatArray:
    names = list(series.names)
    a = series.weighted[:, names.index(num)]
    b = series.weighted[:, names.index(den)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _gapped(series: SpeciesSeries, y: FloatArray) -> dict[str, np.ndarray]:
    """Bin middles (datetime64) and ``y``, with a NaN point wherever bins are not contiguous
    (so that lines break across gaps in the data)."""
    mid = series.start + (series.stop - series.start) // 2
    gap = np.flatnonzero(series.start[1:] > series.stop[:-1]) + 1
    x = np.insert(mid, gap, series.stop[gap - 1]).astype("datetime64[ns]")
    return {"x": x, "y": np.insert(np.asarray(y, dtype=np.float64), gap, np.nan)}


def species_timeline_figure(
    series: SpeciesSeries,
    quantity: str,
    shown: tuple[str, ...],
    ratios: tuple[tuple[str, str], ...],
    title: str,
    me: SpeciesSeries | None = None,
) -> go.Figure:
    """Species timeline: species panel, ratio panels, ME panel, Kp and Dst on one time axis.

    Parameters
    ----------
    series : SpeciesSeries
        PHA species per bin (:func:`awa.query.species.species_counts`).
    quantity : {"counts", "rates"}
        Events per bin, or rate per second (weighted / accumulation time).
    shown : tuple of str
        Species names drawn in the species panel (those of ``series.names`` only).
    ratios : tuple of (str, str)
        Ratio panels numerator/denominator of weighted events (the rate ratio).
    me : SpeciesSeries, optional
        The same species from the on-board ME boxes, drawn in a panel of their own.
    """
    if len(series.start) == 0:
        return message_figure("No selected spin in the time range.", title)
    names = list(series.names)
    shown = tuple(s for s in shown if s in names) or tuple(names[:-2])
    ratios = tuple((a, b) for a, b in ratios if a in names and b in names)
    panels = ["species", *[f"{a}/{b}" for a, b in ratios]]
    if me is not None and len(me.start):
        panels.append("ME")
    panels += ["Kp", "Dst"]
    heights = [3.0 if p in ("species", "ME") else 1.3 if "/" in p else 1.0 for p in panels]
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        row_heights=heights)  # fmt: skip
    values = series_values(series, quantity)
    unit = QUANTITIES.get(quantity, quantity)
    for name in shown:
        j = names.index(name)
        fig.add_trace(
            go.Scatter(**_gapped(series, values[:, j]), name=name, mode="lines+markers",
                       marker={"size": 3}, line={"color": region_colour(j), "width": 1.5},
                       legendgroup=name, hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>"),
            row=1, col=1,
        )  # fmt: skip
    fig.update_yaxes(title_text=f"PHA {unit}", type="log", row=1, col=1)
    for i, (a, b) in enumerate(ratios, start=2):
        fig.add_trace(
            go.Scatter(**_gapped(series, _ratio(series, a, b)), name=f"{a}/{b}",
                       mode="lines+markers",
                       marker={"size": 3}, line={"color": "#444", "width": 1.5},
                       showlegend=False, hovertemplate=f"{a}/{b}: %{{y:.3g}}<extra></extra>"),
            row=i, col=1,
        )  # fmt: skip
        fig.update_yaxes(title_text=f"{a}/{b}", type="log", row=i, col=1)
    row = 2 + len(ratios)
    if "ME" in panels and me is not None:
        me_values = series_values(me, quantity)
        me_names = list(me.names)
        for name in shown:
            j = me_names.index(name)
            fig.add_trace(
                go.Scatter(**_gapped(me, me_values[:, j]), name=f"ME {name}", mode="lines",
                           line={"color": region_colour(j), "width": 1.2, "dash": "dot"},
                           legendgroup=name, showlegend=False,
                           hovertemplate=f"ME {name}: %{{y:.4g}}<extra></extra>"),
                row=row, col=1,
            )  # fmt: skip
        me_unit = "counts per bin" if quantity == "counts" else "counts/s"
        fig.update_yaxes(title_text=f"ME {me_unit}", type="log", row=row, col=1)
        row += 1
    for name, values_of, colour in (("Kp", series.kp, "#8c564b"), ("Dst", series.dst, "#1f77b4")):
        fig.add_trace(
            go.Scatter(**_gapped(series, values_of()), name=name, mode="lines", showlegend=False,
                       line={"color": colour, "width": 1.5, "shape": "hv"},
                       hovertemplate=f"{name}: %{{y:.3g}}<extra></extra>"),
            row=row, col=1,
        )  # fmt: skip
        fig.update_yaxes(title_text="Dst, nT" if name == "Dst" else "Kp", row=row, col=1)
        row += 1
    fig.update_xaxes(title_text="UTC", row=len(panels), col=1)
    fig.update_layout(
        template=TEMPLATE, title={"text": title, "x": 0.01},
        height=260 + 150 * len(panels), hovermode="x unified",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0.99, "xanchor": "right"},
        margin={"l": 70, "r": 20, "t": 70, "b": 50},
    )  # fmt: skip
    return fig


def species_caption(
    series: SpeciesSeries, regions: tuple[SpeciesRegion, ...], quantity: str
) -> str:
    """Caption: bins, spins and accumulation time, the weighting and the regions used."""
    regs = "; ".join(
        f"{r.name} M/Q {r.mpq_min:g}-{r.mpq_max:g} amu/e, M {r.mass_min:g}-{r.mass_max:g} amu"
        for r in regions
    )
    bins = "housekeeping cycles (about 3 min)" if series.cadence == "cycle" else "UTC hours"
    hours = float(series.accumulation_s.sum()) / 3600
    shown = "events per bin" if quantity == "counts" else "rates per second"
    extra = (f" {series.unbinned_spins:,} selected spins lie in no cycle and are not shown."
             if series.unbinned_spins else "")  # fmt: skip
    return (
        f"{len(series.start):,} bins of {bins}; {int(series.spins.sum()):,} selected spins, "
        f"accumulation time {hours:.2f} h (each spin counts the time to the next spin, at "
        f"most 6.5 s, else 5.6 s). Showing {shown}: the rate is the sum of BR_n/R_n of the "
        f"events (range n of their spin) divided by the accumulation time; ratios are "
        f"ratios of these weighted sums. Events take the first region containing their "
        f"(M/Q, mass): {regs}; events with a mass in none are 'other'.{extra} Kp and Dst: "
        f"means over each bin's selected spins. The ME panel sums the on-board matrix-element "
        f"boxes whose centre lies in each region (counts per cycle over 179.2 s)."
    )


def species_csv(series: SpeciesSeries) -> str:
    """CSV text: one row per bin with times, spins, accumulation, counts, weighted, rates."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(series.names)
    w.writerow(["start_utc", "stop_utc", "spins", "accumulation_s", "Dst_nT", "Kp"]
               + [f"count {n}" for n in names] + [f"weighted {n}" for n in names]
               + [f"rate {n} (1/s)" for n in names])  # fmt: skip
    rates = series.rates()
    dst, kp = series.dst(), series.kp()
    starts = series.start.astype("datetime64[ns]").astype("datetime64[ms]").astype(str)
    stops = series.stop.astype("datetime64[ns]").astype("datetime64[ms]").astype(str)
    for i in range(len(series.start)):
        w.writerow(
            [starts[i] + "Z", stops[i] + "Z", int(series.spins[i]),
             f"{series.accumulation_s[i]:.3f}", f"{dst[i]:.6g}", f"{kp[i]:.6g}"]
            + [int(v) for v in series.counts[i]]
            + [f"{v:.8g}" for v in series.weighted[i]]
            + [f"{v:.8g}" for v in rates[i]]
        )  # fmt: skip
    return buf.getvalue()
