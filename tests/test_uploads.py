"""Uploaded histograms: what spreadsheet tools write is read, what is not a histogram refused.

Field case 07 (``../shared/field-cases/07-upload-utf8-bom``): ``awa_et.csv`` is an E-T CSV
downloaded from AWA on the simulated day 1986-02-08, ``awa_et_excel_utf8.csv`` the same text
saved by Excel as "CSV UTF-8" (a byte-order mark in front); both are copied in
``tests/fixtures/upload/``.  The right result: both give the same picture (805,423 counts in
45 non-empty bins).
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awa import export, upload, views

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "upload"
PLAIN = (FIXTURES / "awa_et.csv").read_bytes()
BOM = (FIXTURES / "awa_et_excel_utf8.csv").read_bytes()


def _url(data: bytes) -> str:
    return "data:text/csv;base64," + base64.b64encode(data).decode()


def _view(data: bytes, name: str = "h.csv") -> views.View:
    return views.upload_view([_url(data)], [name])


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_cells(text: str) -> list[list[object]]:
    """Rows of a CSV as a spreadsheet holds them after opening it: split at commas,
    numbers as numbers."""

    def cell(v: str) -> object:
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() else f

    return [[cell(v) for v in line.split(",")] for line in text.splitlines()]


# ---------------------------------------------------------------------------------------
# Field case 07 and the kind: encodings and files of spreadsheet tools
# ---------------------------------------------------------------------------------------


def test_field_case_07_bom_csv_gives_the_same_picture() -> None:
    assert BOM.startswith(b"\xef\xbb\xbf")
    assert BOM[3:] == PLAIN
    plain, excel = _view(PLAIN, "awa_et.csv"), _view(BOM, "awa_et_excel_utf8.csv")
    assert "805,423 counts in 45 non-empty bins" in plain.caption
    assert "805,423 counts in 45 non-empty bins" in excel.caption
    np.testing.assert_array_equal(excel.figure.data[0].z, plain.figure.data[0].z)
    assert excel.figure.layout.title.text == plain.figure.layout.title.text


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode(), id="bom-crlf"),
        pytest.param(lambda t: t.replace("\n", ",,\n").encode(), id="trailing-empty-cells"),
        pytest.param(lambda t: t.replace("\n", "\n\n").encode(), id="blank-lines"),
        pytest.param(lambda t: t.replace(",", "\t").encode("utf-16"), id="utf16-unicode-text"),
        pytest.param(lambda t: t.replace("PLOTTITLE: E-T", "PLOTTITLE: E-T \u00b5").encode(
            "cp1252"), id="cp1252"),
    ],
)  # fmt: skip
def test_spreadsheet_text_saves_are_read(encode: object) -> None:
    assert callable(encode)
    back = upload.read_histogram_upload(encode(PLAIN.decode()))
    ref = export.parse_histogram_csv(PLAIN.decode())
    np.testing.assert_array_equal(back.counts, ref.counts)
    np.testing.assert_array_equal(back.x_edges, ref.x_edges)
    np.testing.assert_array_equal(back.y_edges, ref.y_edges)
    assert back.counts.sum() == 805_423


def test_xlsx_saved_from_the_csv_is_read() -> None:
    data = _xlsx(_as_cells(PLAIN.decode()))
    assert data.startswith(b"PK\x03\x04")
    view = _view(data, "awa_et.xlsx")
    assert "805,423 counts in 45 non-empty bins" in view.caption
    np.testing.assert_array_equal(view.figure.data[0].z, _view(PLAIN).figure.data[0].z)
    # float edges (the M-M/Q log grid) survive the workbook exactly
    edges = 10 ** np.arange(-0.3, 0.31, 0.1)
    hist = views.query.Hist2D(np.arange(36.0).reshape(6, 6), edges, edges, 630, 630)
    text = export.histogram_csv(hist, "mmq", "M-M/Q", views.AppState())
    back = upload.read_histogram_upload(_xlsx(_as_cells(text)))
    np.testing.assert_array_equal(back.x_edges, export.parse_histogram_csv(text).x_edges)
    assert back.kind == "mmq"
    assert back.counts.sum() == 630


def test_damaged_or_huge_xlsx_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _xlsx(_as_cells(PLAIN.decode()))
    with pytest.raises(export.CsvFormatError, match="cannot be read"):
        upload.read_histogram_upload(data[: len(data) // 2])
    not_a_book = io.BytesIO()
    with zipfile.ZipFile(not_a_book, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "cannot be read" in _view(not_a_book.getvalue(), "x.xlsx").caption
    monkeypatch.setattr(upload, "MAX_XLSX_CELLS", 100)
    with pytest.raises(export.CsvFormatError, match="more than 100 cells"):
        upload.read_histogram_upload(data)


def test_binary_and_bad_base64_are_messages() -> None:
    assert "not base64" in views.upload_view(["data:text/csv;base64,@@@"], ["a.csv"]).caption
    assert "not text" in _view(b"\x81\x8d\x8f\x90\x9d" * 10, "b.bin").caption


# ---------------------------------------------------------------------------------------
# Histograms are checked, not only parsed
# ---------------------------------------------------------------------------------------


def _csv(xe: str = "0,1,2", ye: str = "0,1,2", rows: tuple[str, ...] = ("0,1,2", "1,3,4"),
         kind: str = "et", title: str = "t") -> bytes:  # fmt: skip
    head = (f"# PLOTTITLE: {title}\n# Filters: none\n# KIND: {kind}\n"
            f"# XEDGES: {xe}\n# YEDGES: {ye}\n")  # fmt: skip
    grid = "y_low\\x_low," + ",".join(xe.split(",")[:-1]) + "\n" + "\n".join(rows) + "\n"
    return (head + grid).encode()


def test_a_valid_small_histogram_is_drawn() -> None:
    view = _view(_csv())
    assert "1 file(s) summed" in view.caption
    assert "10 counts in 4 non-empty bins" in view.caption
    assert view.figure.data[0].type == "heatmap"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_csv(xe="0,nan,2"), "XEDGES holds a value that is not a finite number"),
        (_csv(ye="0,inf,2"), "YEDGES holds a value that is not a finite number"),
        (_csv(xe="2,1,0"), "XEDGES must increase"),
        (_csv(ye="0,1,1"), "YEDGES must increase"),
        (_csv(kind="mmq", xe="0,1,2", ye="1,2,3"), "XEDGES starts at 0; the M-M/Q grid is log"),
        (_csv(kind="mmq", xe="1,2,3", ye="-1,1,2"), "YEDGES starts at -1"),
        (_csv(kind="hapi"), "KIND 'hapi' is not a histogram of AWA"),
        (_csv(rows=("0,-1,2", "1,3,4")), "negative count (-1)"),
        (_csv(rows=("0,nan,2", "1,3,4")), "not a finite number"),
        (_csv(rows=("0,1e308,1e308", "1,3,4")), "count of 1e+308"),
        (_csv(rows=("0,1,2", "1,3,inf")), "not a finite number"),
        (_csv(ye="0,1", rows=("0,1,2",)), "YEDGES gives 1 bin(s)"),
        (_csv(xe="0,1", rows=("0,1", "1,3")), "XEDGES gives 1 bin(s)"),
        (_csv(rows=("0,1,2", "1,3")), "not a table of numbers"),
        (_csv(xe="0,a,2"), "XEDGES is not a list of numbers"),
    ],
)
def test_invalid_histograms_are_refused_with_a_message(data: bytes, message: str) -> None:
    view = _view(data, "bad.csv")
    assert view.caption.startswith("bad.csv: ")
    assert message in view.caption
    assert "summed" not in view.caption
    assert view.figure.data == ()  # a message figure, nothing drawn
    shown = view.figure.layout.meta["awa_message"].replace("<br>", " ")
    assert message.split(" (")[0] in shown


def test_html_in_an_uploaded_title_is_text_not_a_link() -> None:
    title = '<a href="https://example.org/x">click</a> <b>bold</b>'
    view = _view(_csv(title=title))
    shown = view.figure.layout.title.text
    assert "<a" not in shown
    assert "<b>" not in shown
    assert shown.startswith("&lt;a href=\"https://example.org/x\"&gt;click&lt;/a&gt; &lt;b&gt;")
    # a file name in a refusal is text too
    bad = views.upload_view([_url(_csv(kind="x"))], ['<a href="https://e.org">f</a>.csv'])
    assert "<a" not in bad.figure.layout.meta["awa_message"]
    assert "&lt;a href" in bad.figure.layout.meta["awa_message"]


# ---------------------------------------------------------------------------------------
# Fuzzing: a checked histogram or a CsvFormatError, never another exception
# ---------------------------------------------------------------------------------------

_FUZZ = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def _outcome(data: bytes) -> None:
    try:
        hist = upload.read_histogram_upload(data)
    except export.CsvFormatError as exc:
        message = str(exc)
        assert message  # a message that says why
        return
    export.check_histogram(hist)  # whatever is returned passes the checks
    assert hist.counts.shape == (len(hist.y_edges) - 1, len(hist.x_edges) - 1)


@_FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes(data: bytes) -> None:
    _outcome(data)


@_FUZZ
@given(
    st.lists(st.tuples(st.integers(0, len(PLAIN) - 1), st.binary(min_size=0, max_size=8)),
             min_size=1, max_size=6),
    st.booleans(),
)  # fmt: skip
def test_fuzz_mutated_csv(edits: list[tuple[int, bytes]], bom: bool) -> None:
    data = bytearray(PLAIN)
    for at, chunk in edits:
        data[at : at + len(chunk)] = chunk
    _outcome((b"\xef\xbb\xbf" if bom else b"") + bytes(data))


_TOKENS = st.sampled_from(["nan", "-1", "1e308", "inf", "", "x", "0", "1.5", "-0", "1e-320",
                           "<a>", '"', "\t", "999999999999999999999"])  # fmt: skip


@_FUZZ
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 20), _TOKENS), max_size=5))
def test_fuzz_mutated_cells_csv_and_xlsx(edits: list[tuple[int, int, str]]) -> None:
    rows = [line.split(",") for line in PLAIN.decode().splitlines()]
    for r, c, token in edits:
        row = rows[r % len(rows)]
        row[c % len(row)] = token
    text = "\n".join(",".join(r) for r in rows)
    _outcome(text.encode())
    _outcome(_xlsx(_as_cells(text)))


_XLSX = _xlsx(_as_cells(PLAIN.decode()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_XLSX) - 1), st.binary(min_size=1, max_size=8)),
                min_size=1, max_size=4))  # fmt: skip
def test_fuzz_mutated_xlsx_bytes(edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(_XLSX)
    for at, chunk in edits:
        data[at : at + len(chunk)] = chunk
    _outcome(bytes(data))
