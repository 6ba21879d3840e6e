"""Callbacks called as functions: URL <-> controls sync and the figure callbacks."""

from __future__ import annotations

import json
import re
from typing import Any

import dash
import numpy as np
import pytest

from awa import create_app, views
from awa.model import parse_query
from awa.pages import explore, widgets
from awa.pages import me as me_page
from awa.pages.controls import (
    CONTROLS,
    Ids,
    parse_selected_range,
    picker_range,
    read_controls,
    write_controls,
)
from awa.pages.me import MeIds
from awa.settings import Settings
from tests.builtstore import SimulatedStores

IDS = [str(c.id) for c in CONTROLS]
NO_CONTROLS = dict.fromkeys(IDS)


def controls_from(search: str, settings: Settings) -> dict[str, Any]:
    """Control values after the page loads ``search``."""
    out = explore.on_change(settings, None, search, NO_CONTROLS)
    assert out["search"] is dash.no_update  # loading a URL never rewrites it
    assert list(out["controls"]) == IDS
    return dict(out["controls"])


def change(
    settings: Settings, values: dict[str, Any], trigger: str, **times: Any
) -> dict[str, Any]:
    return explore.on_change(settings, trigger, "", {i: values[i] for i in IDS}, **times)


def flat(out: dict[str, Any]) -> list[Any]:
    """All outputs of the sync callback: search, control values, message."""
    return [out["search"], *out["controls"].values(), out["message"]]


def test_page_load_fills_controls_with_defaults(store_settings: Settings) -> None:
    values = controls_from("", store_settings)
    assert values[Ids.TIME] == "1986-039-0000:1986-040-0000"  # first day of the store
    assert values[Ids.L] == "2,10"
    assert values[Ids.DPU] == [0, 2]
    assert values[Ids.SSD] == [0, 1, 2, 3, 4, 5]
    # the science team's defaults: triples only and the three rate relations, PAPS 0-6
    assert values[Ids.FLAGS] == ["tri", "r1019", "r3", "rssd"]
    assert values[Ids.RATE_FLAGS] == ["brdcr", "br2tcr", "rnbrn"]
    assert values[Ids.PAPS] == [0, 1, 2, 3, 4, 5, 6]
    assert values[Ids.MLT] == ""
    assert values[Ids.TL_PANELS] == ["FSR", "DCR", "TCR", "SSD", "L"]


def test_page_load_from_a_shared_url(store_settings: Settings) -> None:
    search = "?t=1986-039-0100:0300&mlt=2200-0400&dpu=all&tri=1&etbin=4&panels=DCR,ME"
    values = controls_from(search, store_settings)
    assert values[Ids.TIME] == "1986-039-0100:1986-039-0300"
    assert values[Ids.MLT] == "2200-0400"
    assert values[Ids.DPU] == [0, 1, 2, 3]
    assert "tri" in values[Ids.FLAGS]
    assert values[Ids.ET_BIN] == "4"
    assert values[Ids.TL_PANELS] == ["DCR", "ME"]
    # Reading the controls back gives the same state: the URL is the source of truth.
    state, errors = parse_query(search)
    assert errors == []
    assert read_controls(write_controls(state)) == read_controls(values)


def test_bad_url_parameter_is_reported(store_settings: Settings) -> None:
    out = explore.on_change(store_settings, None, "?L=banana", NO_CONTROLS)
    assert "L:" in out["message"]
    assert "accepted" in out["message"]


def test_control_change_writes_the_url(store_settings: Settings) -> None:
    values = controls_from("", store_settings)
    values[Ids.L] = "3-8"
    values[Ids.DPU] = [0]
    out = change(store_settings, values, Ids.L)
    search = out["search"]
    assert search.startswith("?t=1986-039-0000:1986-040-0000")
    assert "L=3,8" in search
    assert "dpu=0" in search
    assert out["message"] == ""
    assert all(v is dash.no_update for v in out["controls"].values())  # text left alone


