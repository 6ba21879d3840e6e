"""The web edge: downloads as the messages say, stored values as stored, only known paths.

Issue 10, "Inputs, URLs, uploads, downloads": unknown query parameters are ignored (not a
400), the events CSV has empty cells for a mass or M/Q that does not exist, float32 store
values are written as stored, the timeline CSV says which filters it applies, and every
path that names nothing of the app is a 404 while the app's pages and Dash's routes work.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import create_app, export, query
from awa.api import IGNORED_HEADER
from awa.model import Selection, parse_time_ranges
from awa.settings import Settings
from tests.builtstore import SimulatedStores

T = "t=1986-039-0300:0400"


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return create_app(store_settings).server.test_client()


def _text(client: Any, url: str) -> tuple[int, str, dict[str, str]]:
    with client.get(url) as r:
        return r.status_code, r.get_data(as_text=True), dict(r.headers)


# ---------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["et", "mmq", "events", "timeline", "me", "me_timeline"])
def test_unknown_parameters_are_ignored_as_the_message_says(client: Any, kind: str) -> None:
    status, plain, plain_headers = _text(client, f"/download/{kind}.csv?{T}")
    assert status == 200
    assert IGNORED_HEADER not in plain_headers
    status, text, headers = _text(client, f"/download/{kind}.csv?{T}&utm_source=x&foo=<b>&foo=2")
    assert status == 200, text
    assert text == plain  # the same file: the unknown parameters changed nothing
    assert headers[IGNORED_HEADER] == "utm_source, foo"
    # a known parameter with a bad value is still refused
    status, text, _ = _text(client, f"/download/{kind}.csv?{T}&L=oops&foo=1")
    assert status == 400
    assert "L" in text
    assert "foo" not in text


def _events(client: Any, search: str) -> pd.DataFrame:
    status, text, _ = _text(client, "/download/events.csv?" + search)
    assert status == 200
    return pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)


def test_events_csv_leaves_a_mass_or_mpq_that_does_not_exist_empty(
    client: Any, sim_store: SimulatedStores
) -> None:
    frame = _events(client, "t=1986-039-0000:0600&tri=0")  # doubles: events without mass
    sel = Selection(times=parse_time_ranges("1986-039-0000:0600"), triples_only=False)
    phys = [query.convert(ev) for ev in query.iter_events(sim_store.folder, sel)]
    mass = np.concatenate([p["mass"] for p in phys])
    mpq = np.concatenate([p["mpq"] for p in phys])
    assert len(frame) == len(mass) > 0
    no_mass, no_mpq = mass == 0, np.isnan(mpq)
    assert no_mass.any()
    assert (~no_mass).any()
    assert ((frame["mass_amu"] == "").to_numpy() == no_mass).all()
    assert ((frame["mpq_amu_per_e"] == "").to_numpy() == no_mpq).all()
    assert not frame["mass_amu"].isin(["0", "0.0"]).any()
    written = frame.loc[~no_mass, "mass_amu"].astype(float).to_numpy()
    np.testing.assert_allclose(written, np.round(mass[~no_mass], 4))


def _same_numbers(written: pd.Series, stored: np.ndarray) -> None:
    """Each written cell is a stored float32 value in its shortest decimal (``8.667``, never
    ``8.666999816894531``); missing values are empty cells."""
    cells = set(written) - {""}
    assert cells
    assert all(c == str(np.float32(c)) for c in cells), sorted(cells)[:5]
    assert {np.float32(c) for c in cells} <= set(np.asarray(stored, dtype=np.float32))


def test_float32_values_are_written_as_stored(client: Any, sim_store: SimulatedStores) -> None:
    frame = _events(client, "t=1986-039")
    rates = sim_store.rates
    for column, stored in (("Kp", rates["Kp"]), ("L", sim_store.pha["L"]),
                           ("MLT_h", sim_store.pha["MLTH"])):  # fmt: skip
        _same_numbers(frame[column], stored.to_numpy())
    status, text, _ = _text(client, "/download/timeline.csv?t=1986-039-0100:0200")
    timeline = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    for column in ("Kp", "L", "MLTH", "MAGLAT"):
        _same_numbers(timeline[column], rates[column].to_numpy())


def test_stored_precision_of_a_third() -> None:
    """Kp (float64 GFZ thirds) and float32 columns widened by the rate join print as stored."""
    kp = np.array([8.667, 7.667, np.nan])
    out = pd.DataFrame({"Kp": export.as_stored("Kp", kp), "n": [1, 2, 3]}).to_csv(index=False)
    assert out.splitlines()[1:] == ["8.667,1", "7.667,2", ",3"]
    lvals = np.array([4.1, 23 / 3], dtype=np.float32).astype(np.float64)
    assert str(lvals[0]) == "4.099999904632568"  # what a float64 writer prints
    out = pd.DataFrame({"L": export.as_stored("L", lvals)}).to_csv(index=False)
    assert out.splitlines()[1:] == ["4.1", "7.6666665"]
    assert export.as_stored("Energy", np.array([3])).dtype.kind == "i"  # not a float32 column


def test_timeline_csv_says_which_filters_apply(client: Any) -> None:
    status, text, _ = _text(client, "/download/timeline.csv?t=1986-039-0100:0110&L=3,5&rnbrn=1")
    assert status == 200
    head = [line for line in text.splitlines() if line.startswith("#")]
    applied = [line for line in head if line.startswith("# Filters applied:")]
    not_applied = [line for line in head if line.startswith("# Filters not applied:")]
    assert len(applied) == len(not_applied) == 1
    assert "time 1986-039-0100" in applied[0]
    assert "every spin" in applied[0]
    assert "L 3-5" in not_applied[0]
    assert "not to the spins' rates" in not_applied[0]
    frame = pd.read_csv(io.StringIO(text), comment="#")
    # every spin of the time range, whatever the L filter
    plain = _text(client, "/download/timeline.csv?t=1986-039-0100:0110")[1]
    unfiltered = pd.read_csv(io.StringIO(plain), comment="#")
    assert len(frame) == len(unfiltered) > 0


# ---------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------

UNKNOWN = ["/hapi/nothing", "/anything", "/%2e%2e/%2e%2e/etc/passwd", "/atlas/x", "/coverage/a/b",
           "/index.html", "/.env", "/_dash-nothing"]  # fmt: skip
NULL = ["/atlas-files/x.png%00.json", "/%00", "/coverage%00", "/download/et.csv%00",
        "/_dash-component-suites/dash/x%00.js", "/assets/awa.css%00"]  # fmt: skip


def _paths_of(app: Any, prefix: str) -> None:
    """The pages and Dash's routes under ``prefix`` answer; unknown and null-byte paths 404."""
    client = app.server.test_client()
    for page in ("", "coverage", "atlas", "coverage/", "atlas?month=1986-02"):
        status, text, _ = _text(client, prefix + page)
        assert status == 200, page
        assert 'id="react-entry-point"' in text, page
    for route in ("_dash-layout", "_dash-dependencies", "_favicon.ico"):
        with client.get(prefix + route) as r:
            assert r.status_code == 200, route
    # the HAPI server answers at /hapi whatever the page prefix (awa.hapi)
    with client.get("/hapi/catalog") as r:
        assert r.status_code == 200
        assert r.get_json()["HAPI"] == "3.1"
    for bad in UNKNOWN:
        status, text, _ = _text(client, prefix.rstrip("/") + bad)
        assert status == 404, bad
        assert "no page at" in text, bad
        assert "the pages are" in text, bad
    for bad in NULL:
        status, text, _ = _text(client, prefix.rstrip("/") + bad)
        assert status == 404, bad
    # the callback endpoint still answers (a malformed call is Dash's error, not a 404)
    with client.post(prefix + "_dash-update-component", json={}) as r:
        assert r.status_code != 404


def test_unknown_paths_are_404_and_the_pages_work(store_settings: Settings) -> None:
    app = create_app(store_settings)
    _paths_of(app, "/")
    client = app.server.test_client()
    for route in ("health", "api/coverage", "assets/awa.css", f"download/et.csv?{T}"):
        with client.get("/" + route) as r:
            assert r.status_code == 200, route


def test_paths_behind_a_prefix(store_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_URL_BASE_PATHNAME", "/awa/")
    app = create_app(store_settings)
    assert app.config.routes_pathname_prefix == "/awa/"
    _paths_of(app, "/awa/")
    assert _text(app.server.test_client(), "/coverage")[0] == 404  # outside the prefix
