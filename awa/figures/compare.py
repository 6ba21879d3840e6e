"""Comparison of two selections A and B: M-M/Q per spin, ratio B/A, and a species table.

The histograms of A and B are divided by their selected spins (per-spin normalisation).  The
ratio B/A of these is drawn as log10 on a diverging colour scale (blue: fewer in B, red:
more); bins where A or B holds fewer than ``min_counts`` events are grey (statistical mask).
The table gives, per species code, the events of A and B, the share of the events with a
mass, and the ratio B/A of per-spin weighted events with its Poisson uncertainty.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from awa.chem.species import NO_MASS, SpeciesRegion
from awa.figures.common import TEMPLATE, message_figure
from awa.figures.species import draw_regions
from awa.query.results import FloatArray, SpeciesComparison

__all__ = ["compare_caption", "compare_figure", "comparison_rows", "per_spin_ratio"]

#: The ratio colour scale spans 1/10 to 10.
RATIO_DECADES = 1.0


def per_spin_ratio(cmp: SpeciesComparison, min_counts: int) -> tuple[FloatArray, np.ndarray]:
    """log10 of (B per spin) / (A per spin) per bin, and the mask of bins too poor to show.

    Returns
    -------
    ratio : float array (ny, nx)
        NaN where masked.
    masked : bool array (ny, nx)
        Bins holding events in A or B but fewer than ``min_counts`` in either.
    """
    a, b = cmp.a, cmp.b
    ca, cb = a.counts.counts, b.counts.counts
    rich = (ca >= min_counts) & (cb >= min_counts) & (ca > 0) & (cb > 0)
    masked = ~rich & ((ca > 0) | (cb > 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (b.shown.counts / max(b.spins, 1)) / (a.shown.counts / max(a.spins, 1))
        ratio = np.where(rich & (r > 0), np.log10(np.where(r > 0, r, 1.0)), np.nan)
    return ratio, masked


def compare_figure(
    cmp: SpeciesComparison,
    regions: tuple[SpeciesRegion, ...],
    min_counts: int,
    labels: tuple[str, str],
    title: str,
) -> go.Figure:
    """Three panels on log-log M-M/Q axes: A per spin, B per spin, ratio B/A (module doc)."""
    if cmp.a.spins == 0 or cmp.b.spins == 0:
        which = "A" if cmp.a.spins == 0 else "B"
        return message_figure(f"Selection {which} holds no selected spin.", title)
    h = cmp.a.counts
    unit = "weighted events per spin" if cmp.weighted else "events per spin"
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.1,
                        subplot_titles=(f"A: {labels[0]}", f"B: {labels[1]}",
                                        "B/A per spin"))  # fmt: skip
    per = [s.shown.counts / s.spins for s in (cmp.a, cmp.b)]
    positive = np.concatenate([p[p > 0] for p in per])
    lo, hi = (float(np.log10(positive.min())), float(np.log10(positive.max()))) if len(
        positive) else (0.0, 1.0)  # fmt: skip
    for col, p in enumerate(per, start=1):
        with np.errstate(divide="ignore"):
            z = np.where(p > 0, np.log10(np.where(p > 0, p, 1.0)), np.nan)
        fig.add_trace(
            go.Heatmap(z=z, x=h.x_edges, y=h.y_edges, zmin=lo, zmax=hi, colorscale="Viridis",
                       showscale=col == 2, customdata=p,
                       colorbar={"title": {"text": "log10<br>per spin"}, "x": 0.645,
                                 "len": 0.9, "thickness": 12},
                       hovertemplate="M/Q %{x:.3g}, M %{y:.3g}<br>%{customdata:.3g} per spin"
                       "<extra></extra>", name=labels[col - 1]),
            row=1, col=col,
        )  # fmt: skip
    ratio, masked = per_spin_ratio(cmp, min_counts)
    fig.add_trace(
        go.Heatmap(z=np.where(masked, 1.0, np.nan), x=h.x_edges, y=h.y_edges, showscale=False,
                   colorscale=[[0, "#c8c8c8"], [1, "#c8c8c8"]], hoverinfo="skip",
                   name="too few counts"),
        row=1, col=3,
    )  # fmt: skip
    fig.add_trace(
        go.Heatmap(z=ratio, x=h.x_edges, y=h.y_edges, zmin=-RATIO_DECADES, zmax=RATIO_DECADES,
                   zmid=0.0, colorscale="RdBu_r", customdata=10.0**ratio,
                   colorbar={"title": {"text": "log10<br>B/A"}, "x": 1.0, "len": 0.9,
                             "thickness": 12},
                   hovertemplate="M/Q %{x:.3g}, M %{y:.3g}<br>B/A %{customdata:.3g}"
                   "<extra></extra>", name="B/A"),
        row=1, col=3,
    )  # fmt: skip
    for col in (1, 2, 3):
        suffix = "" if col == 1 else str(col)
        draw_regions(fig, regions, xref=f"x{suffix}", yref=f"y{suffix}")
        fig.update_xaxes(
            type="log",
            title_text="M/Q, amu/e",
            row=1,
            col=col,
            range=[math.log10(h.x_edges[0]), math.log10(h.x_edges[-1])],
        )
    for col in (1, 2, 3):
        fig.update_yaxes(
            type="log",
            row=1,
            col=col,
            matches="y" if col > 1 else None,
            range=[math.log10(h.y_edges[0]), math.log10(h.y_edges[-1])],
        )
    fig.update_yaxes(title_text="mass, amu", row=1, col=1)
    fig.update_layout(template=TEMPLATE, title={"text": f"{title}<br><sup>{unit}</sup>",
                                                "x": 0.01}, height=520,
                      margin={"l": 70, "r": 30, "t": 90, "b": 60})  # fmt: skip
    return fig


def _share(n: float, total: float) -> tuple[float, float]:
    if total <= 0:
        return math.nan, math.nan
    f = n / total
    return f, math.sqrt(f * (1 - f) / total)


def comparison_rows(cmp: SpeciesComparison) -> list[dict[str, Any]]:
    """One row per species code: events, shares and the per-spin ratio B/A with errors.

    The share of a code is its events over the events with a mass (codes other than
    "no mass"), with the binomial uncertainty sqrt(f (1 - f) / N).  The ratio is
    (weighted B / spins B) / (weighted A / spins A) (events when the comparison is not
    weighted); its uncertainty is Poisson on the events: ratio x sqrt(1/N_A + 1/N_B).
    """
    a, b = cmp.a, cmp.b
    massive = [i for i, n in enumerate(cmp.names) if n != NO_MASS]
    tot_a = float(a.totals[massive].sum())
    tot_b = float(b.totals[massive].sum())
    va = a.weighted_totals if cmp.weighted else a.totals.astype(float)
    vb = b.weighted_totals if cmp.weighted else b.totals.astype(float)
    rows = []
    for i, name in enumerate(cmp.names):
        na, nb = int(a.totals[i]), int(b.totals[i])
        fa, dfa = _share(na, tot_a) if i in massive else (math.nan, math.nan)
        fb, dfb = _share(nb, tot_b) if i in massive else (math.nan, math.nan)
        if na > 0 and nb > 0 and a.spins and b.spins and va[i] > 0:
            ratio = (vb[i] / b.spins) / (va[i] / a.spins)
            err = ratio * math.sqrt(1 / na + 1 / nb)
        else:
            ratio = err = math.nan
        rows.append({
            "species": name, "A events": na, "B events": nb,
            "A per spin": va[i] / a.spins if a.spins else math.nan,
            "B per spin": vb[i] / b.spins if b.spins else math.nan,
            "A share": fa, "A share err": dfa, "B share": fb, "B share err": dfb,
            "B/A": ratio, "B/A err": err,
        })  # fmt: skip
    return rows


def compare_caption(cmp: SpeciesComparison, min_counts: int) -> str:
    """Caption: normalisation, weighting, mask, the spins and accumulation time of A and B."""
    weight = ("events weighted by BR_n/R_n of their spin and range n" if cmp.weighted
              else "events (not weighted)")  # fmt: skip
    return (
        f"A: {cmp.a.spins:,} selected spins, {cmp.a.accumulation_s / 3600:.2f} h; B: "
        f"{cmp.b.spins:,} spins, {cmp.b.accumulation_s / 3600:.2f} h (each spin counts the "
        f"time to the next, at most 6.5 s). Histograms show {weight} per selected spin; the "
        f"ratio is B/A of these, grey where A or B holds fewer than {min_counts} events in "
        f"the bin. Table: shares of the events with a mass (binomial errors), ratio of per-"
        f"spin {'weighted ' if cmp.weighted else ''}events with Poisson errors "
        f"sqrt(1/N_A + 1/N_B). Outlines: the species regions."
    )
