"""Tests of data_build.fits: the daily FITS reader (spec section 2)."""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from astropy.io import fits

from awa.chem.schema import CLIP_HIGH, CLIP_HIGH_SECONDS, EPOCH, L_FILL
from data_build.fits import BadFileError, DayData, Quirks, parse_hdus, read_day
from tests.fitsfactory import build_hdul, default_columns, fits_bytes, seconds, write_fits

Columns = dict[str, npt.NDArray[Any]]

# The contract, written out here on purpose (not imported from the module under test).
SPIN_DTYPES = {
    "TT": "int64",
    "SpinStartTime": "datetime64[ns]",
    "clipped": "bool",
    "L": "float32",
    "Voltage_Step": "int8",
    "Period_Cntr": "int16",
    "FSR": "int32",
    "DCR": "int32",
    "TCR": "int32",
    "SSD": "int32",
    "BR0": "int32",
    "BR1": "int32",
    "BR2": "int32",
    "R0": "int16",
    "R1": "int16",
    "R2": "int16",
    "cycle": "int32",
    "duplicate": "bool",
    "out_of_order": "bool",
    "rate_ok": "bool",
    "time_rebuilt": "bool",
    "data_key": "uint64",
}
CYCLE_DTYPES = {
    "ST": "int64",
    "CycleStartTime": "datetime64[ns]",
    "MAGLAT": "float32",
    "MAGLON": "float32",
    "MLTH": "float32",
    "CSHK": "int16",
    "DPU_Mode": "int8",
    "TAC_Slope": "int8",
    "PHA_Priority": "int16",
    "PAPS_lvl": "int8",
}
EVENT_DTYPES = {
    "spin": "int32",
    "Energy": "int16",
    "TOF": "int16",
    "Sector": "int8",
    "SSDID": "int8",
    "Range": "int8",
}


def _parse(cols: Columns, **kwargs: Any) -> DayData:
    return parse_hdus(build_hdul(cols, **kwargs))


def _reference_events(cols: Columns) -> pd.DataFrame:
    """Non-empty PHA slots by a plain loop (small inputs only)."""
    rows = []
    pha = np.asarray(cols["PHA"]).reshape(len(cols["TT"]), 86, 5)
    for spin in range(pha.shape[0]):
        for slot in range(86):
            words = [int(w) for w in pha[spin, slot]]
            if any(words):
                rows.append([spin, *words])
    frame = pd.DataFrame(rows, columns=list(EVENT_DTYPES))
    return frame.astype(EVENT_DTYPES)


def _expected_dtypes(frame: pd.DataFrame, dtypes: dict[str, str]) -> None:
    assert list(frame.columns) == list(dtypes)
    assert {c: str(t) for c, t in frame.dtypes.items()} == dtypes


