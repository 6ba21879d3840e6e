"""Figure builders: pure functions from query results to plotly figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from awa import query
from awa.chem import physics, schema
from awa.figures.common import caption, message_figure, span_text
from awa.figures.et import et_figure
from awa.figures.histogram import HOVER_CELLS
from awa.figures.mmq import mmq_figure
from awa.figures.scatter import scatter_figure
from awa.figures.timeline import kp_bars, timeline_figure
from awa.model import Selection, ViewOptions, parse_time_ranges


def _hist(nx: int = 4, ny: int = 3, log: bool = False) -> query.Hist2D:
    counts = np.arange(nx * ny, dtype=float).reshape(ny, nx)
    if log:
        xe, ye = query.log_edges(0.5, 60, 0.5), query.log_edges(0.5, 60, 0.5)
        counts = np.ones((len(ye) - 1, len(xe) - 1))
    else:
        xe = np.linspace(0, 1024, nx + 1)
        ye = np.linspace(0, 1024, ny + 1)
    return query.Hist2D(counts, xe, ye, int(counts.sum()) + 5, int(counts.sum()))


def test_et_heatmap_uses_log_colour_and_hover_values() -> None:
    hist = _hist()
    fig = et_figure(hist, ViewOptions(z_range=(1.0, 100.0)), "title")
    hm = fig.data[0]
    assert hm.type == "heatmap"
    assert np.isnan(hm.z[0][0])  # empty bin is transparent
    assert hm.z[2][3] == pytest.approx(np.log10(11))
    assert (hm.zmin, hm.zmax) == (0.0, 2.0)
    assert list(hm.colorbar.ticktext) == ["1", "10", "100"]
    custom = np.asarray(hm.customdata)
    assert custom[1, 2, 0] == hist.counts[1, 2]
    assert custom[1, 2, 1] == pytest.approx(hist.x_edges[2:4].mean() * 320 / 1023)  # ns
    assert custom[1, 2, 2] == pytest.approx(hist.y_edges[1:3].mean() * 1500 / 1023)  # keV
    assert "ns" in hm.hovertemplate
    assert "keV" in hm.hovertemplate


def test_et_physical_units_scale_the_axes() -> None:
    fig = et_figure(_hist(), ViewOptions(et_units="physical", et_x=(0, 512)), "t")
    assert fig.layout.xaxis.title.text == "time of flight, ns"
    assert fig.layout.xaxis.range[1] == pytest.approx(512 * 320 / 1023)
    assert fig.layout.yaxis.title.text == "residual energy, keV"
    assert fig.data[0].x[0] == pytest.approx(128 * 320 / 1023)


def test_big_grids_leave_out_per_cell_physical_hover() -> None:
    n = int(np.sqrt(HOVER_CELLS)) + 2
    fig = et_figure(_hist(n, n), ViewOptions(), "t")
    assert np.asarray(fig.data[0].customdata).shape == (n, n, 1)


def test_empty_selection_is_a_message() -> None:
    empty = query.Hist2D(np.zeros((2, 2)), np.arange(3.0), np.arange(3.0), 0, 0)
    for fig in (et_figure(empty, ViewOptions(), "t"), mmq_figure(empty, ViewOptions(), "t")):
        assert fig.layout.meta["awa_message"].startswith("No events")
        assert len(fig.data) == 0


def test_mmq_figure_log_axes_and_species_marks() -> None:
    fig = mmq_figure(_hist(log=True), ViewOptions(), "t")
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "mass per charge M/Q, amu/e"
    # species named beside their peaks: an arrow from an offset label, stopping short of it
    marks = {a.text: a for a in fig.layout.annotations}
    assert set(marks) == {s.name for s in physics.SPECIES}
    oxygen = marks["O+"]
    assert oxygen.x == pytest.approx(np.log10(physics.SPECIES[3].mpq))
    assert oxygen.showarrow
    assert oxygen.standoff > 0
    assert (oxygen.ax, oxygen.ay) != (0, 0)
    assert len(fig.data) == 1  # no circle drawn over the peak bins
    # log ticks labelled in full: 0.5 and 50 read differently
    assert list(fig.layout.xaxis.ticktext) == ["0.5", "1", "2", "5", "10", "20", "50"]
    no_marks = mmq_figure(_hist(log=True), ViewOptions(mmq_refs=False), "t")
    assert not no_marks.layout.annotations


def test_mmq_without_masses_explains_why() -> None:
    h = query.Hist2D(np.zeros((2, 2)), np.array([1.0, 2, 4]), np.array([1.0, 2, 4]), 10, 0)
    assert "doubles have no mass" in mmq_figure(h, ViewOptions(), "t").layout.meta["awa_message"]


def test_scatter_colours_by_the_chosen_column() -> None:
    n = 30
    cols: dict[str, Any] = {
        "SpinStartTime": np.full(n, np.datetime64("1986-02-08T01:00", "ns").astype(np.int64)),
        "TOF": np.arange(n, dtype=np.int16) + 100, "Energy": np.arange(n, dtype=np.int16),
        "Range": np.arange(n) % 3, "SSDID": np.ones(n, dtype=np.int8), "Sector": np.arange(n),
        "T_ns": np.ones(n), "E_keV": np.ones(n), "mass": np.ones(n) * 4, "mpq": np.ones(n) * 2,
    }  # fmt: skip
    sample = query.EventSample(cols, n, True)
    fig = scatter_figure(sample, ViewOptions(scatter_color="Range"), "et", "t")
    assert [t.name for t in fig.data] == ["Range 0", "Range 1", "Range 2"]
    assert sum(len(t.x) for t in fig.data) == n
    assert fig.data[0].customdata[0][0] == "1986-02-08T01:00:00"
    fig = scatter_figure(sample, ViewOptions(scatter_color="SSDID"), "mmq", "t")
    assert fig.layout.xaxis.type == "log"
    assert len(fig.data) == 1


def _series(name: str, values: list[float], start_h: float = 0.0) -> query.Series:
    t = ((np.arange(len(values)) + start_h) * 3600 * 10**9).astype(np.int64)
    return query.Series(name, t, np.asarray(values, dtype=float), len(values))


def test_timeline_panels_share_the_time_axis() -> None:
    data = {
        "DCR": [_series("DCR", [1, 10, 100])],
        "L": [_series("L", [2, 3, 4])],
        "Kp": [_series("Kp", [1, 1, 1, 6, 6, 6])],
        "Dst": [_series("Dst", [np.nan] * 3)],
    }
    fig = timeline_figure(data, log_rates=True, title="t", storm_dst=-100)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis2.type == "linear"
    assert fig.layout.xaxis.matches == "x4" or fig.layout.xaxis2.matches == "x4"
    assert fig.layout.xaxis4.title.text == "time, UTC"
    assert fig.data[2].type == "bar"
    assert list(fig.data[2].marker.color) == ["#2ca02c", "#d62728"]
    assert any("Dst missing" in a.text for a in fig.layout.annotations)
    linear = timeline_figure(data, log_rates=False, title="t")
    assert linear.layout.yaxis.type == "linear"
    assert timeline_figure({}, True, "t").layout.meta["awa_message"].startswith("Choose")


def test_kp_helpers() -> None:
    t, v = kp_bars(_series("Kp", [2, 2, 2, 5, np.nan, 5]))
    assert list(v) == [2, 5]
    assert schema.kp_colours(np.array([0.0, 4.3, 7.0])) == ["#2ca02c", "#ffbf00", "#d62728"]


def test_caption_states_counts_time_and_filters() -> None:
    sel = Selection(times=parse_time_ranges("1986-040-0000:1200"), triples_only=True)
    text = caption("E-T", 12, 3456, sel)
    assert text.startswith("E-T: 12 events of 3,456 selected.")
    assert "1986-02-09 00:00 to 1986-02-09 12:00 UTC (12 h" in text
    assert "triples only" in text
    assert span_text(()) == "all times"
    assert message_figure("hello").layout.annotations[0].text == "hello"


def _uses_the_awa_template(fig: Any) -> bool:
    axis = fig.layout.template.layout.xaxis
    return bool(axis.showline and axis.mirror and axis.linecolor == "#888")


def test_every_figure_uses_the_awa_template() -> None:
    from awa.figures.me import me_figure, me_timeline_figure
    from awa.query.results import MeSeries

    view = ViewOptions()
    t = np.arange(3, dtype=np.int64) * 10**9
    figures = [
        et_figure(_hist(), view, "t"),
        mmq_figure(_hist(log=True), view, "t"),
        timeline_figure({"Dst": [_series("Dst", [1, 2, 3])]}, True, "t"),
        me_figure(np.ones(512), "t"),
        me_timeline_figure(MeSeries(t, np.ones(3), (1,), 3, 3.0), "t"),
        message_figure("m", "t"),
    ]
    assert all(_uses_the_awa_template(fig) for fig in figures)


def test_axis_titles_come_from_the_schema() -> None:
    ch = et_figure(_hist(), ViewOptions(), "t")
    assert ch.layout.xaxis.title.text == schema.label("TOF")
    assert ch.layout.yaxis.title.text == schema.label("Energy")
    assert "320/1023" in ch.layout.xaxis.title.text
    mmq = mmq_figure(_hist(log=True), ViewOptions(), "t")
    assert (mmq.layout.xaxis.title.text, mmq.layout.yaxis.title.text) == (
        schema.label("mpq"),
        schema.label("mass"),
    )
    data = {"MLT": [_series("MLT", [1, 2])], "ME": [_series("ME", [1, 2])]}
    fig = timeline_figure(data, True, "t")
    titles = [fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text]
    assert titles == ["MLT, h", "ΣME, counts/cycle"]
