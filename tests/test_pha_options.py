"""The science team's PHA options (issue 9, points 4 and 5): their grids drawn and downloaded,
custom titles, linear M-M/Q axes, E-T ticks and fractional bins, event ranges, their histogram
files read (and AWA's readable their way), their default filters with AWA's rejections named.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dash._utils import to_json

from awa import create_app, export, query, views
from awa.figures.et import et_figure
from awa.figures.histogram import LEVEL_CELLS, MAX_FIGURE_BYTES, MAX_FIGURE_CELLS
from awa.figures.mmq import mmq_figure
from awa.model import Selection, ViewOptions, parse_query, parse_time_ranges, to_query
from awa.model.view import TEAM_GRID
from awa.pages.controls import Ids, sync
from awa.query.histograms import exact_log_edges
from awa.settings import Settings
from awa.upload import read_histogram_upload
from tests.builtstore import SimulatedStores

T = "t=1986-039-0200:0800"


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


def _dense(xe: np.ndarray, ye: np.ndarray) -> query.Hist2D:
    counts = np.random.default_rng(0).integers(1, 10**7, (len(ye) - 1, len(xe) - 1))
    n = int(counts.sum())
    return query.Hist2D(counts.astype(np.float64), xe, ye, n, n)


# --- a. the team's grids, drawn and downloadable --------------------------------------------


def test_the_teams_et_grid_is_drawn_under_the_size_limit() -> None:
    view = ViewOptions(**TEAM_GRID)  # type: ignore[arg-type]
    xe = query.channel_edges(0.0, 500.0, 1.0)
    fig = et_figure(_dense(xe, xe), view, "t")
    z = fig.data[0].z
    assert z.shape == (501, 501)
    assert z.dtype == np.uint16  # sent as a base64 typed array, 2 bytes a cell
    assert fig.data[0].customdata is None
    assert "customdata" not in fig.data[0].hovertemplate
    sent = to_json(fig)
    assert len(sent) <= MAX_FIGURE_BYTES
    assert json.loads(sent)["data"][0]["z"]["dtype"] == "u2"


def test_colour_levels_follow_log_counts_and_leave_empty_bins_clear() -> None:
    xe = np.arange(402.0)
    counts = np.zeros((401, 401))
    counts[0, 0], counts[1, 1], counts[2, 2] = 1, 10, 100
    fig = et_figure(query.Hist2D(counts, xe, xe, 111, 111), ViewOptions(et_x=(0, 401)), "t")
    z = fig.data[0].z
    assert z[0, 0] == 1
    assert z[2, 2] == fig.data[0].zmax  # the largest count takes the top colour
    assert z[1, 1] == (1 + z[2, 2]) // 2  # one decade of two: half way
    assert (z[counts == 0] == 0).all()
    assert fig.data[0].colorscale[0][1] == "rgba(0,0,0,0)"  # level 0: transparent
    assert list(fig.data[0].colorbar.ticktext) == ["1", "10", "100"]


@pytest.mark.parametrize("side", [316, 512])
def test_every_drawable_grid_stays_under_the_size_limit(side: int) -> None:
    xe = np.arange(side + 1.0)
    assert side * side <= MAX_FIGURE_CELLS
    for fig in (et_figure(_dense(xe, xe), ViewOptions(et_x=(0, side)), "t"),
                mmq_figure(_dense(xe + 1, xe + 1), ViewOptions(), "t")):  # fmt: skip
        assert len(to_json(fig)) <= MAX_FIGURE_BYTES
    assert (side * side > LEVEL_CELLS) == (fig.data[0].customdata is None)


def test_team_grid_views_and_download(store_settings: Settings, client: Any) -> None:
    state = parse_query(f"?{T}&grid=team")[0]
    assert state.view.et_bin == 1
    assert state.view.et_x == (0.0, 500.0)
    et = views.et_view(store_settings, state)
    assert et.figure.data[0].z.shape == (501, 501)
    assert "251,001 bins: drawn as colour levels" in et.caption
    mmq = views.mmq_view(store_settings, state)
    edges = exact_log_edges(0.5, 100.0, 0.01)
    assert len(edges) == 231
    np.testing.assert_allclose(mmq.figure.data[0].x, edges)
    np.testing.assert_allclose(mmq.figure.data[0].y, edges)
    assert "team's grid" in mmq.caption
    text = client.get("/download/mmq.csv?" + T + "&grid=team").get_data(as_text=True)
    back = export.parse_histogram_csv(text)
    np.testing.assert_allclose(back.x_edges, edges)
    hist = query.mmq_histogram(query.store_key(store_settings.data_dir),
                               state.selection, 0.01, 0.01, (0.5, 100.0), (0.5, 100.0),
                               exact_range=True)  # fmt: skip
    np.testing.assert_array_equal(back.counts, hist.counts)
    assert hist.counts.sum() > 0


def test_team_rule_gives_the_same_edge_count_on_both_axes() -> None:
    view = ViewOptions(grid="team", mmq_x=(0.5, 100.0), mmq_y=(1.0, 60.0), mmq_binx=0.01)
    xe, ye = views.mmq_edges(view)
    assert len(xe) == len(ye) == 231  # the team's num from the M/Q axis, on both
    assert ye[0] == pytest.approx(1.0)
    assert ye[-1] == pytest.approx(60.0)


def test_a_grid_too_fine_to_draw_still_offers_its_csv(store_settings: Settings) -> None:
    state = parse_query(f"?{T}&etbin=1&mbx=0.001&mby=0.001")[0]
    et = views.et_view(store_settings, state)
    assert "too many to draw" not in et.caption  # every channel is drawn (test_fine_grids)
    assert et.download.startswith("download/et.csv?")
    mmq = views.mmq_view(store_settings, state)
    assert "too many to draw" in mmq.caption
    assert mmq.download.startswith("download/mmq.csv?")
    assert "mbx=0.001" in mmq.download


def test_switching_the_grid_sets_its_bins_and_ranges() -> None:
    values = {str(Ids.TIME): "1986-039", str(Ids.GRID): "team", str(Ids.ET_BIN): "8",
              str(Ids.ET_X): "0,1023", str(Ids.MMQ_X): "0.5,60"}  # fmt: skip
    result = sync(Ids.GRID, "", values)
    assert result.message == ""
    assert result.controls[Ids.ET_BIN] == "1"
    assert result.controls[Ids.ET_X] == "0,500"
    assert result.controls[Ids.MMQ_X] == "0.5,100"
    assert result.search is not None
    assert "grid=team" in result.search
    assert "etbin" not in result.search  # the team grid's own values: not repeated


# --- b. custom title -----------------------------------------------------------------------


def test_custom_title_in_figures_and_csv(store_settings: Settings, client: Any) -> None:
    state = parse_query(f"?{T}&title=O%2B%20storm%20<b>x</b>")[0]
    assert state.view.title == "O+ storm <b>x</b>"
    assert to_query(state).endswith("title=O%2B%20storm%20%3Cb%3Ex%3C/b%3E")
    for view in (views.et_view(store_settings, state), views.mmq_view(store_settings, state)):
        assert view.figure.layout.title.text == "O+ storm &lt;b&gt;x&lt;/b&gt;"
    text = client.get("/download/et.csv" + to_query(state)).get_data(as_text=True)
    assert text.splitlines()[1] == "# PLOTTITLE: O+ storm <b>x</b>"
    plain = client.get(f"/download/et.csv?{T}").get_data(as_text=True).splitlines()[1]
    assert plain.startswith("# PLOTTITLE: E-T: TOF vs energy; ")
    assert plain.endswith(" total")
    assert parse_query("?title=" + "x" * 301)[1]  # too long: a message, not a title


# --- c. linear M-M/Q axes --------------------------------------------------------------------


def test_linear_mmq_axes(store_settings: Settings) -> None:
    view = views.mmq_view(store_settings, parse_query(f"?{T}&mlog=0")[0])
    assert view.figure.layout.xaxis.type == "linear"
    assert list(view.figure.layout.xaxis.range) == [0.5, 60.0]
    assert "Linear axes" in view.caption
    log = views.mmq_view(store_settings, parse_query(f"?{T}")[0])
    assert log.figure.layout.xaxis.type == "log"


# --- d. E-T ticks and fractional bins ------------------------------------------------------


def test_et_ticks_and_a_fractional_bin(store_settings: Settings) -> None:
    state = parse_query(f"?{T}&etbin=2.5&ettick=25&etx=0,100&ety=0,100")[0]
    view = views.et_view(store_settings, state)
    fig = view.figure
    assert fig.layout.xaxis.dtick == 25
    assert fig.layout.yaxis.dtick == 25
    np.testing.assert_allclose(np.diff(fig.data[0].x), 2.5)
    hist = query.et_histogram(query.store_key(store_settings.data_dir), state.selection, 2.5,
                              (0, 100), (0, 100))  # fmt: skip
    assert hist.x_edges[1] == 2.5
    ev = [e for e in query.iter_events(store_settings.data_dir, state.selection)]
    tof = np.concatenate([e["TOF"] for e in ev])
    energy = np.concatenate([e["Energy"] for e in ev])
    inside = (tof < 102.5) & (energy < 102.5)
    want, _, _ = np.histogram2d(energy[inside], tof[inside], bins=(hist.y_edges, hist.x_edges))
    np.testing.assert_array_equal(hist.counts, want)
    assert want.sum() > 0
    assert parse_query("?etbin=0.5")[1]  # narrower than a channel: refused


# --- e. mass and M/Q ranges of the events CSV -------------------------------------------------


def _events(client: Any, search: str) -> pd.DataFrame:
    text = client.get("/download/events.csv?" + search).get_data(as_text=True)
    return pd.read_csv(io.StringIO(text), comment="#")


def test_events_csv_mass_and_mpq_ranges(client: Any) -> None:
    every = _events(client, T)
    some = _events(client, T + "&evm=10,20&evq=1.5,9")
    keep = every["mass_amu"].between(10, 20) & every["mpq_amu_per_e"].between(1.5, 9)
    assert 0 < len(some) == int(keep.sum()) < len(every)
    pd.testing.assert_frame_equal(some, every[keep].reset_index(drop=True))
    text = client.get("/download/events.csv?" + T + "&evm=10,20").get_data(as_text=True)
    assert "# Only events with mass 10-20 amu (inclusive)" in text


# --- f. the team's histogram files ------------------------------------------------------------

#: An M-M/Q file as the team's app writes it (AMPTE_CHEM_MMpQ_Hist.csv): filters, title with
#: ``<lf>`` line breaks, a bare '#', then pandas' CSV of the grid (x lower edges as columns,
#: rows from the highest lower y edge down, counts as %.4f), y index rounded to 4 decimals.
TEAM_MMQ = (
    "# Filters: (SpinStartTime >= \"1986-02-08 02:00:00\"), L >= 2.0, L <= 10.0\n"
    "# PLOTTITLE: 1986:039:02:00 to 1986:039:08:00; L 2.00 to 10.00<lf>TAC 0; Bin Width 0.3; "
    "7 PHAs of 9 total\n"
    "#\n"
    ",1.0,2.0,4.0\n"
    "4.0000,0.0000,1.0000,0.0000\n"
    "2.0000,0.0000,2.0000,3.0000\n"
    "1.0000,1.0000,0.0000,0.0000\n"
)
TEAM_ET = (
    "# Filters: L >= 2.0, L <= 10.0\n# PLOTTITLE: E-T; 10 PHAs of 12 total\n#\n"
    ",0.0,2.5,5.0\n5.0,1.0000,0.0000,0.0000\n2.5,0.0000,4.0000,0.0000\n0.0,2.0000,0.0000,3.0000\n"
)


def test_their_mmq_csv_is_read_with_its_edges() -> None:
    hist = read_histogram_upload(TEAM_MMQ.encode(), "AMPTE_CHEM_MMpQ_Hist.csv")
    assert hist.kind == "mmq"
    np.testing.assert_allclose(hist.x_edges, [1, 2, 4, 8])
    np.testing.assert_allclose(hist.y_edges, [1, 2, 4, 8])
    np.testing.assert_array_equal(hist.counts, [[1, 0, 0], [0, 2, 3], [0, 1, 0]])
    assert hist.title.startswith("1986:039:02:00 to")
    assert "TAC 0" in hist.title
    assert hist.filters.startswith("(SpinStartTime")


def test_their_et_csv_and_xlsx_are_summed_like_awas() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in TEAM_ET.splitlines():  # their workbook: the same rows, one cell per field
        cells = line.split(",") if not line.startswith("#") else [line]
        sheet.append([c if c.startswith("#") or c == "" else float(c) for c in cells])
    data = io.BytesIO()
    book.save(data)
    xlsx = read_histogram_upload(data.getvalue(), "AMPTE_CHEM_ET_Hist.xlsx")
    csv = read_histogram_upload(TEAM_ET.encode(), "AMPTE_CHEM_ET_Hist.csv")
    for h in (xlsx, csv):
        assert h.kind == "et"
        np.testing.assert_allclose(h.x_edges, [0, 2.5, 5, 7.5])
        np.testing.assert_array_equal(h.counts, [[2, 0, 3], [0, 4, 0], [1, 0, 0]])
    urls = ["data:;base64," + base64.b64encode(b).decode()
            for b in (TEAM_ET.encode(), data.getvalue())]  # fmt: skip
    view = views.upload_view(urls, ["AMPTE_CHEM_ET_Hist.csv", "AMPTE_CHEM_ET_Hist.xlsx"])
    assert "2 file(s) summed" in view.caption
    assert "20 counts in 4 non-empty bins" in view.caption


def _read_their_way(text: str) -> tuple[str, str, pd.DataFrame]:
    """The team's reader of a histogram CSV, as their app does it: the first line is the
    filters, the second the title, a third line starting with '#' is skipped, then pandas
    reads the grid with the first column as index and the header as float x edges."""
    f = io.StringIO(text)
    filters = f.readline()[2:-1]
    title = f.readline().strip()
    where = f.tell()
    skip = 1 if f.readline().startswith("#") else 0
    f.seek(where)
    df = pd.read_csv(f, skiprows=skip, index_col=0)
    df.columns = df.columns.astype(float)
    return filters, title, df


def test_awas_csv_reads_their_way(client: Any, sim_store: SimulatedStores) -> None:
    text = client.get(f"/download/et.csv?{T}&etbin=32").get_data(as_text=True)
    filters, title, df = _read_their_way(text)
    assert filters.startswith("Filters: L 2-10")
    assert title.startswith("# PLOTTITLE: E-T")
    hist = query.et_histogram(query.store_key(sim_store.folder),
                              Selection(times=parse_time_ranges(T[2:])), 32)  # fmt: skip
    np.testing.assert_array_equal(df.columns.to_numpy(), hist.x_edges[:-1])
    np.testing.assert_array_equal(df.index.to_numpy(), hist.y_edges[-2::-1])
    np.testing.assert_array_equal(df.to_numpy(), hist.counts[::-1])
    assert f"{int(hist.n_shown):,} PHAs of {hist.n_selected:,} total" in title
    # and AWA reads it back exactly, and sums it with the team's own file layout
    back = export.parse_histogram_csv(text)
    np.testing.assert_array_equal(back.counts, hist.counts)
    np.testing.assert_array_equal(back.y_edges, hist.y_edges)


def test_uneven_bins_without_edges_are_refused() -> None:
    bad = TEAM_ET.replace(",0.0,2.5,5.0", ",0.0,2.5,7.0")
    with pytest.raises(export.CsvFormatError, match="not evenly spaced"):
        read_histogram_upload(bad.encode(), "x_ET.csv")


# --- g. the team's defaults; AWA's rejections named ---------------------------------------------


def test_default_caption_names_awas_extra_rejections(store_settings: Settings) -> None:
    view = views.et_view(store_settings, parse_query(f"?{T}")[0])
    assert "triples only" in view.caption
    assert "ΣBR<=DCR; BR2<=TCR; Rn<=BRn" in view.caption
    assert "PAPS 0,1,2,3,4,5,6" in view.caption
    assert "AWA also rejects TOF = 1019, Range 3, SSDID >= 4" in view.caption
    off = views.et_view(store_settings, parse_query(f"?{T}&r1019=0&r3=0&rssd=0")[0])
    assert "AWA also rejects" not in off.caption


def test_mmq_caption_says_why_selected_events_are_not_drawn(store_settings: Settings) -> None:
    state = parse_query("?t=1986-039&tri=0")[0]
    view = views.mmq_view(store_settings, state)
    hist = query.mmq_histogram(
        query.store_key(store_settings.data_dir), state.selection, 0.02, 0.02,
        (0.5, 60.0), (0.5, 60.0),
    )  # fmt: skip
    assert hist.n_selected - hist.n_shown > 0
    assert f"The other {hist.n_selected - hist.n_shown:,} selected events are not drawn" in (
        view.caption
    )
    assert "no mass" in view.caption