# ---------------------------------------------------------------------------------------
# Round trip of a well-formed file
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_read_day_round_trip_every_column(tmp_path: Path, compress: bool) -> None:
    cols = default_columns(3, events_per_spin=5)
    path = write_fits(build_hdul(cols), tmp_path / "1986_040.fits.gz", compress=compress)
    day = read_day(path)

    assert day.source == "1986_040.fits.gz"
    _expected_dtypes(day.spins, SPIN_DTYPES)
    _expected_dtypes(day.cycles, CYCLE_DTYPES)
    _expected_dtypes(day.events, EVENT_DTYPES)
    assert day.me.dtype == np.int32
    assert day.me.shape == (3, 512)
    np.testing.assert_array_equal(day.me, cols["ME"])

    s = day.spins
    n = 96
    tt = np.floor(cols["TT"]).astype(np.int64)
    np.testing.assert_array_equal(s["TT"], tt)
    expected_time = pd.Timestamp("1986-02-09 00:00:30") + pd.to_timedelta(tt - tt[0], unit="s")
    np.testing.assert_array_equal(s["SpinStartTime"], expected_time.to_numpy())
    assert not s["clipped"].any()
    np.testing.assert_array_equal(s["L"], cols["L"])
    np.testing.assert_array_equal(s["Voltage_Step"], cols["VS"][:, 0])
    np.testing.assert_array_equal(s["Period_Cntr"], cols["VS"][:, 1])
    for i, name in enumerate(["FSR", "DCR", "TCR", "SSD"]):
        np.testing.assert_array_equal(s[name], cols["DR"][:, i])
    for r in range(3):
        np.testing.assert_array_equal(s[f"BR{r}"], cols["SBR"][:, 32 * r : 32 * (r + 1)].sum(1))
        in_range = cols["PHA"].reshape(n, 86, 5)[:, :5, 4] == r
        np.testing.assert_array_equal(s[f"R{r}"], in_range.sum(axis=1))
    np.testing.assert_array_equal(s["cycle"], np.repeat([0, 1, 2], 32))
    assert not s["duplicate"].any()
    assert not s["out_of_order"].any()
    assert s["rate_ok"].all()
    assert s.index.equals(pd.RangeIndex(n))

    c = day.cycles
    st = np.floor(cols["ST"]).astype(np.int64)
    np.testing.assert_array_equal(c["ST"], st)
    np.testing.assert_array_equal(c["CycleStartTime"], s["SpinStartTime"].to_numpy()[::32])
    np.testing.assert_array_equal(c["MAGLAT"], cols["MAGLAT"])
    np.testing.assert_array_equal(c["MAGLON"], cols["MAGLON"])
    mlt = np.mod(12 / np.pi * cols["MAGLON"].astype(np.float64), 24)
    np.testing.assert_allclose(c["MLTH"], mlt, atol=1e-5)
    for fits_name, out in [
        ("CSHK", "CSHK"),
        ("DPUMHK", "DPU_Mode"),
        ("TAKHK", "TAC_Slope"),
        ("PHAPHK", "PHA_Priority"),
        ("PAPS", "PAPS_lvl"),
    ]:
        np.testing.assert_array_equal(c[out], cols[fits_name])

    pd.testing.assert_frame_equal(day.events, _reference_events(cols))
    assert len(day.events) == n * 5

    assert day.quirks == Quirks(n_spins=96, n_cycles=3, n_events=480, empty_pha_slots=96 * 81)


def test_parse_hdus_is_pure_and_names_memory_source() -> None:
    cols = default_columns(2)
    hdul = build_hdul(cols)
    first = parse_hdus(hdul)
    second = parse_hdus(hdul)
    assert first.source == "<memory>"
    pd.testing.assert_frame_equal(first.spins, second.spins)
    pd.testing.assert_frame_equal(first.events, second.events)
    # Output arrays own their data: changing them leaves the HDU list untouched.
    first.events["Energy"] = 0
    first.me[:] = 0
    np.testing.assert_array_equal(hdul[3].data["ME"], cols["ME"])
    assert parse_hdus(hdul).events["Energy"].any()


def test_empty_day_parses_to_empty_typed_tables() -> None:
    day = _parse(default_columns(0))
    assert len(day.spins) == len(day.cycles) == len(day.events) == 0
    assert day.me.shape == (0, 512)
    _expected_dtypes(day.spins, SPIN_DTYPES)
    _expected_dtypes(day.cycles, CYCLE_DTYPES)
    _expected_dtypes(day.events, EVENT_DTYPES)
    assert day.quirks == Quirks()


# ---------------------------------------------------------------------------------------
# dtype variants: every column is converted explicitly, so the result does not change
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formats",
    [
        {"TT": "K", "ST": "K"},
        {"TT": "J", "ST": "J"},
        {"L": "D", "MAGLAT": "D", "MAGLON": "D"},
        {"VS": "J", "PHA": "J", "DR": "K", "SBR": "I", "ME": "K"},
        {"VS": "E", "PHA": "E", "DR": "D", "SBR": "D", "ME": "D"},
        {"CSHK": "J", "DPUMHK": "B", "TAKHK": "K", "PHAPHK": "J", "PAPS": "E"},
        {"VS": "B", "PHA": "I", "CSHK": "B", "PAPS": "K"},
    ],
)
def test_dtype_variants_give_identical_tables(tmp_path: Path, formats: dict[str, str]) -> None:
    cols = default_columns(2)
    reference = _parse(cols)
    path = write_fits(build_hdul(cols, formats=formats), tmp_path / "1986_040.fits.gz")
    day = read_day(path)
    pd.testing.assert_frame_equal(day.spins, reference.spins)
    pd.testing.assert_frame_equal(day.cycles, reference.cycles)
    pd.testing.assert_frame_equal(day.events, reference.events)
    np.testing.assert_array_equal(day.me, reference.me)
    assert day.quirks == reference.quirks


