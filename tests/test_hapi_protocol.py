"""The HAPI protocol of ``/hapi``: status codes and HTTP statuses of every error, the time
forms, parameter subsets, CORS, streaming in chunks and stopping when the client leaves.

Requests go through Flask's test client on the session's one-day store (1986-02-08,
``tests.builtstore``), except the disconnect test, which needs a real socket.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from awa.app import build_app
from awa.hapi import datasets as hapi_datasets
from awa.hapi import server as hapi_server
from awa.hapi.model import Chunk, Dataset
from awa.hapi.times import parse_time
from awa.settings import Settings
from tests.hapiserver import served

DAY = "start=1986-039T10:00Z&stop=1986-039T11:00Z"


@pytest.fixture
def client(store_settings: Settings) -> Any:
    return build_app(store_settings).server.test_client()


def _error(client: Any, url: str) -> tuple[int, int, str]:
    r = client.get(url)
    body = r.get_json()
    assert body["HAPI"] == "3.1"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    return r.status_code, body["status"]["code"], body["status"]["message"]


ERRORS = [
    ("data?" + DAY, 400, 1400, "no dataset given"),
    ("data?dataset=CHEM_X&" + DAY, 404, 1406, "CHEM_RATES_SPIN"),
    ("info?dataset=CHEM_X", 404, 1406, "no dataset 'CHEM_X'"),
    ("data?dataset=CHEM_HK_CYCLE&" + DAY + "&color=red", 400, 1401, "unknown parameter color"),
    ("about?x=1", 400, 1401, "unknown parameter x"),
    ("catalog?dataset=CHEM_HK_CYCLE", 400, 1401, "unknown parameter dataset"),
    ("data?dataset=CHEM_HK_CYCLE&stop=1986-039T11:00Z", 400, 1402, "no start time"),
    ("data?dataset=CHEM_HK_CYCLE&start=1986-02-30&stop=1986-039T11:00Z", 400, 1402, "1986-02-30"),
    ("data?dataset=CHEM_HK_CYCLE&start=1986-366&stop=1987-001", 400, 1402, "day of year 366"),
    ("data?dataset=CHEM_HK_CYCLE&start=yesterday&stop=1986-040", 400, 1402, "YYYY-DDD"),
    ("data?dataset=CHEM_HK_CYCLE&start=1986-039&stop=1986-039T25:00Z", 400, 1403, "25:00"),
    ("data?dataset=CHEM_HK_CYCLE&start=1986-039T11:00Z&stop=1986-039T10:00Z", 400, 1404,
     "is not before"),
    ("data?dataset=CHEM_HK_CYCLE&start=1986-039T11:00Z&stop=1986-039T11:00Z", 400, 1404,
     "is not before"),
    ("data?dataset=CHEM_HK_CYCLE&start=1987-001&stop=1987-002", 400, 1405,
     "CHEM_HK_CYCLE holds 1986-02-08T00:00"),
    ("data?dataset=CHEM_HK_CYCLE&parameters=L,Ne&" + DAY, 404, 1407, "no parameter 'Ne'"),
    ("info?dataset=CHEM_HK_CYCLE&parameters=Ne", 404, 1407, "no parameter 'Ne'"),
    ("data?dataset=CHEM_HK_CYCLE&parameters=L,L&" + DAY, 400, 1411, "more than once"),
    ("data?dataset=CHEM_HK_CYCLE&parameters=Kp,L&" + DAY, 400, 1411, "order of info"),
    ("data?dataset=CHEM_HK_CYCLE&format=xml&" + DAY, 400, 1409, "csv, binary, json"),
    ("data?dataset=CHEM_HK_CYCLE&include=all&" + DAY, 400, 1410, "include=header"),
    ("data?dataset=CHEM_HK_CYCLE&start=1986-039&time.min=1986-039&stop=1986-040", 400, 1400,
     "not both"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "http", "code", "words"), ERRORS)
def test_error_codes(client: Any, path: str, http: int, code: int, words: str) -> None:
    status, got, message = _error(client, "/hapi/" + path)
    assert (status, got) == (http, code)
    assert words in message


def test_user_text_never_reaches_a_header(client: Any) -> None:
    """A dataset name with non-Latin and line-break characters is refused in the JSON body;
    the status line holds only the code and its standard text."""
    r = client.get("/hapi/info?dataset=%CE%A9%0D%0ASet-Cookie:%20x=1")
    assert r.status == "404 HAPI 1406 Bad request - unknown dataset id"
    assert "Set-Cookie" not in r.headers
    assert "Ω" in r.get_json()["status"]["message"]


def test_too_much_data_names_the_limit(store_settings: Settings) -> None:
    client = build_app(replace(store_settings, hapi_max_mb=0.5)).server.test_client()
    whole_day = "start=1986-039&stop=1986-040"
    status, code, message = _error(client, "/hapi/data?dataset=CHEM_ME_CYCLE&" + whole_day)
    assert (status, code) == (400, 1408)
    assert "limit of 0.5 MB" in message
    assert "AWA_HAPI_MAX_MB" in message
    # fewer parameters fit under the same limit
    r = client.get("/hapi/data?dataset=CHEM_ME_CYCLE&parameters=L&" + whole_day)
    assert r.status_code == 200
    assert len(r.get_data(as_text=True).splitlines()) > 300


def test_missing_store_is_1500(empty_settings: Settings) -> None:
    client = build_app(empty_settings).server.test_client()
    status, code, message = _error(client, "/hapi/info?dataset=CHEM_HK_CYCLE")
    assert (status, code) == (500, 1500)
    assert "missing" in message
    assert "awa-build" in message


def test_time_forms_agree(client: Any) -> None:
    """Calendar and day-of-year, truncated and full forms, time.min/time.max: one answer."""
    forms = [
        "start=1986-039T10:00Z&stop=1986-039T11:00Z",
        "start=1986-02-08T10:00:00.000Z&stop=1986-02-08T11:00:00.000000000Z",
        "start=1986-02-08T10&stop=1986-039T11:00:00",
        "time.min=1986-039T10:00:00Z&time.max=1986-02-08T11:00Z",
    ]
    bodies = {client.get(f"/hapi/data?dataset=CHEM_HK_CYCLE&{f}").get_data() for f in forms}
    assert len(bodies) == 1
    lines = bodies.pop().decode().splitlines()
    assert lines[0].startswith("1986-02-08T10:0")
    assert lines[-1].startswith("1986-02-08T10:5")
    assert parse_time("1986-039T24:00Z") == parse_time("1986-02-09")
    assert parse_time("1986") == parse_time("1986-001T00:00:00.000Z")


def test_subset_keeps_info_order_and_time(client: Any) -> None:
    url = "/hapi/data?dataset=CHEM_RATES_SPIN&parameters=Time,FSR,Kp&include=header&" + DAY
    text = client.get(url).get_data(as_text=True)
    header = [line for line in text.splitlines() if line.startswith("#")]
    rows = [line.split(",") for line in text.splitlines() if not line.startswith("#")]
    assert '#   "name": "FSR",' in header
    assert '#   "name": "DCR",' not in header
    assert {len(r) for r in rows} == {3}
    info = client.get("/hapi/info?dataset=CHEM_RATES_SPIN&parameters=FSR,Kp").get_json()
    assert [p["name"] for p in info["parameters"]] == ["Time", "FSR", "Kp"]


def test_json_rows_match_csv(client: Any) -> None:
    base = "/hapi/data?dataset=CHEM_ME_SPECIES_CYCLE&" + DAY
    body = client.get(base + "&format=json").get_json()
    csv_rows = client.get(base).get_data(as_text=True).splitlines()
    assert body["format"] == "json"
    assert len(body["data"]) == len(csv_rows) > 10
    for rec, line in zip(body["data"], csv_rows, strict=True):
        assert ",".join(str(v) for v in rec) == line


def test_units_come_from_the_store(client: Any) -> None:
    info = client.get("/hapi/info?dataset=CHEM_RATES_SPIN").get_json()
    by_name = {p["name"]: p for p in info["parameters"]}
    assert by_name["Dst"]["units"] == "nT"
    assert by_name["Dst"]["fill"] == "-1.0E31"
    assert by_name["FSR"]["units"] == "counts/spin"
    assert by_name["FSR"]["fill"] is None
    assert by_name["L"]["units"] == "Earth radii"
    assert by_name["PAPS_lvl"]["units"] is None
    me = client.get("/hapi/info?dataset=CHEM_ME_CYCLE").get_json()["parameters"][2]
    bins = me["bins"][0]
    assert bins["x_kind"][0] == "double"
    assert bins["x_mass_ranges"][0] is None
    assert bins["x_kind"][252] == "background"
    assert bins["x_mpq_ranges"][511] is None
    lo, hi = bins["x_mpq_ranges"][300]
    assert 0 < lo < hi


def test_binary_is_little_endian_records(client: Any) -> None:
    url = "/hapi/data?dataset=CHEM_HK_CYCLE&parameters=PAPS_lvl,Kp&format=binary&" + DAY
    raw = client.get(url).get_data()
    rec = np.dtype([("t", "S27"), ("p", "<i4"), ("k", "<f8")])
    assert len(raw) % rec.itemsize == 0
    rows = np.frombuffer(raw, dtype=rec)
    text = client.get(url.replace("format=binary", "format=csv")).get_data(as_text=True)
    first = text.splitlines()[0].split(",")
    assert rows["t"][0].decode() == first[0]
    assert int(rows["p"][0]) == int(first[1])
    assert float(rows["k"][0]) == float(first[2])


def test_stream_is_chunked(store_settings: Settings) -> None:
    """A response is many chunks, each bounded by the chunk size, never one whole body."""
    req = hapi_server.parse_data_request(
        {"dataset": "CHEM_ME_CYCLE", "start": "1986-039T00:00Z", "stop": "1986-040T00:00Z"}
    )
    pieces = list(hapi_server.stream(req, Path(store_settings.data_dir), chunk_rows=20))
    assert len(pieces) > 10
    # at most 20 records of 512 counts (each at most 11 characters and a comma) per piece
    assert max(len(p) for p in pieces) < 20 * (512 * 12 + 100)
    whole = (
        build_app(store_settings)
        .server.test_client()
        .get("/hapi/data?dataset=CHEM_ME_CYCLE&start=1986-039T00:00Z&stop=1986-040T00:00Z")
    )
    assert b"".join(pieces) == whole.get_data()


@dataclass
class _Endless:
    """A source of endless records that says when its reader was closed."""

    started: threading.Event
    closed: threading.Event
    chunks_read: int = 0

    def span(self, data_dir: Path) -> tuple[int, int]:
        return 0, 2**62

    def count(self, data_dir: Path, t0: int, t1: int) -> int:
        return 1000

    def chunks(
        self, data_dir: Path, t0: int, t1: int, names: tuple[str, ...], chunk_rows: int
    ) -> Generator[Chunk, None, None]:
        try:
            t = t0
            while True:
                times = t + np.arange(1000, dtype=np.int64) * 1_000_000_000
                t = int(times[-1]) + 1_000_000_000
                self.chunks_read += 1
                self.started.set()
                yield times, {"Kp": np.ones(1000)}
        finally:
            self.closed.set()


def test_client_disconnect_stops_the_stream(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _Endless(threading.Event(), threading.Event())
    kp = hapi_datasets.catalog()["CHEM_KP_3H"]
    endless = Dataset("ENDLESS", "endless", "test", "PT1S", kp.parameters, source)
    monkeypatch.setattr(hapi_datasets, "catalog", lambda: {"ENDLESS": endless})
    with served(store_settings) as url:
        port = int(url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET /hapi/data?dataset=ENDLESS&start=1986-001&stop=2100-001 "
                         b"HTTP/1.1\r\nHost: x\r\n\r\n")  # fmt: skip
            assert b"200 OK" in sock.recv(65536)
            assert source.started.wait(30)
        # the client has gone: the server stops reading the source
        assert source.closed.wait(60), "the stream went on after the client disconnected"
    assert source.chunks_read < 10_000
