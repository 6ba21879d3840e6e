"""Fuzzing of the FITS reader on mutated files: only ``BadFileError`` ever escapes (issue 10)."""

from __future__ import annotations

import gzip
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_build.fits import BadFileError, DayData, read_day
from tests import fitsfactory as ff

_BASE = ff.fits_bytes(ff.build_hdul(ff.default_columns(1, events_per_spin=2)))
_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Header keywords whose values shape the data: editing them is the harshest header mutation.
_KEYS = [b"NAXIS1", b"NAXIS2", b"TFIELDS", b"PCOUNT", b"GCOUNT", b"BITPIX", b"TFORM1", b"TFORM4"]


def _read(path: Path, content: bytes) -> DayData | None:
    """Read ``content`` from ``path``: a DayData, or None when refused with BadFileError."""
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's own warnings are not the point here
        try:
            day = read_day(path)
        except BadFileError as exc:
            reason = exc.reason
        else:
            reason = ""
    if reason:  # typed, with a reason in words
        return None
    assert isinstance(day, DayData)
    # What is read is self-consistent: 32 spins per cycle, events point at real spins.
    assert day.quirks.n_spins == len(day.spins) == 32 * len(day.cycles)
    if len(day.events):
        assert 0 <= day.events["spin"].min() <= day.events["spin"].max() < len(day.spins)
    return day


@_SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(_BASE)), packed=st.booleans())
def test_truncated_files(tmp_path: Path, cut: int, packed: bool) -> None:
    content = _BASE[:cut]
    if packed:
        content = gzip.compress(_BASE)[: max(cut // 4, 0)]
    day = _read(tmp_path / "1986_040.fits.gz", content)
    if cut < len(_BASE) and not packed:
        # a FITS file shorter than its declared data is never silently read short
        assert day is None or cut >= len(_BASE.rstrip(b"\0 "))


@_SETTINGS
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(_BASE) - 1), st.integers(1, 255)), min_size=1, max_size=8
    ),
    packed=st.booleans(),
)
def test_flipped_bytes(tmp_path: Path, flips: list[tuple[int, int]], packed: bool) -> None:
    content = bytearray(_BASE)
    for pos, mask in flips:
        content[pos] ^= mask
    raw = bytes(content)
    _read(tmp_path / "1986_040.fits.gz", gzip.compress(raw) if packed else raw)


@_SETTINGS
@given(
    key=st.sampled_from(_KEYS),
    which=st.integers(0, 4),
    value=st.one_of(
        st.integers(-(2**40), 2**40).map(str),
        st.sampled_from(["0", "1", "-1", "'1J'", "'430E'", "'XYZ'", "1.5", "T", "''"]),
    ),
)
def test_edited_headers(tmp_path: Path, key: bytes, which: int, value: str) -> None:
    cards = [m.start() for m in re.finditer(re.escape(key.ljust(8)) + b"=", _BASE)]
    if not cards:
        return
    at = cards[which % len(cards)]
    card = (key.ljust(8) + b"= " + value.encode().rjust(20)).ljust(80)[:80]
    content = _BASE[:at] + card + _BASE[at + 80 :]
    _read(tmp_path / "1986_040.fits", content)


@_SETTINGS
@given(
    column=st.sampled_from(["TT", "L", "VS", "PHA", "DR", "SBR", "ME", "ST", "CSHK"]),
    width=st.integers(0, 6),
    rows=st.integers(-2, 2),
)
def test_changed_shapes(tmp_path: Path, column: str, width: int, rows: int) -> None:
    cols = ff.default_columns(1, events_per_spin=2)
    arr = np.asarray(cols[column])
    n = max(len(arr) + rows, 0)
    flat = np.resize(arr.reshape(len(arr), -1), (n, max(width, 1)))
    cols[column] = flat if width > 1 else flat[:, 0]
    try:
        hdul = ff.build_hdul(cols)
        content = ff.fits_bytes(hdul)
    except (ValueError, TypeError):
        pytest.skip("astropy refuses to write this shape")  # nothing to read
    day = _read(tmp_path / "1986_040.fits", content)
    expected = {"VS": 2, "PHA": 430, "DR": 4, "SBR": 96, "ME": 512}.get(column, 1)
    if max(width, 1) != expected:
        assert day is None  # a column with the wrong number of values per row is refused


@pytest.mark.timeout(60)
@pytest.mark.parametrize("key", _KEYS)
@pytest.mark.parametrize("value", ["-1", "-2880", str(-(2**40)), "0", str(2**40)])
def test_header_sizes_that_step_backwards_are_refused(
    tmp_path: Path, key: bytes, value: str
) -> None:
    """Negative or absurd sizes in any card of any HDU: refused (or read), never a hang."""
    cards = [m.start() for m in re.finditer(re.escape(key.ljust(8)) + b"=", _BASE)]
    for at in cards:
        card = (key.ljust(8) + b"= " + value.encode().rjust(20)).ljust(80)[:80]
        _read(tmp_path / "1986_040.fits", _BASE[:at] + card + _BASE[at + 80 :])