def test_big_endian_and_lowercase_columns_are_accepted() -> None:
    cols = default_columns(1)
    hdul = build_hdul(cols)
    reference = parse_hdus(hdul)
    for hdu in hdul[1:]:
        for column in hdu.columns:
            hdu.columns.change_name(column.name, column.name.lower())
    day = parse_hdus(hdul)
    pd.testing.assert_frame_equal(day.spins, reference.spins)
    assert day.spins["FSR"].to_numpy().dtype.byteorder in "=|"


# ---------------------------------------------------------------------------------------
# Quirks, each counted exactly
# ---------------------------------------------------------------------------------------


SPIN_COLS = ("TT", "L", "VS", "PHA", "DR", "SBR")


def _whole(cols: Columns) -> npt.NDArray[np.int64]:
    return np.floor(cols["TT"]).astype(np.int64)


def test_clipped_times_are_rebuilt_from_the_cycle() -> None:
    cols = default_columns(2)
    truth = _whole(cols)
    tt = cols["TT"]
    tt[3] = -5.5  # below the epoch
    tt[4] = 0.0  # already clipped to the epoch by the archive
    tt[5] = float(CLIP_HIGH_SECONDS)  # at 1990-01-01
    tt[6] = 1e12  # far beyond
    tt[7] = np.nan
    tt[8] = CLIP_HIGH_SECONDS - 0.5  # a real second, but not this spin's place in its cycle
    day = _parse(cols)
    s = day.spins
    assert day.quirks.clipped_times == 5
    assert day.quirks.times_rebuilt == 6
    assert day.quirks.clipped_excluded == 0
    assert not s["clipped"].any()
    assert list(np.flatnonzero(s["time_rebuilt"])) == [3, 4, 5, 6, 7, 8]
    rebuilt = s["TT"].to_numpy()[3:9]
    assert np.abs(rebuilt - truth[3:9]).max() <= 1
    # inside their cycle: ST of cycle 0 <= t < ST of cycle 1
    assert (rebuilt >= cols["ST"][0]).all()
    assert (rebuilt < cols["ST"][1]).all()
    np.testing.assert_array_equal(
        s["SpinStartTime"].to_numpy()[3:9], (EPOCH + pd.to_timedelta(rebuilt, unit="s")).to_numpy()
    )
    assert not s[["duplicate", "out_of_order"]].to_numpy().any()
    assert day.quirks.out_of_order_spins == 0
    assert day.quirks.duplicate_spins == 0


def test_clipped_times_without_cycle_structure_are_excluded() -> None:
    cols = default_columns(2)
    cols["TT"][32:] = 0.0  # every spin of cycle 1 clipped ...
    cols["TT"][40] = -5.5
    cols["TT"][41] = float(CLIP_HIGH_SECONDS) + 10.0
    cols["ST"][1] = 0.0  # ... and its start too: nothing to rebuild from
    day = _parse(cols)
    s = day.spins
    expected = np.zeros(64, dtype=bool)
    expected[32:] = True
    np.testing.assert_array_equal(s["clipped"], expected)
    assert day.quirks.clipped_times == 32
    assert day.quirks.clipped_excluded == 32
    assert day.quirks.times_rebuilt == 0
    assert s["SpinStartTime"].iloc[40] == EPOCH
    assert s["SpinStartTime"].iloc[41] == CLIP_HIGH
    assert s["TT"].iloc[40] == -6


