"""Matrix elements: the picture rebuilt from the box list, the ME timeline, CSVs and the tab."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import dash
import numpy as np
import pandas as pd
import pytest

from awa import create_app, query
from awa.chem import me_boxes, physics, schema
from awa.figures.me import (
    box_outlines,
    break_gaps,
    me_figure,
    me_timeline_figure,
)
from awa.model import (
    ALL_BOXES,
    FilterError,
    MeOptions,
    TimeRange,
    format_boxes,
    parse_boxes,
    parse_params,
    parse_query,
)
from awa.pages import me as me_page
from awa.settings import Settings
from data_build import simulate, stores
from tests.builtstore import SimulatedStores

BOXES = me_boxes.me_boxes()
SPECIES = physics.species_frame()


def _heatmaps(fig: Any) -> dict[str, Any]:
    return {t.name: t for t in fig.data if t.type == "heatmap"}


# ---------------------------------------------------------------------------------------
# The reconstruction puts each box where the table says
# ---------------------------------------------------------------------------------------


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    grid = me_boxes.me_grid()
    return grid.cells, grid.doubles, grid.mpq_edges, grid.mass_edges


def test_every_box_lies_where_the_table_says() -> None:
    cells, doubles, xe, ye = _grid()
    np.testing.assert_allclose(xe, me_boxes.grid_to_mpq(np.arange(len(xe))))
    np.testing.assert_allclose(ye, me_boxes.grid_to_mass(np.arange(len(ye))))
    assert xe[1] == pytest.approx(0.6837)
    assert ye[1] == pytest.approx(0.6854)
    for box in BOXES.itertuples(index=False):
        xs = slice(box.x0, box.x0 + box.width)
        if box.kind == "double":
            assert (doubles[xs] == box.me).all()
            continue
        area = cells[box.y0 : box.y0 + box.height, xs]
        if box.kind == "triple":
            assert (area == box.me).all(), f"ME {box.me} not on its cells"
        else:  # background: its own cells, or a non-background box drawn over it
            assert ((area == box.me) | ~np.isin(area, range(252, 257))).all()
            assert (area >= 0).all()
    # nothing outside the boxes; doubles only in their strip
    covered = np.zeros_like(cells, dtype=bool)
    for box in BOXES[BOXES["kind"] != "double"].itertuples(index=False):
        covered[box.y0 : box.y0 + box.height, box.x0 : box.x0 + box.width] = True
    assert ((cells >= 0) == covered).all()
    assert not np.isin(cells, range(48)).any()
    assert set(doubles[doubles >= 0].tolist()) == set(range(48))


def test_grid_agrees_with_the_event_classifier() -> None:
    """A point at each cell centre is classified (me_boxes.me_box_of) into the drawn box."""
    cells, doubles, xe, ye = _grid()
    xc = np.sqrt(xe[:-1] * xe[1:])
    yc = np.sqrt(ye[:-1] * ye[1:])
    mpq, mass = np.meshgrid(xc, yc)
    assert (me_boxes.me_box_of(mass, mpq) == cells).all()
    assert (me_boxes.me_box_of(np.zeros_like(xc), xc) == doubles).all()


def test_figure_colours_each_box_by_its_counts_with_limits_in_hover() -> None:
    counts = np.zeros(512)
    counts[:491] = np.arange(491) + 1.0  # box i has i + 1 counts
    counts[491:] = 1e9  # not boxes: never drawn
    fig = me_figure(counts, "t")
    maps = _heatmaps(fig)
    cells, doubles, _, _ = _grid()
    custom = np.asarray(maps["boxes"].customdata, dtype=float)
    z = np.asarray(maps["boxes"].z, dtype=float)
    box_of_cell = np.where(cells >= 0, cells, -1)
    inside = box_of_cell >= 0
    np.testing.assert_array_equal(custom[..., 0][inside], box_of_cell[inside])
    np.testing.assert_allclose(custom[..., 1][inside], box_of_cell[inside] + 1.0)
    np.testing.assert_allclose(z[inside], np.log10(box_of_cell[inside] + 1.0))  # log colours
    assert np.isnan(z[~inside]).all()
    table = BOXES.set_index("me")
    for me in (55, 90, 291, 300, 252):
        at = np.argwhere(cells == me)[0]
        c = custom[at[0], at[1]]
        row = table.loc[me]
        limits = row[["mpq_lo", "mpq_hi", "mass_lo", "mass_hi"]].to_numpy(dtype=float)
        np.testing.assert_allclose(c[2:6], limits)
        assert c[6] == row["nq_lo"]
        assert c[7] == row["nq_lo"] + row["width"] - 1
        assert c[8] == row["nm_lo"]
        assert c[9] == row["nm_lo"] + row["height"] - 1
        assert (c[10], c[11]) == (at[1] - 1, at[0] - 1)  # the cell's own NQ, NM
    d_custom = np.asarray(maps["doubles"].customdata, dtype=float)[0]
    np.testing.assert_array_equal(d_custom[doubles >= 0, 0], doubles[doubles >= 0])
    assert "NQ" in maps["boxes"].hovertemplate
    assert "NM" in maps["boxes"].hovertemplate
    assert fig.layout.coloraxis.cmax == pytest.approx(np.log10(491))
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis.type == "log"
    assert "amu/e" in fig.layout.xaxis2.title.text
    assert "amu" in fig.layout.yaxis.title.text


def test_outlines_draw_background_first_and_every_box_rectangle() -> None:
    fig = me_figure(np.ones(512), "t")
    names = [t.name for t in fig.data]
    assert names.index("background outlines") < names.index("triple outlines")
    assert names.index("empty boxes") < names.index("boxes")  # empty grey under counts
    xs, ys = box_outlines("triple")
    corners = {
        (round(x0, 9), round(y0, 9), round(x1, 9), round(y1, 9))
        for x0, y0, x1, y1 in zip(xs[0::6], ys[0::6], xs[1::6], ys[2::6], strict=True)
    }
    for box in BOXES[BOXES["kind"] == "triple"].itertuples(index=False):
        key = tuple(round(v, 9) for v in (box.mpq_lo, box.mass_lo, box.mpq_hi, box.mass_hi))
        assert key in corners
    assert len(corners) == int((BOXES["kind"] == "triple").sum())


def test_colour_limits_and_axis_window() -> None:
    counts = np.full(512, 10.0)
    fig = me_figure(counts, "t", z_range=(2.0, 2000.0), mpq_range=(1.0, 20.0),
                    mass_range=(0.8, 40.0))  # fmt: skip
    assert fig.layout.coloraxis.cmin == pytest.approx(np.log10(2.0))
    assert fig.layout.coloraxis.cmax == pytest.approx(np.log10(2000.0))
    np.testing.assert_allclose(fig.layout.xaxis.range, np.log10([1.0, 20.0]))
    np.testing.assert_allclose(fig.layout.yaxis.range, np.log10([0.8, 40.0]))
    assert me_figure(np.zeros(512), "t").layout.meta["awa_message"].startswith("No matrix")


def _me_options(z: str, mpq: str, mass: str, boxes: str) -> tuple[MeOptions, list[str]]:
    state, errors = parse_params({"mez": z, "mex": mpq, "mey": mass, "boxes": boxes}, strict=False)
    return state.view.me, errors


def test_options_parse_with_messages() -> None:
    opts, errors = _me_options("1,1e4", "0.7,30", "", "55, 90 252-256")
    assert opts.z_range == (1.0, 1e4)
    assert opts.mpq_range == (0.7, 30.0)
    assert opts.mass_range is None
    assert errors == []
    assert opts.boxes == (55, 90, 252, 253, 254, 255, 256)
    opts, errors = _me_options("5,1", "abc", "0,10", "600")
    assert opts == MeOptions()
    assert len(errors) == 4
    assert any("outside 0-490" in e for e in errors)
    assert format_boxes((1, 2, 3, 7, 9, 10)) == "1-3,7,9-10"
    assert parse_boxes(format_boxes((1, 2, 3, 7, 9, 10))) == (1, 2, 3, 7, 9, 10)
    assert parse_boxes("all") == ALL_BOXES
    with pytest.raises(FilterError, match="accepted"):
        parse_boxes("55,x")


# ---------------------------------------------------------------------------------------
# The simulator's species land in the boxes that cover their M and M/Q
# ---------------------------------------------------------------------------------------


def test_species_boxes_cover_their_mass_and_mpq() -> None:
    table = BOXES.set_index("me")
    boxes = me_boxes.me_box_of(SPECIES["mass"], SPECIES["mpq"])
    for (_, sp), me in zip(SPECIES.iterrows(), boxes, strict=True):
        assert me >= 48, f"{sp['name']} in box {me}"
        assert not 252 <= me <= 256, f"{sp['name']} in box {me}"
        row = table.loc[me]
        assert row["mpq_lo"] <= sp["mpq"] < row["mpq_hi"], sp["name"]
        assert row["mass_lo"] <= sp["mass"] < row["mass_hi"], sp["name"]


@pytest.fixture(scope="module")
def sim_day_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, simulate.SimDay]:
    """Three simulated hours through the real pipeline: FITS file -> stores."""
    tmp = tmp_path_factory.mktemp("me_sim")
    sim = simulate.simulate_day(dt.date(1986, 2, 9), seed=4, config=simulate.SimConfig(hours=3))
    path = simulate.write_day(sim, tmp / "fits")
    stores.build_stores([path], tmp / "data", progress=None)
    return tmp / "data", sim


def test_simulated_species_land_in_their_boxes(
    sim_day_store: tuple[Path, simulate.SimDay],
) -> None:
    data, sim = sim_day_store
    times = (TimeRange(dt.datetime(1986, 2, 9), dt.datetime(1986, 2, 10)),)
    totals = query.me_totals(query.store_key(data), times, None)
    science = sim.cshk == 0
    np.testing.assert_allclose(totals.counts, sim.me[science].sum(axis=0))
    species_boxes = me_boxes.me_box_of(SPECIES["mass"], SPECIES["mpq"])
    triples = totals.counts.copy()
    triples[:48] = 0
    triples[252:257] = 0
    assert int(np.argmax(triples[:491])) == species_boxes[0]  # H+ is the largest box
    fig = me_figure(totals.counts, "t")
    custom = np.asarray(_heatmaps(fig)["boxes"].customdata, dtype=float)
    for (_, sp), me in zip(SPECIES.iterrows(), species_boxes, strict=True):
        assert totals.counts[me] > 0, f"no {sp['name']} counts in box {me}"
        # the cell of the picture at the species' (M/Q, M) shows its box and its counts
        x = int(np.floor(me_boxes.mpq_to_grid(sp["mpq"])))
        y = int(np.floor(me_boxes.mass_to_grid(sp["mass"])))
        assert custom[y, x, 0] == me
        assert custom[y, x, 1] == totals.counts[me]


# ---------------------------------------------------------------------------------------
# ME timeline and CSV downloads
# ---------------------------------------------------------------------------------------


def _brute_force(me: pd.DataFrame, t0: str, t1: str, l_range: tuple[float, float],
                 boxes: list[int]) -> pd.Series:  # fmt: skip
    keep = (
        (me["SpinStartTime"] >= t0) & (me["SpinStartTime"] < t1) & (me["CSHK"] == 0)
        & me["L"].between(*l_range)
    )  # fmt: skip
    rows = me[keep]
    return rows[list(boxes)].sum(axis=1)


def test_me_timeline_sums_the_chosen_boxes(sim_store: SimulatedStores) -> None:
    key = query.store_key(sim_store.folder)
    times = (TimeRange(dt.datetime(1986, 2, 8, 2), dt.datetime(1986, 2, 8, 9)),)
    boxes = (3, 55, 252, 490)
    series = query.me_timeline(key, times, (2.0, 10.0), boxes, points=10_000)
    want = _brute_force(sim_store.me, "1986-02-08 02:00", "1986-02-08 09:00", (2.0, 10.0),
                        list(boxes))  # fmt: skip
    assert series.n_cycles == len(want)
    np.testing.assert_allclose(series.counts, want.to_numpy())
    assert series.total == pytest.approx(float(want.sum()))
    short = query.me_timeline(key, times, (2.0, 10.0), boxes, points=20)
    assert len(short.counts) <= 20
    assert short.counts.max() == want.max()
    with pytest.raises(query.SelectionTooLargeError):
        query.me_timeline(key, times, None, boxes, max_rows=5)
    fig = me_timeline_figure(series, "ME", (times[0].start, times[0].end))
    y = np.asarray(fig.data[0].y, dtype=float)
    np.testing.assert_allclose(y[np.isfinite(y)], want.to_numpy())  # gaps only add breaks
    t, v = break_gaps(np.array([0, 10, 20, 100, 110]), np.ones(5))
    assert list(t) == [0, 10, 20, 60, 100, 110]
    assert np.isnan(v[3])
    assert fig.layout.xaxis.range[0] == times[0].start
    assert fig.layout.yaxis.title.text == "counts / cycle"


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


def test_me_csv_downloads(client: Any, sim_store: SimulatedStores) -> None:
    r = client.get("/download/me.csv?t=1986-039-0200:0500&L=all")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert "# KIND: me" in text
    table = pd.read_csv(io.StringIO(text), comment="#")
    assert list(table["me"]) == list(range(491))
    keep = (sim_store.me["SpinStartTime"] >= "1986-02-08 02:00") & (
        sim_store.me["SpinStartTime"] < "1986-02-08 05:00"
    ) & (sim_store.me["CSHK"] == 0)  # fmt: skip
    want = sim_store.me.loc[keep, list(range(491))].sum().to_numpy()
    np.testing.assert_allclose(table["counts"], want)
    np.testing.assert_allclose(table["mpq_lo"], BOXES["mpq_lo"], rtol=1e-5)
    assert table.loc[table["kind"] == "double", "mass_lo"].isna().all()
    r = client.get("/download/me_timeline.csv?t=1986-039-0200:0500&boxes=55,252-256")
    assert r.status_code == 200
    lines = r.get_data(as_text=True).splitlines()
    assert lines[0] == "# PLOTTITLE: ME timeline, boxes 55,252-256"
    assert lines[4] == "time_utc,counts_per_cycle"
    assert client.get("/download/me_timeline.csv?t=1986-039&boxes=999").status_code == 400
    # the page's whole query string is accepted: the ME options are view parameters
    r = client.get("/download/me.csv?t=1986-039-0200:0500&L=all&tab=me&mez=1,100&mex=1,20")
    assert r.status_code == 200
    assert "# Query: ?t=1986-039-0200:1986-039-0500&L=all&tab=me&mez=1,100&mex=1,20" in r.text
    r = client.get("/download/me.csv?t=1986-039&mex=20,1")
    assert r.status_code == 400
    assert "mex: low 20 is not below high 1" in r.text
    assert client.get("/download/me.csv?t=1986-039&L=x").status_code == 400


def test_me_timeline_download_keeps_the_row_limit(
    store_settings: Settings, sim_store: SimulatedStores
) -> None:
    """The ME timeline CSV holds every cycle and is refused beyond ``max_rows`` (the limit
    was once passed as the number of points, so it was never checked)."""
    from dataclasses import replace

    t = sim_store.me["SpinStartTime"]
    rows = int(((t >= "1986-02-08 02:00") & (t < "1986-02-08 05:00")).sum())
    path = "/download/me_timeline.csv?t=1986-039-0200:0500&boxes=55,252-256"
    at_limit = create_app(replace(store_settings, max_rows=rows)).server.test_client()
    r = at_limit.get(path)
    assert r.status_code == 200
    lines = r.get_data(as_text=True).splitlines()
    cycles = int(lines[3].removeprefix("# CYCLES: "))
    assert len(lines) - 5 == cycles > 0  # every science cycle, no decimation
    below = create_app(replace(store_settings, max_rows=rows - 1)).server.test_client()
    r = below.get(path)
    assert r.status_code == 413
    assert "choose a shorter time range" in r.get_data(as_text=True)


def test_me_timeline_download_asks_for_every_cycle_within_the_limit(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``max_rows`` is the row limit, never the number of points of the trace."""
    import inspect
    from dataclasses import replace

    real = query.me_timeline
    calls: list[dict[str, Any]] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        bound = inspect.signature(inspect.unwrap(real)).bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append(dict(bound.arguments))
        return real(*args, **kwargs)

    monkeypatch.setattr(query, "me_timeline", spy)
    settings = replace(store_settings, max_rows=123_456)
    client = create_app(settings).server.test_client()
    r = client.get("/download/me_timeline.csv?t=1986-039-0200:0500&boxes=55")
    assert r.status_code == 200
    assert len(calls) == 1
    assert calls[0]["max_rows"] == 123_456
    assert calls[0]["points"] is None  # the download is not decimated