def test_malformed_control_gives_a_message_and_keeps_the_url(store_settings: Settings) -> None:
    values = controls_from("", store_settings)
    values[Ids.TIME] = "1986-400"
    out = change(store_settings, values, Ids.TIME)
    assert out["search"] is dash.no_update
    assert "outside 001-365" in out["message"]
    values[Ids.TIME] = "1986-040"
    values[Ids.MLT] = "25:00-0100"
    out = change(store_settings, values, Ids.MLT)
    assert out["search"] is dash.no_update
    assert out["message"].startswith("mlt:")


def test_a_view_too_long_for_a_link_is_refused_at_the_control(store_settings: Settings) -> None:
    """480 five-minute ranges: the link would pass the server's request-line limit (issue 10)."""
    values = controls_from("", store_settings)
    values[Ids.TIME] = ";".join(f"1986-{d:03d}-{h:02d}{m:02d}:{h:02d}{m + 5:02d}"
                                for d in range(36, 40) for h in range(20)
                                for m in range(0, 60, 10))  # fmt: skip
    out = change(store_settings, values, Ids.TIME)
    assert out["search"] is dash.no_update
    assert "a link can carry" in out["message"]
    values[Ids.TIME] = "1986-036-0000:0005;1986-036-0010:0015"
    out = change(store_settings, values, Ids.TIME)
    assert out["search"].startswith("?t=1986-036-0000:1986-036-0005;")
    assert out["message"] == ""


def test_gunicorn_accepts_the_longest_link() -> None:
    import runpy
    from pathlib import Path

    from awa.model import MAX_QUERY_CHARS

    conf = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    longest = len("GET /download/me_timeline.csv") + MAX_QUERY_CHARS + len(" HTTP/1.1")
    assert conf["limit_request_line"] >= longest


def test_picker_storm_and_timeline_selection_set_the_time(store_settings: Settings) -> None:
    values = controls_from("", store_settings)
    out = change(
        store_settings, values, Ids.PICKER, end_date="1986-02-10", start_date="1986-02-09"
    )
    assert out["search"].startswith("?t=1986-040-0000:1986-042-0000")
    assert out["controls"][Ids.TIME] == "1986-040-0000:1986-042-0000"
    out = change(store_settings, values, Ids.STORMS, storm="1986-039-0600:1200")
    assert out["search"].startswith("?t=1986-039-0600:1986-039-1200")
    selected = {"range": {"x3": ["1986-02-08 03:00:00", "1986-02-08 04:30:12.6"]}, "points": []}
    out = change(store_settings, values, Ids.TL_GRAPH, selected=selected)
    # a dragged span is rounded to the minute (issue 14): 04:30:12.6 -> 04:30
    assert re.match(r"\?t=1986-039-0300:1986-039-0430(&|$)", out["search"]), out["search"]
    # Nothing chosen: nothing changes.
    out = change(store_settings, values, Ids.STORMS)
    assert all(v is dash.no_update for v in flat(out))


def test_selection_and_picker_parsing() -> None:
    assert parse_selected_range(None) is None
    assert parse_selected_range({"points": []}) is None
    assert parse_selected_range({"range": {"x": ["bad", "1986-02-08"]}}) is None
    assert picker_range("1986-02-09", None) is None
    r = picker_range("1986-02-09T00:00:00", "1986-02-09")
    assert r is not None
    assert r.seconds == 86400


def test_et_callback_draws_the_histogram(store_settings: Settings) -> None:
    fig, caption, href, events, config = explore.et_outputs(
        store_settings, "?t=1986-039-0000:0600&img=svg"
    )
    assert config["toImageButtonOptions"]["format"] == "svg"
    assert fig.data[0].type == "heatmap"
    assert "events of" in caption
    assert "1986-02-08 00:00 to 1986-02-08 06:00" in caption
    assert href == "download/et.csv?t=1986-039-0000:1986-039-0600&img=svg"
    assert events == "download/events.csv?t=1986-039-0000:1986-039-0600&img=svg"
    assert "TOF channel" in fig.layout.xaxis.title.text