def test_clipped_spins_of_a_cycle_with_a_start_use_the_file_period() -> None:
    cols = default_columns(2)
    truth = _whole(cols)
    cols["TT"][32:] = 0.0  # every spin of cycle 1 clipped, its ST is real
    day = _parse(cols)
    s = day.spins
    assert day.quirks.times_rebuilt == 32
    assert np.abs(s["TT"].to_numpy()[32:] - truth[32:]).max() <= 1


def test_repeated_and_backwards_times_keep_their_data() -> None:
    cols = default_columns(2)
    truth = _whole(cols)
    tt = cols["TT"]
    tt[10] = tt[5]  # repeats an earlier row
    tt[11] = tt[5] + 0.3  # same whole second
    tt[20], tt[21] = tt[21], tt[20]  # time stamps swapped (the data stay): both wrong
    tt[30] = tt[40]  # row 30 jumps ahead; row 40 then repeats it
    day = _parse(cols)
    s = day.spins
    assert list(np.flatnonzero(s["time_rebuilt"])) == [10, 11, 20, 21, 30]
    assert np.abs(s["TT"].to_numpy() - truth).max() <= 1  # every spin back at its place
    assert not s["duplicate"].any()  # no copy: nothing dropped
    assert not s["clipped"].any()
    assert day.quirks.duplicate_spins == 3  # rows 10, 11 and 40 repeat a time as stored
    assert day.quirks.times_rebuilt == 5
    assert day.quirks.out_of_order_spins == 0
    assert day.quirks.exact_copies == 0


def test_exact_copies_are_dropped() -> None:
    cols = default_columns(2)
    for name in SPIN_COLS:
        cols[name][12] = cols[name][11]  # byte-identical repeat
        cols[name][50] = cols[name][49]
    cols["TT"][44] = 0.0  # a clipped spin and its copy: one is rebuilt, the copy dropped
    for name in SPIN_COLS:
        cols[name][45] = cols[name][44]
    day = _parse(cols)
    s = day.spins
    assert list(np.flatnonzero(s["duplicate"])) == [12, 45, 50]
    assert day.quirks.exact_copies == 3
    assert list(np.flatnonzero(s["time_rebuilt"])) == [44]
    assert day.quirks.duplicate_spins == 0  # copies are not counted as repeated times


def test_rows_stored_out_of_order_keep_their_own_times() -> None:
    cols = default_columns(2)
    truth = _whole(cols)
    for name in SPIN_COLS:  # whole rows swapped: each time still fits its period counter
        cols[name][[20, 21]] = cols[name][[21, 20]]
    day = _parse(cols)
    s = day.spins
    assert not s["time_rebuilt"].any()
    assert list(np.flatnonzero(s["out_of_order"])) == [21]
    assert day.quirks.out_of_order_spins == 1
    np.testing.assert_array_equal(s["TT"].to_numpy()[[20, 21]], truth[[21, 20]])


def test_float32_times_name_their_cause() -> None:
    cols = default_columns(2)
    day = _parse(cols, formats={"TT": "E"})
    assert day.quirks.float32_times == 64
    assert day.quirks.duplicate_spins > 0  # 64 s steps: many spins share a stored time


def test_cycle_start_times_use_the_same_clipping() -> None:
    cols = default_columns(3)
    cols["ST"][0] = -100.0
    cols["ST"][1] = 2.0 * CLIP_HIGH_SECONDS
    day = _parse(cols)
    c = day.cycles
    assert list(c["ST"][:2]) == [-100, 2 * CLIP_HIGH_SECONDS]
    assert c["CycleStartTime"].iloc[0] == EPOCH
    assert c["CycleStartTime"].iloc[1] == CLIP_HIGH
    assert c["CycleStartTime"].iloc[2] == EPOCH + pd.Timedelta(seconds=int(cols["ST"][2]))


def test_l_fill_values() -> None:
    cols = default_columns(1)
    cols["L"][[0, 5, 9, 12]] = [L_FILL, 0.5, np.nan, -3.0]
    cols["L"][20] = 1.0  # the smallest valid L
    day = _parse(cols)
    lvals = day.spins["L"].to_numpy()
    assert np.isnan(lvals[[0, 5, 9, 12]]).all()
    assert np.isnan(lvals).sum() == 4
    assert lvals[20] == np.float32(1.0)
    assert day.quirks.l_fill == 4


