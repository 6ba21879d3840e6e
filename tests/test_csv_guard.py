"""No cell of a downloaded CSV starts a spreadsheet formula (issue 13); numbers stay numbers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from awa import create_app
from awa.csv_guard import FORMULA_START, formula_safe, guard_text
from awa.settings import Settings


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-20&kp=0", "'-20&kp=0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ('"=cmd"', '"\'=cmd"'),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("-1e5", "-1e5"),
        ("-.5", "-.5"),
        ("1986-02-08T00:00:00", "1986-02-08T00:00:00"),
        ("O+", "O+"),
    ],
)
def test_formula_safe(cell: str, safe: str) -> None:
    assert formula_safe(cell) == safe


def test_data_rows_with_negative_numbers_pass_unchanged() -> None:
    text = "time_utc,a,b\n1986-02-08T00:00:00,-1.5,+2e3\n1986-02-08T00:00:06,-0.25,-7\n"
    assert guard_text(text) is text  # not even split: no risky cell


def _cells(text: str) -> list[str]:
    return [c for line in text.splitlines() for c in line.split(",")]


def _risky(cell: str) -> bool:
    bare = cell.lstrip('"')
    if not bare.startswith(FORMULA_START):
        return False
    try:
        float(bare.strip('"'))
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("kind", ["events", "et", "timeline", "me", "me_cycles", "rejected"])
def test_downloads_hold_no_formula_cell(store_settings: Settings, kind: str) -> None:
    client: Any = create_app(store_settings).server.test_client()
    query = "t=1986-039-0300:0400&dst=-100,-20&kp=0,3"
    with client.get(f"/download/{kind}.csv?{query}") as r:
        assert r.status_code == 200, r.get_data(as_text=True)
        text = r.get_data(as_text=True)
    assert [c for c in _cells(text) if _risky(c)] == []
    # the Query line is still the same link (the comma before '-20&kp' is written %2C)
    line = next(x for x in text.splitlines() if x.startswith("#") and "?t=" in x)
    if line:
        link = line[line.index("?t=") :].split(" ")[0]
        params = dict(parse_qsl(urlsplit(link).query))
        assert params["dst"] == "-100,-20"
        assert params["kp"].split(";")[0] == "0,3"
        assert params["t"] == "1986-039-0300:1986-039-0400"