def test_scatter_mode_and_its_limit(sim_store: SimulatedStores) -> None:
    small = Settings(data_dir=sim_store.folder, cache_type="null", scatter_max_events=50)
    big = Settings(data_dir=sim_store.folder, cache_type="null")
    search = "?t=1986-039-0200:0300&etmode=scatter&color=SSDID"
    fig, caption, *_ = explore.et_outputs(big, search)
    assert {t.type for t in fig.data} == {"scattergl"}
    assert {t.name for t in fig.data} <= {"SSDID 0", "SSDID 1", "SSDID 2", "SSDID 3"}
    fig, caption, *_ = explore.et_outputs(small, search)
    assert fig.data[0].type == "heatmap"
    assert caption.startswith("Scatter needs at most 50 events")


def test_mmq_and_timeline_callbacks(store_settings: Settings) -> None:
    fig, caption, href, _ = explore.mmq_outputs(store_settings, "?t=1986-039-0000:1200&norm=1")
    assert fig.data[0].type == "heatmap"
    assert fig.layout.xaxis.type == "log"
    assert "weighted by BRn/Rn" in caption
    assert href.startswith("download/mmq.csv?t=")
    fig, caption, href, _, rejected = explore.timeline_outputs(
        store_settings, "?t=1986-039-0000:1200&panels=DCR,L"
    )
    assert rejected == href.replace("download/timeline.csv", "download/rejected.csv")
    assert [a.title.text for a in (fig.layout.yaxis, fig.layout.yaxis2)] == [
        "DCR, counts/spin", "L, Re"
    ]  # fmt: skip
    assert fig.layout.yaxis4.title.text == "Dst, nT"
    assert fig.layout.dragmode == "select"


def test_missing_store_gives_messages(empty_settings: Settings) -> None:
    for outputs in (explore.et_outputs, explore.mmq_outputs, explore.timeline_outputs):
        fig = outputs(empty_settings, "?t=1986-040")[0]
        assert "is missing" in fig.layout.meta["awa_message"]
    # No time in the URL and no store to take a default from: the store is named.
    assert "is missing" in explore.et_outputs(empty_settings, "")[0].layout.meta["awa_message"]


@pytest.fixture
def client(store_settings: Settings) -> Any:
    app = create_app(store_settings)
    return app.server.test_client()


def test_dash_endpoint_runs_the_et_callback(client: Any) -> None:
    outputs = [
        {"id": "et-graph", "property": "figure"},
        {"id": "et-caption", "property": "children"},
        {"id": "et-download", "property": "href"},
        {"id": "et-events-download", "property": "href"},
        {"id": "et-graph", "property": "config"},
    ]
    payload = {
        "output": "..et-graph.figure...et-caption.children...et-download.href..."
        "et-events-download.href...et-graph.config..",
        "outputs": outputs,
        "inputs": [{"id": "url", "property": "search", "value": "?t=1986-039-0200:0400"}],
        "changedPropIds": ["url.search"],
        "state": [],
    }
    assert client.get("/").status_code == 200
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    body = json.loads(response.data)["response"]
    assert body["et-graph"]["figure"]["data"][0]["type"] == "heatmap"
    assert "events of" in body["et-caption"]["children"]