def test_l_fill_bit_pattern_is_caught_when_stored_as_double() -> None:
    cols = default_columns(1)
    cols["L"][2] = L_FILL
    day = _parse(cols, formats={"L": "D"})
    assert np.isnan(day.spins["L"].iloc[2])
    assert day.quirks.l_fill == 1


def test_calibration_cycles_and_invalid_paps() -> None:
    cols = default_columns(4)
    cols["CSHK"][:] = [0, 3, 0, 1]
    cols["PAPS"][:] = [0, 7, 5, -1]
    day = _parse(cols)
    assert day.quirks.calibration_cycles == 2
    assert day.quirks.invalid_paps == 3
    assert list(day.cycles["CSHK"]) == [0, 3, 0, 1]
    assert list(day.cycles["PAPS_lvl"]) == [0, 7, 5, -1]


def test_empty_pha_slots_dropped_and_partial_slots_kept() -> None:
    cols = default_columns(1, events_per_spin=0)
    pha = cols["PHA"].reshape(32, 86, 5)
    pha[0, 0] = [0, 0, 5, 0, 0]  # sector 5 only (energy 0, TOF 0): kept
    pha[0, 3] = [0, 200, 0, 1, 0]  # a double coincidence after two empty slots
    pha[2, 85] = [100, 300, 31, 2, 2]  # the last slot
    pha[2, 10] = [0, 0, 0, 0, 1]  # range only
    day = _parse(cols)
    ev = day.events
    assert list(ev["spin"]) == [0, 0, 2, 2]
    assert ev.iloc[0].tolist() == [0, 0, 0, 5, 0, 0]
    assert ev.iloc[1].tolist() == [0, 0, 200, 0, 1, 0]
    assert ev.iloc[2].tolist() == [2, 0, 0, 0, 0, 1]  # ordered by slot within the spin
    assert ev.iloc[3].tolist() == [2, 100, 300, 31, 2, 2]
    assert day.quirks.n_events == 4
    assert day.quirks.empty_pha_slots == 32 * 86 - 4
    assert list(day.spins["R1"][:3]) == [0, 0, 1]
    assert list(day.spins["R2"][:3]) == [0, 0, 1]


def test_artefact_events_are_kept_and_counted() -> None:
    cols = default_columns(1, events_per_spin=3)
    pha = cols["PHA"].reshape(32, 86, 5)
    pha[1, 0, 1] = 1019
    pha[4, 2, 1] = 1019
    pha[2, 0, 3] = 0
    pha[2, 1, 3] = 4
    pha[3, 0, 3] = 5
    pha[5, 1, 4] = 3
    day = _parse(cols)
    assert day.quirks.tof_1019 == 2
    assert day.quirks.ssdid_invalid == 3
    assert day.quirks.range3 == 1
    assert day.quirks.n_events == 96
    assert (day.events["TOF"] == 1019).sum() == 2
    assert (day.events["Range"] == 3).sum() == 1


def test_rate_relation_violations() -> None:
    cols = default_columns(1, events_per_spin=3)
    pha = cols["PHA"].reshape(32, 86, 5)
    sbr = cols["SBR"].reshape(32, 3, 32)
    dr = cols["DR"]
    pha[2, :3, 4] = 0  # three range-0 events ...
    sbr[2, 0, :] = 0
    sbr[2, 0, 7] = 2  # ... but BR0 = 2
    dr[4, 1] = sbr[4].sum() - 1  # DCR below BR0 + BR1 + BR2
    dr[6, 2] = sbr[6, 2].sum() - 1  # TCR below BR2
    pha[8, :3, 4] = 2
    sbr[8, 2, :] = 0  # R2 = 3 > BR2 = 0
    day = _parse(cols)
    s = day.spins
    assert list(np.flatnonzero(~s["rate_ok"])) == [2, 4, 6, 8]
    assert day.quirks.rate_violations == 4
    assert s["BR0"].iloc[2] == 2
    assert s["R0"].iloc[2] == 3