# ---------------------------------------------------------------------------------------
# The tab's callbacks
# ---------------------------------------------------------------------------------------


def test_tab_outputs_only_on_their_tab(store_settings: Settings) -> None:
    search = "?t=1986-039-0300:0600"
    assert me_page.picture_outputs(store_settings, search) == ((dash.no_update,) * 4)
    assert me_page.timeline_outputs(store_settings, search) == ((dash.no_update,) * 4)
    fig, caption, link, config = me_page.picture_outputs(store_settings, search + "&tab=me")
    assert "science cycles" in caption
    assert "L 2-10" in caption
    assert link == "download/me.csv?t=1986-039-0300:1986-039-0600&tab=me"
    assert config["toImageButtonOptions"]["format"] == "png"
    np.testing.assert_allclose(fig.layout.xaxis.range, np.log10([0.6837, 74.0]), atol=0.05)


def test_callbacks_draw_the_options_of_the_url(store_settings: Settings) -> None:
    """A shared URL alone gives the colour range, axis window and timeline boxes."""
    search = "?t=1986-039-0300:0600&tab=me&mez=2,2000&mex=1,20&mey=0.8,40&boxes=55,252-256&img=svg"
    fig, caption, link, config = me_page.picture_outputs(store_settings, search)
    assert fig.layout.coloraxis.cmin == pytest.approx(np.log10(2.0))
    assert fig.layout.coloraxis.cmax == pytest.approx(np.log10(2000.0))
    np.testing.assert_allclose(fig.layout.xaxis.range, np.log10([1.0, 20.0]))
    np.testing.assert_allclose(fig.layout.yaxis.range, np.log10([0.8, 40.0]))
    assert config["toImageButtonOptions"]["format"] == "svg"
    state, errors = parse_query(link.split("?", 1)[1])
    assert errors == []
    assert state == parse_query(search)[0]  # the CSV link carries the whole view
    tl, tl_caption, tl_link, tl_config = me_page.timeline_outputs(store_settings, search)
    assert "boxes 55,252-256" in tl.layout.title.text
    assert "ME boxes 55,252-256" in tl_caption
    assert "boxes=55,252-256" in tl_link
    assert tl_config["toImageButtonOptions"]["format"] == "svg"
    # a bad option is skipped (the page reports it): the default is drawn
    fig, *_ = me_page.picture_outputs(store_settings, "?t=1986-039-0300:0600&tab=me&mex=abc")
    np.testing.assert_allclose(fig.layout.xaxis.range, np.log10([0.6837, 74.0]), atol=0.05)