def test_zoom_rereads_the_visible_span(
    store_settings: Settings, sim_store: SimulatedStores
) -> None:
    search = "?t=1986-039-0000:1200&panels=DCR"
    assert explore.zoom_outputs(store_settings, {"autosize": True}, search) == (
        dash.no_update,
        dash.no_update,
    )
    relayout = {"xaxis.range[0]": "1986-02-08 02:00:00", "xaxis.range[1]": "1986-02-08 02:10"}
    fig, caption = explore.zoom_outputs(store_settings, relayout, search)
    assert "Zoomed to 1986-02-08 02:00 to 1986-02-08 02:10" in caption
    dcr = fig.data[0]
    t = sim_store.rates["SpinStartTime"]
    spins = int(t.between("1986-02-08 02:00", "1986-02-08 02:09:59").sum())
    assert len(dcr.x) == spins  # every spin of the 10 minutes
    fig, caption = explore.zoom_outputs(store_settings, {"xaxis2.autorange": True}, search)
    assert "Zoomed" not in caption
    assert len(fig.data[0].x) <= 2000 + 2


def test_every_url_parameter_has_a_control() -> None:
    from awa.model import PARAMS

    shown = [k for c in CONTROLS for k in c.keys]
    assert sorted(shown) == sorted(p.key for p in PARAMS)
    assert len(shown) == len(set(shown))


def test_matrix_elements_only_on_their_tab(store_settings: Settings) -> None:
    off_tab = me_page.picture_outputs(store_settings, "?t=1986-039-0300:0600")
    assert all(v is dash.no_update for v in off_tab)
    fig, caption, *_ = me_page.picture_outputs(store_settings, "?t=1986-039-0300:0600&tab=me")
    assert fig.data[0].type == "heatmap"
    assert "science cycles" in caption
    assert "L 2-10" in caption


def test_me_options_travel_between_url_and_controls(store_settings: Settings) -> None:
    search = "?t=1986-039-0300:0600&tab=me&mez=1,1e4&mex=0.7,30&boxes=55,252-256"
    values = controls_from(search, store_settings)
    assert values[MeIds.Z] == "1,10000"
    assert values[MeIds.X] == "0.7,30"
    assert values[MeIds.Y] == ""  # the whole grid: the input shows its placeholder
    assert values[MeIds.BOXES] == "55,252-256"
    # typing a window writes the URL, which the ME callbacks draw from
    values[MeIds.Y] = "1 40"
    out = change(store_settings, values, MeIds.Y)
    assert out["search"] == (
        "?t=1986-039-0300:1986-039-0600&tab=me&mez=1,10000&mex=0.7,30&mey=1,40&boxes=55,252-256"
    )
    fig = me_page.picture_outputs(store_settings, out["search"])[0]
    assert fig.layout.yaxis.range == pytest.approx((0.0, np.log10(40.0)))
    # a bad value keeps the URL and names the parameter
    values[MeIds.Z] = "100,1"
    out = change(store_settings, values, MeIds.Z)
    assert out["search"] is dash.no_update
    assert out["message"].startswith("mez: low 100 is not below high 1")
    # a click on a box changes the boxes input; the sync callback carries it into the URL
    values[MeIds.Z] = ""
    values[MeIds.BOXES] = me_page.toggle_box({"points": [{"customdata": [291]}]}, "55,252-256")
    assert values[MeIds.BOXES] == "55,252-256,291"
    out = change(store_settings, values, MeIds.BOXES)
    assert out["search"].endswith("&mey=1,40&boxes=55,252-256,291")
    assert parse_query(out["search"])[0].view.me.boxes == (55, 252, 253, 254, 255, 256, 291)


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_download_button_names_the_image_format(store_settings: Settings, fmt: str) -> None:
    config = explore.et_outputs(store_settings, f"?t=1986-039-0000:0100&img={fmt}")[-1]
    assert config["toImageButtonOptions"]["format"] == fmt
    # plotly.js titles the button "Download plot as a PNG" (png) or "Download plot" (other
    # formats); the config's own locale renames whichever it uses to the chosen format
    dictionary = config["locales"][config["locale"]]["dictionary"]
    title = f"Download plot as {fmt.upper()}"
    assert dictionary == {"Download plot as a PNG": title, "Download plot": title}
    assert config["locale"].startswith("en-")  # numbers and dates stay English
    other = views.graph_config(views.BASE_GRAPH_CONFIG, "svg" if fmt == "png" else "png")
    assert other["locale"] != config["locale"]  # a new locale makes plotly.js redraw it
    assert views.graph_config(views.BASE_GRAPH_CONFIG, "gif")["locale"] == "en-awa-png"
    initial = widgets.GRAPH_CONFIG["locales"]["en-awa-png"]["dictionary"]
    assert initial["Download plot as a PNG"] == "Download plot as PNG"