def test_mlt_hours_wrap_into_0_24() -> None:
    cols = default_columns(6)
    maglon = np.array([-np.pi / 2, np.pi, 2 * np.pi, -1e-9, 0.0, np.pi / 4], dtype=np.float32)
    cols["MAGLON"] = maglon
    mlt = _parse(cols).cycles["MLTH"].to_numpy()
    assert ((mlt >= 0) & (mlt < 24)).all()
    np.testing.assert_allclose(mlt[[0, 1, 4, 5]], [18.0, 12.0, 0.0, 3.0], atol=1e-5)
    assert mlt[2] < 1e-5 or mlt[2] > 24 - 1e-5
    assert mlt[3] == 0.0 or mlt[3] > 23.99


def test_quirks_add_and_as_dict() -> None:
    a = Quirks(n_spins=3, l_fill=1)
    b = Quirks(n_spins=4, invalid_paps=2)
    total = a + b
    assert total == Quirks(n_spins=7, l_fill=1, invalid_paps=2)
    d = total.as_dict()
    assert d["n_spins"] == 7
    assert len(d) == 18
    assert all(type(v) is int for v in d.values())


# ---------------------------------------------------------------------------------------
# Bad files: one typed error naming the file and the reason
# ---------------------------------------------------------------------------------------

GOOD = default_columns(3)


def _write(hdul: fits.HDUList) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        write_fits(hdul, path)

    return make