def test_timeline_follows_the_boxes_of_the_url(
    store_settings: Settings, sim_store: SimulatedStores
) -> None:
    search = "?t=1986-039-0200:0500&L=all&tab=me&boxes=3,55,252-256"
    tl, *_ = me_page.timeline_outputs(store_settings, search)
    want = _brute_force(sim_store.me, "1986-02-08 02:00", "1986-02-08 05:00", (0.0, 99.0),
                        [3, 55, 252, 253, 254, 255, 256])  # fmt: skip
    y = np.asarray(tl.data[0].y, dtype=float)
    assert np.nanmax(y) == pytest.approx(want.max())
    assert f"{want.sum():,.0f} counts" in tl.layout.title.text


def test_clicking_a_box_toggles_it() -> None:
    click = {"points": [{"customdata": [291.0, 12.0]}]}
    assert me_page.toggle_box(click, "") == "291"
    assert me_page.toggle_box(click, "all") == "291"
    assert me_page.toggle_box(click, "55,291") == "55"
    assert me_page.toggle_box(click, "55") == "55,291"
    assert me_page.toggle_box({"points": []}, "55") is dash.no_update
    # the browser sends a typed array's customdata as an object keyed by position
    typed = {"points": [{"curveNumber": 1, "customdata": {"0": 55, "1": 283022.0}}]}
    assert me_page.toggle_box(typed, "55,90,252-256") == "90,252-256"
    assert me_page.toggle_box({"points": [{"customdata": {"1": 3}}]}, "55") is dash.no_update
    assert me_page.toggle_box(None, "55") is dash.no_update


def test_store_missing_gives_messages(empty_settings: Settings) -> None:
    fig, caption, _, _ = me_page.picture_outputs(empty_settings, "?t=1986-039&tab=me")
    assert "is missing" in fig.layout.meta["awa_message"]
    assert schema.PHA_STORE.filename in caption or "missing" in caption
