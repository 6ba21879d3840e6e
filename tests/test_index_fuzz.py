"""Fuzzing of every index-file reader and the format sniffer (hypothesis).

Arbitrary text, and valid files of each format with characters, fields and lines changed,
give either a parsed series or the typed `IndexFileError` with a message, never another
exception.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_build import indices as ix
from tests.test_index_formats import CELESTRAK_CSV, CELESTRAK_TXT, GFZ_3H, _omni_row

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "indices"

Parser = Callable[[str], pd.Series]
PARSERS: dict[str, Parser] = {
    "gfz": lambda t: ix.parse_gfz_kp(t, source="f"),
    "gfz_3h": lambda t: ix.parse_gfz_kp_3h(t, source="f"),
    "wdc": lambda t: ix.parse_wdc_dst(t, source="f"),
    "wdc_kp": lambda t: ix.parse_wdc_kp(t, source="f"),
    "omni2_kp": lambda t: ix.parse_omni2(t, "Kp", source="f"),
    "omni2_dst": lambda t: ix.parse_omni2(t, "Dst", source="f"),
    "celestrak": lambda t: ix.parse_celestrak_kp(t, source="f"),
    "csv_kp": lambda t: ix.parse_csv_index(t, "Kp", source="f"),
    "csv_dst": lambda t: ix.parse_csv_index(t, "Dst", source="f"),
}
SAMPLES = {
    "gfz": (FIXTURES / "kp_gfz_small.txt").read_text(),
    "gfz_3h": GFZ_3H,
    "wdc": (FIXTURES / "dst_small.wdc").read_text(),
    "wdc_kp": (FIXTURES / "kp0101.wdc").read_text(),
    "omni2_kp": "\n".join(_omni_row(40, h, 37, -20 - h) for h in range(4)) + "\n",
    "omni2_dst": (FIXTURES / "omni2_1986_first_row.dat").read_text(),
    "celestrak": CELESTRAK_TXT + "\n" + CELESTRAK_CSV,
    "csv_kp": (FIXTURES / "kp_small.csv").read_text(),
    "csv_dst": (FIXTURES / "dst_small.csv").read_text(),
}
# characters that matter to these formats, plus some that do not belong in them
ALPHABET = "0123456789 -+.,:#*\nDSTXRTZe" + "ab\t\r\x00é\u2013\u0663"


def _check(result: pd.Series | None) -> None:
    """A parsed result is a sorted, naive-UTC series of float64 values."""
    if result is None:
        return
    assert isinstance(result, pd.Series)
    assert isinstance(result.index, pd.DatetimeIndex)
    assert result.index.tz is None
    assert result.index.is_monotonic_increasing
    assert result.dtype == np.float64
    if result.name == "Kp":
        assert set(result.dropna().tolist()) <= set(ix.KP_THIRDS.tolist())


def _outcome(call: Callable[[], pd.Series | None]) -> pd.Series | ix.IndexFileError | None:
    """The result of ``call``, or the `IndexFileError` it raised (any other exception escapes)."""
    try:
        return call()
    except ix.IndexFileError as exc:
        return exc


def _check_outcome(outcome: pd.Series | ix.IndexFileError | None, name: str) -> None:
    if isinstance(outcome, ix.IndexFileError):
        message = str(outcome)
        assert message.startswith(name)  # names the file ...
        assert len(message) > len(name) + 2  # ... and says what is wrong
    else:
        _check(outcome)


def _parse_or_typed_error(parse: Parser, text: str) -> None:
    _check_outcome(_outcome(lambda: parse(text)), "f")


@st.composite
def mutated(draw: st.DrawFn, sample: str) -> str:
    """A valid sample with a few characters replaced, inserted or deleted, or lines changed."""
    text = sample
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "dup_line", "drop_line"]))
        if not text:
            break
        pos = draw(st.integers(0, len(text) - 1))
        if kind == "replace":
            text = text[:pos] + draw(st.sampled_from(ALPHABET)) + text[pos + 1 :]
        elif kind == "insert":
            text = text[:pos] + draw(st.text(ALPHABET, min_size=1, max_size=3)) + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + 1 :]
        else:
            lines = text.splitlines()
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "dup_line":
                lines.insert(i, lines[i])
            else:
                del lines[i]
            text = "\n".join(lines) + "\n"
    return text


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_files_parse_or_raise_the_typed_error(name: str, data: st.DataObject) -> None:
    text = data.draw(mutated(SAMPLES[name]))
    _parse_or_typed_error(PARSERS[name], text)


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(text=st.text(ALPHABET, max_size=300) | st.text(max_size=200))
@settings(max_examples=100, deadline=None)
def test_arbitrary_text_parses_or_raises_the_typed_error(name: str, text: str) -> None:
    _parse_or_typed_error(PARSERS[name], text)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_parse(name: str) -> None:
    """The unmutated samples are valid, so the mutations start from real content."""
    _check(PARSERS[name](SAMPLES[name]))


@given(
    content=st.binary(max_size=400)
    | st.sampled_from(sorted(SAMPLES)).flatmap(lambda n: mutated(SAMPLES[n])).map(str.encode)
)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_sniffer_and_readers_on_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "index.dat"
    path.write_bytes(content)
    try:
        kind = ix.sniff_index_file(path)
    except ix.IndexFileError as exc:
        kind = None
        error = str(exc)
    assert kind in ix.FORMATS if kind is not None else error.startswith(str(path))
    for read in (ix.read_kp, ix.read_dst):
        _check_outcome(_outcome(lambda read=read: read(path)), str(path))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "old", "new", "reason"),
    [
        # found by the fuzzing above: an overflowing float is infinite, not a warning
        ("gfz", "6.333    4", "6e333    4", "Kp outside"),
        ("csv_dst", "-5", "1e999", "outside the valid range"),
        ("gfz", "1985 06 01 19510", "99999999999999999999999 06 01 19510", "not a number"),
        ("wdc", "DST8506", "DST\u0663506", "is not an integer"),
    ],
)
def test_fuzz_findings(name: str, old: str, new: str, reason: str) -> None:
    assert old in SAMPLES[name]
    with pytest.raises(ix.IndexFileError, match=reason):
        PARSERS[name](SAMPLES[name].replace(old, new, 1))