def test_crafted_inputs_are_ignored_not_errors() -> None:
    from awa.pages.controls import parse_zoom, picker_range

    assert parse_zoom({"xaxis.range": ["1986-02-09 00:00"]}) == (False, None)
    assert parse_zoom({"xaxis.range": []}) == (False, None)
    assert picker_range("1986-02-31", "1986-03-01") is None
    assert picker_range("1986-02-09", "1986-02-10") is not None


def _post(client: Any, outputs: list[tuple[str, str]], inputs: list[dict[str, Any]],
          state: list[dict[str, Any]], changed: str) -> dict[str, Any]:  # fmt: skip
    """Run one callback through Dash's endpoint; return its response by component id."""
    payload = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": inputs,
        "changedPropIds": [changed],
        "state": state,
    }
    assert client.get("/").status_code == 200
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.data
    return dict(json.loads(response.data)["response"])


def test_dash_endpoint_runs_the_sync_callback_by_keyword(
    client: Any, store_settings: Settings
) -> None:
    controls = [(str(c.id), c.prop) for c in CONTROLS]
    outputs = [(str(Ids.URL), "search"), *controls, (str(Ids.MESSAGE), "children")]
    values = controls_from("", store_settings)
    values[Ids.L] = "3-8"
    values[Ids.TIME] = "1986-039-0000:0600"
    inputs = [{"id": str(Ids.URL), "property": "search", "value": ""}]
    inputs += [{"id": i, "property": p, "value": values.get(i)} for i, p in controls]
    inputs += [
        {"id": str(Ids.PICKER), "property": "end_date", "value": None},
        {"id": str(Ids.STORMS), "property": "value", "value": None},
        {"id": str(Ids.TL_GRAPH), "property": "selectedData", "value": None},
    ]
    state = [{"id": str(Ids.PICKER), "property": "start_date", "value": None}]
    body = _post(client, outputs, inputs, state, f"{Ids.L}.value")
    assert body["url"]["search"].startswith("?t=1986-039-0000:1986-039-0600&L=3,8")
    assert body["message"]["children"] == ""


def test_browser_nav_links_carry_the_path_prefix(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASH_REQUESTS_PATHNAME_PREFIX", "/awa/")
    client = create_app(store_settings).server.test_client()
    for path, active in (("/awa/", "Browser"), ("/awa/coverage", "Coverage")):
        body = _post(
            client,
            [("page-content", "children"), ("page-kind", "data")],
            [{"id": "page", "property": "pathname", "value": path}],
            [{"id": "page-kind", "property": "data", "value": None},
             {"id": "page", "property": "search", "value": ""}],
            "page.pathname",
        )  # fmt: skip
        links = list(_nav_links(body["page-content"]["children"]))
        assert {label: href for label, href, _ in links} == {
            "Browser": "/awa/", "Coverage": "/awa/coverage", "Atlas": "/awa/atlas",
            "Species": "/awa/species", "Compare": "/awa/compare",
        }  # fmt: skip
        assert [label for label, _, cls in links if "awa-nav-active" in cls] == [active]


def _nav_links(node: Any) -> Any:
    """(label, href, class) of the navigation links in a serialised layout."""
    if isinstance(node, list):
        for item in node:
            yield from _nav_links(item)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if "awa-nav-link" in str(props.get("className", "")):
            yield props["children"], props["href"], props["className"]
        yield from _nav_links(props.get("children"))
