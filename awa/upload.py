"""Uploaded histogram files as spreadsheet tools write them: bytes in, a checked histogram out.

A file comes from the browser as a ``data:`` URL (base64).  It may be the CSV that AWA
wrote, or that CSV saved again by a spreadsheet tool:

- CSV as UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"), LF or CRLF line
  ends, blank lines and trailing empty cells;
- CSV as UTF-16 with a byte-order mark (Excel's "Unicode text", tab-separated);
- CSV in a legacy single-byte encoding (Excel's plain "CSV" on Windows: cp1252);
- an XLSX workbook (read with openpyxl): the first sheet's rows, each cell one CSV field
  (the science team's workbooks: three ``#`` rows in column A, the x edges, the rows).

Whatever the route, the text is read by :func:`awa.export.parse_histogram_csv`, which
checks the histogram; every failure is a :class:`~awa.export.CsvFormatError` whose
message says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from typing import Any

from awa.export import CsvFormatError, HistogramCsv, parse_histogram_csv

__all__ = ["MAX_XLSX_CELLS", "decode_upload", "read_histogram_upload", "upload_text", "xlsx_text"]

#: XLSX (and every Office Open XML file) is a zip archive: its first bytes.
_ZIP_MAGIC = b"PK\x03\x04"
#: Most cells read from an uploaded workbook (a 1024 x 1024 grid fits): a larger sheet is
#: no histogram of AWA, and the limit bounds the work a hostile file can cause.
MAX_XLSX_CELLS = 2_000_000


def decode_upload(content: str) -> bytes:
    """Bytes of a ``dcc.Upload`` data URL (``data:<type>;base64,<data>``).

    Raises
    ------
    CsvFormatError
        When the data are not base64.
    """
    _, _, data = content.partition(",")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise CsvFormatError("the upload is not base64 data; upload the file again") from None


def upload_text(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (a byte-order mark is dropped), UTF-16 with its
    byte-order mark, else cp1252 (a spreadsheet's legacy "CSV" save).

    Raises
    ------
    CsvFormatError
        When the bytes are none of these encodings.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").replace("\t", ",")
        except UnicodeDecodeError:
            raise CsvFormatError("the file starts as UTF-16 text but is not") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise CsvFormatError("the file is not text (neither UTF-8 nor cp1252) nor XLSX") from None


def _cell_text(value: Any) -> str:
    """One cell as the CSV field it came from (numbers in their shortest exact form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def xlsx_text(data: bytes) -> str:
    """The first sheet of an XLSX workbook as CSV text (one line per row, cells joined by
    commas, trailing empty cells dropped).

    Raises
    ------
    CsvFormatError
        When the bytes are not a workbook openpyxl reads, or the sheet holds more than
        :data:`MAX_XLSX_CELLS` cells.
    """
    from openpyxl import load_workbook

    lines: list[str] = []
    cells = 0
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                fields = [_cell_text(v) for v in row]
                while fields and not fields[-1]:
                    fields.pop()
                cells += len(fields)
                if cells > MAX_XLSX_CELLS:
                    raise CsvFormatError(
                        f"the workbook's first sheet holds more than {MAX_XLSX_CELLS:,} cells; "
                        f"no histogram of AWA is that large"
                    )
                lines.append(",".join(fields))
        finally:
            book.close()
    except CsvFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure inside a foreign file format
        # openpyxl raises zipfile, XML, KeyError, ValueError, TypeError... on damaged files.
        raise CsvFormatError(
            f"the file looks like an XLSX workbook but cannot be read ({type(exc).__name__})"
        ) from None
    return "\n".join(lines)


def read_histogram_upload(data: bytes, name: str = "") -> HistogramCsv:
    """Read and check an uploaded histogram file (CSV text in any of the encodings of
    :func:`upload_text`, or XLSX): AWA's or the science team's layout (``name``, the file's
    name, tells E-T from M-M/Q in a team file: ``AMPTE_CHEM_MMpQ_Hist.csv``).

    Raises
    ------
    CsvFormatError
        When the file is unreadable or not a valid histogram; the message says why.
    """
    text = xlsx_text(data) if data.startswith(_ZIP_MAGIC) else upload_text(data)
    return parse_histogram_csv(text, name)
