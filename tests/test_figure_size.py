"""Heatmap figures stay under 1 MB of JSON for every grid the app agrees to draw."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from awa import query, views
from awa.figures.et import et_figure
from awa.figures.histogram import MAX_FIGURE_CELLS
from awa.figures.mmq import mmq_figure
from awa.model import ViewOptions, parse_query
from awa.query import Hist2D
from awa.settings import Settings
from awa.views import grid_cells

ONE_MB = 1_000_000


def _dense(x_edges: np.ndarray, y_edges: np.ndarray) -> Hist2D:
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 10**7, (len(y_edges) - 1, len(x_edges) - 1)).astype(np.float64)
    n = int(counts.sum())
    return Hist2D(counts, x_edges, y_edges, n, n)


@pytest.mark.parametrize(("width", "hi"), [(8, 1023.0), (4, 1023.0), (1, 279.0)])
def test_et_figure_under_1_mb(width: int, hi: float) -> None:
    view = replace(ViewOptions(), et_bin=width, et_x=(0.0, hi), et_y=(0.0, hi))
    xe = query.channel_edges(0.0, hi, width)
    assert grid_cells(xe, xe) <= MAX_FIGURE_CELLS
    for units in ("channel", "physical"):
        fig = et_figure(_dense(xe, xe), replace(view, et_units=units), "t")
        assert len(fig.to_json()) < ONE_MB, (width, hi, units)


@pytest.mark.parametrize("width", [0.02, 0.01, 0.008])
def test_mmq_figure_under_1_mb(width: float) -> None:
    view = replace(ViewOptions(), mmq_binx=width, mmq_biny=width)
    xe = query.log_edges(0.5, 60.0, width)
    assert grid_cells(xe, xe) <= MAX_FIGURE_CELLS
    fig = mmq_figure(_dense(xe, xe), view, "t")
    assert len(fig.to_json()) < ONE_MB, width


def test_default_et_hover_shows_both_units() -> None:
    xe = query.channel_edges(0.0, 1023.0, 8)
    fig = et_figure(_dense(xe, xe), ViewOptions(), "t")
    trace = fig.data[0]
    assert "ns" in trace.hovertemplate
    assert "keV" in trace.hovertemplate
    custom = np.asarray(trace.customdata)
    np.testing.assert_allclose(custom[0, :, 1], 0.5 * (xe[1:] + xe[:-1]) * 320 / 1023)


def test_views_refuse_grids_too_fine_to_draw(store_settings: Settings) -> None:
    state = parse_query("?t=1986-040&etbin=1&mbx=0.001&mby=0.001")[0]
    et = views.et_view(store_settings, state)
    assert "too many to draw" not in et.caption  # every channel is drawn (tests/test_fine_grids)
    mmq = views.mmq_view(store_settings, state)
    assert "too many to draw" in mmq.caption