def _raw(content: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(content)

    return make


def _spin_rows(cols: Columns, n: int) -> Columns:
    out = dict(cols)
    for name in ["TT", "L", "VS", "PHA", "DR", "SBR"]:
        out[name] = cols[name][:n]
    return out


def _resized(name: str, width: int) -> Columns:
    out = dict(GOOD)
    arr = GOOD[name]
    out[name] = arr[:, :width] if width <= arr.shape[1] else np.pad(arr, ((0, 0), (0, 1)))
    return out


_PLAIN = fits_bytes(build_hdul(GOOD))
_GZ = gzip.compress(_PLAIN)
_BAD_CRC = _GZ[:-8] + bytes(b ^ 0xFF for b in _GZ[-8:-4]) + _GZ[-4:]


def _image_as_me() -> fits.HDUList:
    hdul = build_hdul(GOOD)
    hdul[3] = fits.ImageHDU(np.zeros((3, 512), dtype=np.int32))
    return hdul


def _short_cycles() -> Columns:
    out = dict(GOOD)
    out["ME"] = GOOD["ME"][:2]
    return out


BAD_CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("empty", _raw(b""), "empty file (0 bytes)"),
    ("truncated_gzip", _raw(_GZ[: len(_GZ) // 2]), "truncated gzip (compressed stream ends early)"),
    ("bad_crc", _raw(_BAD_CRC), "corrupt gzip: CRC check failed"),
    ("garbage_after_magic", _raw(b"\x1f\x8b" + b"\x00" * 40), "corrupt gzip"),
    ("text", _raw(b"hello, this is not a FITS file\n"), "neither gzip nor FITS"),
    ("gzip_text", _raw(gzip.compress(b"hello")), "gzip content is not FITS (no SIMPLE card)"),
    ("gzip_empty", _raw(gzip.compress(b"")), "gzip holds no data"),
    ("truncated_fits", _raw(_PLAIN[:-5000]), "truncated FITS (File may have been truncated"),
    ("truncated_fits_gz", _raw(gzip.compress(_PLAIN[:-5000])), "truncated FITS"),
    ("header_cut", _raw(_PLAIN[:4000]), "FITS file has 0 extensions, expected 4"),
    ("three_hdus", _write(build_hdul(GOOD, n_extensions=3)),
     "FITS file has 3 extensions, expected 4"),
    ("no_pha", _write(build_hdul(GOOD, drop=("PHA",))), "HDU 4 (SPIN) has no column 'PHA'"),
    ("no_tt", _write(build_hdul(GOOD, drop=("TT",))), "HDU 4 (SPIN) has no column 'TT'"),
    ("no_cshk", _write(build_hdul(GOOD, drop=("CSHK",))), "HDU 2 (HK) has no column 'CSHK'"),
    ("no_st", _write(build_hdul(GOOD, drop=("ST",))), "HDU 1 (ORBIT) has no column 'ST'"),
    ("no_me", _write(build_hdul(GOOD, drop=("ME",))), "HDU 3 (ME) has no column 'ME'"),
    ("pha_429", _write(build_hdul(_resized("PHA", 429))),
     "column PHA in HDU 4 (SPIN) has 429 values per row, expected 430"),
    ("sbr_97", _write(build_hdul(_resized("SBR", 97))),
     "column SBR in HDU 4 (SPIN) has 97 values per row, expected 96"),
    ("me_511", _write(build_hdul(_resized("ME", 511))),
     "column ME in HDU 3 (ME) has 511 values per row, expected 512"),
    ("dr_3", _write(build_hdul(_resized("DR", 3))),
     "column DR in HDU 4 (SPIN) has 3 values per row, expected 4"),
    ("vs_1", _write(build_hdul(_resized("VS", 1))),
     "column VS in HDU 4 (SPIN) has 1 values per row, expected 2"),
    ("tt_vector", _write(build_hdul({**GOOD, "TT": np.stack([GOOD["TT"]] * 2, axis=1)})),
     "column TT in HDU 4 (SPIN) has 2 values per row, expected 1"),
    ("cycle_rows", _write(build_hdul(_short_cycles())),
     "HDU 1/2/3 row counts differ: ORBIT 3, HK 3, ME 2"),
    ("spin_rows", _write(build_hdul(_spin_rows(GOOD, 95))),
     "HDU 4 (SPIN) has 95 rows, expected 32 x 3 cycles = 96"),
    ("image_hdu", _write(_image_as_me()), "HDU 3 (ME) is not a binary table (ImageHDU)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "reason"), [case[1:] for case in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_files_raise_one_typed_error(
    tmp_path: Path, make: Callable[[Path], None], reason: str
) -> None:
    path = tmp_path / "1986_040.fits.gz"
    make(path)
    with pytest.raises(BadFileError) as info:
        read_day(path)
    err = info.value
    assert err.path == str(path)
    assert err.reason.startswith(reason)
    assert str(err) == f"1986_040.fits.gz: {err.reason}"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BadFileError, match=r"^1986_041\.fits\.gz: file not found$"):
        read_day(tmp_path / "1986_041.fits.gz")
    folder = tmp_path / "1986_042.fits.gz"
    folder.mkdir()
    with pytest.raises(BadFileError, match="is a directory"):
        read_day(folder)


def test_parse_hdus_errors_name_the_source() -> None:
    hdul = build_hdul(GOOD, drop=("L",))
    with pytest.raises(BadFileError) as info:
        parse_hdus(hdul)
    assert str(info.value) == "<memory>: HDU 4 (SPIN) has no column 'L'"
    with pytest.raises(BadFileError, match=r"^x\.fits: FITS file has 2 extensions"):
        parse_hdus(build_hdul(GOOD, n_extensions=2), source="/data/x.fits")


def test_bad_file_error_pickles() -> None:
    err = BadFileError("/a/b/1986_040.fits.gz", "truncated gzip")
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, BadFileError)
    assert (back.path, back.reason, str(back)) == (err.path, err.reason, str(err))


def test_schk_is_optional() -> None:
    day = _parse(GOOD, drop=("SCHK",))
    assert day.quirks.n_spins == 96


# ---------------------------------------------------------------------------------------
# A full-size synthetic day (timing is measured in bench/, never asserted here)
# ---------------------------------------------------------------------------------------


def test_full_day(tmp_path: Path) -> None:
    cols = default_columns(450, events_per_spin=50, start=seconds("1986-02-09T00:00:00"))
    hdul = build_hdul(cols)
    day = parse_hdus(hdul)
    again = read_day(write_fits(hdul, tmp_path / "1986_040.fits.gz"))
    assert day.quirks.n_spins == 14400
    assert day.quirks.n_cycles == 450
    assert day.quirks.n_events == 14400 * 50
    assert day.quirks.rate_violations == 0
    assert again.quirks == day.quirks
