"""Fine grids drawn without heavy pages: the 1024 x 1024 E-T grid and 500 x 500 M-M/Q grids.

The figures send z as base64 typed arrays of colour levels; the JSON the app sends (Dash's
encoder, which escapes "/") stays under ``MAX_FIGURE_BYTES`` whatever the counts.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from dash._utils import to_json

from awa import query, views
from awa.figures.et import et_figure
from awa.figures.histogram import BYTE_LEVELS, MAX_FIGURE_BYTES, MAX_FIGURE_CELLS
from awa.figures.mmq import mmq_figure
from awa.model import ViewOptions, parse_query
from awa.settings import Settings

FULL = query.channel_edges(0.0, 1023.0, 1.0)


def _counts(kind: str, shape: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(3)
    if kind == "top":  # every bin at the top colour: the worst case for "/" escapes
        return np.full(shape, 1e7)
    if kind == "spread":
        return np.floor(10 ** rng.uniform(0, 7, shape))
    counts = np.floor(10 ** rng.uniform(0, 3, shape))
    counts[rng.random(shape) < 0.7] = 0  # mostly empty
    return counts


def _hist(counts: np.ndarray, xe: np.ndarray, ye: np.ndarray) -> query.Hist2D:
    n = int(counts.sum())
    return query.Hist2D(counts, xe, ye, n, n)


@pytest.mark.parametrize("kind", ["top", "spread", "sparse"])
def test_the_full_resolution_et_grid_fits_the_payload(kind: str) -> None:
    assert len(FULL) - 1 == 1024
    assert 1024 * 1024 <= MAX_FIGURE_CELLS
    counts = _counts(kind, (1024, 1024))
    for units in ("channel", "physical"):
        fig = et_figure(_hist(counts, FULL, FULL), ViewOptions(et_bin=1, et_units=units), "t")
        sent = to_json(fig)
        assert len(sent) <= MAX_FIGURE_BYTES, (kind, units, len(sent))
        z = json.loads(sent)["data"][0]["z"]
        assert z["dtype"] == "u1"
        levels = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.uint8).reshape(1024, 1024)
        np.testing.assert_array_equal(levels, fig.data[0].z)
        assert (levels[counts == 0] == 0).all()
        assert (levels[counts > 0] >= 1).all()
        assert 63 not in levels
        assert levels.max() <= BYTE_LEVELS + 1


def test_byte_levels_follow_log_counts() -> None:
    counts = np.zeros((1024, 1024))
    counts[0, :8] = [1, 10, 100, 1000, 10_000, 100_000, 1e6, 1e7]
    z = np.asarray(et_figure(_hist(counts, FULL, FULL), ViewOptions(et_bin=1), "t").data[0].z)
    row = z[0, :8].astype(int)
    assert row[0] == 1
    assert row[-1] == BYTE_LEVELS + 1  # the largest count: the top colour
    assert (np.diff(row) > 0).all()
    steps = np.diff(row) - (np.diff(row >= 63) > 0)  # the skipped value 63 is not a level
    assert steps.max() - steps.min() <= 1  # one decade: the same number of levels


@pytest.mark.parametrize("width", [0.0046, 0.004])
def test_mmq_grids_of_500_bins_fit_the_payload(width: float) -> None:
    xe = query.log_edges(0.5, 100.0, width)
    assert len(xe) - 1 >= 500
    fig = mmq_figure(_hist(_counts("spread", (len(xe) - 1, len(xe) - 1)), xe, xe),
                     ViewOptions(mmq_x=(0.5, 100.0), mmq_y=(0.5, 100.0)), "t")  # fmt: skip
    assert len(to_json(fig)) <= MAX_FIGURE_BYTES


def test_the_et_view_draws_every_channel(store_settings: Settings) -> None:
    state = parse_query("?t=1986-039&etbin=1")[0]
    view = views.et_view(store_settings, state)
    z = np.asarray(view.figure.data[0].z)
    assert z.shape == (1024, 1024)
    hist = query.et_histogram(query.store_key(store_settings.data_dir), state.selection, 1.0)
    np.testing.assert_array_equal(z > 0, hist.counts > 0)
    assert "1,048,576 bins: drawn as colour levels" in view.caption
    assert len(to_json(view.figure)) <= MAX_FIGURE_BYTES
