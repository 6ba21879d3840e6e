"""HAPI data formats of one chunk of records: CSV, binary and JSON rows (vectorised).

CSV: one line per record, the time first, then the values of each parameter (an array
parameter flattened in C order), comma-separated.  Doubles are written in the shortest form
that reads back to the same value (float32 columns as float32), NaN as the fill value
:data:`~awa.hapi.model.DOUBLE_FILL`.  The text is assembled as bytes with NumPy, no Python
loop over records.

Binary: little-endian records, the time as :data:`~awa.hapi.times.TIME_LENGTH` ASCII
bytes, doubles as float64, integers as int32 (HAPI's binary layout).

JSON: one JSON array per record, ``,``-separated, for the ``data`` member.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt

from awa.hapi.model import DOUBLE_FILL, TIME_NAME, Parameter
from awa.hapi.text import ByteMatrix, float_bytes, int_bytes, time_bytes
from awa.hapi.times import TIME_LENGTH, format_times

_COMMA = ord(",")
_NEWLINE = ord("\n")


def _values(p: Parameter, values: npt.NDArray[Any], n: int) -> npt.NDArray[Any]:
    """The values of ``p`` as a (n, count) array of its output dtype, NaN as fill."""
    arr = np.asarray(values).reshape(n, p.count)
    if p.type == "double":
        keep32 = arr.dtype == np.float32
        arr = arr.astype(np.float32 if keep32 else np.float64, copy=True)
        arr[~np.isfinite(arr)] = DOUBLE_FILL
        return arr
    return arr.astype(np.int32, copy=False)


def _cells(p: Parameter, values: npt.NDArray[Any], n: int) -> ByteMatrix:
    """The text of ``p``'s values, shape (n, count, w), zero-padded."""
    v = _values(p, values, n)
    return float_bytes(v, DOUBLE_FILL) if p.type == "double" else int_bytes(v)


def csv_chunk(
    times: npt.NDArray[np.int64], values: dict[str, npt.NDArray[Any]],
    params: tuple[Parameter, ...],
) -> bytes:  # fmt: skip
    """The CSV lines of one chunk (time, then ``params`` in order), as bytes.

    Parameters
    ----------
    times : int64 array, shape (n,)
        Record times, ns since 1970 UTC.
    values : dict
        Parameter name -> array of shape (n,) or (n, *size).
    params : tuple of Parameter
        The parameters to write, in output order.
    """
    n = len(times)
    if n == 0:
        return b""
    blocks = [time_bytes(times)] + [_cells(p, values[p.name], n) for p in params]
    width = sum(b.shape[1] * (b.shape[2] + 1) for b in blocks)
    buf = np.empty((n, width), dtype=np.uint8)
    pos = 0
    for block in blocks:
        m, w = block.shape[1], block.shape[2]
        cells = buf[:, pos : pos + m * (w + 1)].reshape(n, m, w + 1)  # a view of buf
        cells[:, :, :w] = block
        cells[:, :, w] = _COMMA
        pos += m * (w + 1)
    buf[:, -1] = _NEWLINE
    # each value's text is padded with zero bytes; the separators and text never are
    return buf[buf != 0].tobytes()


def binary_dtype(params: tuple[Parameter, ...]) -> np.dtype[Any]:
    """Record dtype of the binary format: time, then each parameter (packed, little-endian)."""
    fields: list[tuple[str, Any]] = [(TIME_NAME, f"S{TIME_LENGTH}")]
    for p in params:
        fields.append((p.name, (p.dtype, p.size) if p.size else p.dtype))
    return np.dtype(fields)


def binary_chunk(
    times: npt.NDArray[np.int64], values: dict[str, npt.NDArray[Any]],
    params: tuple[Parameter, ...],
) -> bytes:  # fmt: skip
    """The binary records of one chunk (HAPI binary layout), as bytes."""
    n = len(times)
    out = np.empty(n, dtype=binary_dtype(params))
    out[TIME_NAME] = format_times(times)
    for p in params:
        v = _values(p, values[p.name], n).astype(p.dtype)
        out[p.name] = v.reshape(out[p.name].shape)
    return out.tobytes()


def json_chunk(
    times: npt.NDArray[np.int64], values: dict[str, npt.NDArray[Any]],
    params: tuple[Parameter, ...], first: bool,
) -> bytes:  # fmt: skip
    """The records of one chunk as JSON arrays separated by ``,`` (a leading ``,`` unless
    ``first``), for the ``data`` member of a JSON response."""
    n = len(times)
    if n == 0:
        return b""
    columns: list[list[Any]] = [format_times(times).astype(str).tolist()]
    for p in params:
        v = _values(p, values[p.name], n)
        if v.dtype == np.float32:  # the float32 value's own shortest decimal
            rows: list[Any] = [[float(x) for x in r] for r in v.astype(str)]
        else:
            rows = v.tolist()
        columns.append([r if p.size else r[0] for r in rows])
    text = ",\n".join(json.dumps(list(rec), allow_nan=False) for rec in zip(*columns, strict=True))
    return (b"" if first else b",\n") + text.encode()
