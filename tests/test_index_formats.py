"""Index files as users have them: every format, recognised by content, one Kp representation.

Field cases 02 (Kp thirds), 05 (several Dst files), 08 (formats by content).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_build import indices as ix

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "indices"
SHARED_INDICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "indices"
needs_shared = pytest.mark.skipif(
    not SHARED_INDICES.is_dir(),
    reason=f"real index files not available ({SHARED_INDICES} is absent)",
)
THIRDS = set(ix.KP_THIRDS.tolist())


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------
# Field case 02-kp-source-thirds-mismatch: one Kp representation whatever the source
# ---------------------------------------------------------------------------------------


def test_kp_thirds_table() -> None:
    assert ix.KP_THIRDS.dtype == np.float64
    assert ix.KP_THIRDS[:4].tolist() == [0.0, 0.333, 0.667, 1.0]
    assert ix.KP_THIRDS[-3:].tolist() == [8.333, 8.667, 9.0]
    assert float("7.667") in THIRDS


def test_celestrak_and_gfz_give_equal_floats_for_one_third() -> None:
    """Field case 02's repro: the 8- of 1989-03-13 03:00 is 7.667 from both sources."""
    gfz = ix.read_kp(FIXTURES / "Kp_gfz_19890313.txt")
    cel = ix.read_kp(None)
    t = ts("1989-03-13 03:00")
    assert gfz.dtype == np.float64
    assert cel.dtype == np.float64
    assert gfz[t] == 7.667
    assert cel[t] == gfz[t]
    a, b = np.float32(gfz[t]), np.float32(cel[t])  # the stores' old float32 too
    assert a == b
    assert b >= np.float32(7.667)  # the filter '7.667,9' keeps the CelesTrak value
    # the whole day agrees, and both join without "files give different Kp"
    day = pd.date_range("1989-03-13", periods=8, freq="3h")
    assert cel.reindex(day).tolist() == gfz.tolist()
    assert set(cel.dropna().tolist()) <= THIRDS


@needs_shared
def test_bundled_celestrak_equals_the_real_gfz_files_exactly() -> None:
    gfz = ix.read_kp(sorted(SHARED_INDICES.glob("Kp_ap_Ap_SN_F107_198*.txt")))
    cel = ix.read_celestrak_kp("1984-01-01", "1990-01-01")
    assert cel.index.equals(gfz.index)
    np.testing.assert_array_equal(cel.to_numpy(), gfz.to_numpy())


def test_csv_kp_is_snapped_to_gfz_thirds_and_non_thirds_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "kp.csv",
        "time,value\n1989-03-13T00:00,6\n1989-03-13T03:00,7.6666667\n"
        "1989-03-13T06:00,8.7\n1989-03-13T09:00,8.333\n",
    )
    kp = ix.read_kp(path)
    assert kp.tolist() == [6.0, 7.667, 8.667, 8.333]
    # and it equals the GFZ file where they overlap (no "different Kp" on joining)
    both = ix.read_kp([path, FIXTURES / "Kp_gfz_19890313.txt"])
    assert len(both) == 8
    with pytest.raises(ix.IndexFileError, match="line 2: Kp value 7.5 is not a third"):
        ix.parse_csv_index("time,value\n1989-03-13T00:00,7.5\n", "Kp")


# ---------------------------------------------------------------------------------------
# Field case 08-sniffer-names-wrong-format: formats recognised by content
# ---------------------------------------------------------------------------------------


def test_wdc_kp_field_case_file() -> None:
    """GFZ's kpyymm.wdc: coded tenths (33 = 3+, 37 = 4-); no longer called Dst."""
    path = FIXTURES / "kp0101.wdc"
    assert ix.sniff_index_file(path) == "wdc_kp"
    kp = ix.read_kp(path)
    assert len(kp) == 32
    assert kp.index[0] == ts("2001-01-01 00:00")
    assert kp[:8].tolist() == [0.0, 0.333, 1.0, 1.0, 0.333, 0.333, 0.667, 0.667]
    # 2001-01-03: 23 37 23 23 23 7 7 10
    day3 = kp["2001-01-03"].tolist()
    assert day3 == [2.333, 3.667, 2.333, 2.333, 2.333, 0.667, 0.667, 1.0]
    with pytest.raises(ix.IndexFileError, match=r"holds Kp \(GFZ WDC-format Kp"):
        ix.read_dst(path)


def test_wdc_kp_missing_and_bad_codes() -> None:
    line = " 1 1 1228522 0 31010 3 3 7 7 43  0  2  4  4  2  2  3  3  20.00 89"
    missing = line[:12] + "99" + "  " + line[16:]
    kp = ix.parse_wdc_kp(missing + "\n")
    assert np.isnan(kp.iloc[0])
    assert np.isnan(kp.iloc[1])
    assert kp.iloc[2] == 1.0
    with pytest.raises(ix.IndexFileError, match="line 1: Kp code 35 is not a Kp in tenths"):
        ix.parse_wdc_kp(line[:12] + "35" + line[14:])
    with pytest.raises(ix.IndexFileError, match="at least 28 characters, found 20"):
        ix.parse_wdc_kp(line[:20])
    # two-digit years: 32-99 are 19xx
    kp86 = ix.parse_wdc_kp("86" + line[2:])
    assert kp86.index[0] == ts("1986-01-01")


def test_omni2_field_case_row_gives_kp_and_dst() -> None:
    path = FIXTURES / "omni2_1986_first_row.dat"
    assert ix.sniff_index_file(path) == "omni2"
    dst = ix.read_dst(path)
    assert dst is not None
    assert dst.to_dict() == {ts("1986-01-01 00:00"): -353.0}
    kp = ix.read_kp(path)
    assert kp.to_dict() == {ts("1986-01-01 00:00"): 8.667}  # word 39 = 87 = 9-


def _omni_row(doy: int, hour: int, kp: int, dst: int, year: int = 1986) -> str:
    words = (FIXTURES / "omni2_1986_first_row.dat").read_text().split()
    words[:3] = [str(year), str(doy), str(hour)]
    words[38] = str(kp)
    words[40] = str(dst)
    return " ".join(words)


def test_omni2_hours_intervals_and_fill_values() -> None:
    rows = [
        _omni_row(131, 0, 99, -10),  # Kp fill on the interval's first hour
        _omni_row(131, 1, 37, -12),
        _omni_row(131, 2, 37, 99999),  # Dst fill
        _omni_row(131, 3, 99, -20),
        _omni_row(303, 23, 50, -30),
    ]
    text = "\n".join(rows) + "\n"
    dst = ix.parse_omni2(text, "Dst")
    assert dst.index.tolist() == [
        ts("1986-05-11 00:00"),
        ts("1986-05-11 01:00"),
        ts("1986-05-11 02:00"),
        ts("1986-05-11 03:00"),
        ts("1986-10-30 23:00"),
    ]
    np.testing.assert_array_equal(dst.to_numpy(), [-10.0, -12.0, np.nan, -20.0, -30.0])
    kp = ix.parse_omni2(text, "Kp")
    assert kp.index.tolist() == [
        ts("1986-05-11 00:00"),
        ts("1986-05-11 03:00"),
        ts("1986-10-30 21:00"),
    ]
    np.testing.assert_array_equal(kp.to_numpy(), [3.667, np.nan, 5.0])
    clash = text + _omni_row(131, 5, 40, -20) + "\n"
    with pytest.raises(ix.IndexFileError, match="differs from 3.667 in the same 3-hour interval"):
        ix.parse_omni2(_omni_row(131, 4, 37, -20) + "\n" + clash, "Kp")
    with pytest.raises(ix.IndexFileError, match="1986 has no day 366"):
        ix.parse_omni2(_omni_row(366, 0, 10, 0) + "\n", "Dst")


def test_kyoto_dst_final_provisional_quicklook(tmp_path: Path) -> None:
    final = (FIXTURES / "dst_fmt_19860208.wdc").read_text().rstrip("\n")
    assert final[13] == "2"  # version 2 = final
    provisional = final[:8] + "09" + final[10:13] + "1" + final[14:]
    # quick-look: "RR" in columns 11-12, version 0, blank century (= 19)
    quicklook = final[:8] + "10RRX0  " + final[16:]
    path = _write(tmp_path, "dst8602.for.request", "\n".join([final, provisional, quicklook]))
    assert ix.sniff_index_file(path) == "wdc"
    dst = ix.read_dst(path)
    assert dst is not None
    assert len(dst) == 72
    assert dst[ts("1986-02-08 05:00")] == -50.0
    assert dst[ts("1986-02-09 05:00")] == -50.0
    assert dst[ts("1986-02-10 23:00")] == -230.0
    with pytest.raises(ix.IndexFileError, match=r"holds Dst \(Kyoto WDC Dst"):
        ix.read_kp(path)


def test_several_monthly_dst_files_are_joined() -> None:
    """Field case 05 (reader side): both months are read."""
    files = [FIXTURES / "dst_fmt_19860208.wdc", FIXTURES / "dst_fmt_19860301.wdc"]
    dst = ix.read_dst(files)
    assert dst is not None
    assert len(dst) == 48
    assert dst[ts("1986-02-08 05:00")] == -50.0
    assert dst[ts("1986-03-01 05:00")] == -5.0


GFZ_3H = """\
# ASCII, blank separated and fixed length, missing data indicated by -1.000 for Kp and -1 for ap
#YYY MM DD hh.h hh._m        days      days_m     Kp   ap D
1932 01 01 00.0 01.50     0.00000     0.06250  3.333   18 1
1932 01 01 03.0 04.50     0.12500     0.18750  2.667   12 1
2003 10 30 03.0 04.50 26235.12500 26235.18750  9.000  400 1
2026 01 01 00.0 01.50 34334.00000 34334.06250 -1.000   -1 0
"""


def test_gfz_since_1932_and_nowcast(tmp_path: Path) -> None:
    path = _write(tmp_path, "Kp_ap_nowcast.txt", GFZ_3H)
    assert ix.sniff_index_file(path) == "gfz_3h"
    kp = ix.read_kp(path)
    assert kp.index.tolist() == [
        ts("1932-01-01 00:00"),
        ts("1932-01-01 03:00"),
        ts("2003-10-30 03:00"),
        ts("2026-01-01 00:00"),
    ]
    np.testing.assert_array_equal(kp.to_numpy(), [3.333, 2.667, 9.0, np.nan])
    shifted = GFZ_3H.replace(
        "1932 01 01 03.0 04.50     0.12500", "1932 01 01 03.0 04.50     0.25000"
    )
    with pytest.raises(ix.IndexFileError, match="line 4: days since 1932-01-01 is 0.25"):
        ix.parse_gfz_kp_3h(shifted)
    with pytest.raises(ix.IndexFileError, match="start hour 1.5 is not"):
        ix.parse_gfz_kp_3h(GFZ_3H.replace("03.0 04.50     0.12500", "01.5 04.50     0.12500"))


CELESTRAK_TXT = (
    "DATATYPE CssiSpaceWeather\n"
    "VERSION 1.2\n"
    "# yy mm dd BSRN ND Kp Kp Kp Kp Kp Kp Kp Kp Sum Ap ...\n"
    "BEGIN OBSERVED\n"
    "1986 02 09 2084  9 87 77 53 47 50 63 53 40 470 300 179  56  39  48  94  56  27 100"
    " 1.9 8  56  92.6 0  76.6  74.0  95.1  78.5  76.3\n"
    "END OBSERVED\n"
    "BEGIN DAILY_PREDICTED\n"
    "1986 02 10 2084 10 22 22 22 22 22 22 22 22 176   9   9   9   9   9   9   9   9   9"
    " 0.0 0   0  90.0 0  90.0  90.0  90.0  90.0  90.0\n"
    "END DAILY_PREDICTED\n"
)

CELESTRAK_CSV = (
    "DATE,BSRN,ND,KP1,KP2,KP3,KP4,KP5,KP6,KP7,KP8,KP_SUM,AP1,AP2,AP3,AP4,AP5,AP6,AP7,AP8,"
    "AP_AVG,CP,C9,ISN,F10.7_OBS,F10.7_ADJ,F10.7_DATA_TYPE,F10.7_OBS_CENTER81,"
    "F10.7_OBS_LAST81,F10.7_ADJ_CENTER81,F10.7_ADJ_LAST81\n"
    "1986-02-09,2084,9,87,77,53,47,50,63,53,40,470,300,179,56,39,48,94,56,27,100,1.9,8,56,"
    "95.1,92.6,OBS,78.5,76.3,76.6,74.0\n"
    "1986-02-10,2084,10,33,,,,,,,,,,,,,,,,,,,,,90.0,90.0,PRD,,,,\n"
)


def test_celestrak_txt_and_csv(tmp_path: Path) -> None:
    expected = [8.667, 7.667, 5.333, 4.667, 5.0, 6.333, 5.333, 4.0]
    txt = _write(tmp_path, "SW-All.txt", CELESTRAK_TXT)
    csv = _write(tmp_path, "SW-All.csv", CELESTRAK_CSV)
    for path in (txt, csv):
        assert ix.sniff_index_file(path) == "celestrak"
        kp = ix.read_kp(path)
        assert kp.index[0] == ts("1986-02-09 00:00")
        assert kp.tolist() == expected  # the predicted day is not read
    # the same thirds as the bundled file for that day
    assert ix.read_celestrak_kp("1986-02-09", "1986-02-10").tolist() == expected
    gappy = CELESTRAK_CSV.replace(",87,77,", ",,77,")
    assert np.isnan(ix.parse_celestrak_kp(gappy).iloc[0])


def test_unknown_file_lists_every_supported_format(tmp_path: Path) -> None:
    odd = _write(tmp_path, "dst.wdc", "<html>maintenance</html>\n")
    with pytest.raises(ix.IndexFileError) as info:
        ix.read_dst(odd)
    message = str(info.value)
    assert "not in a format AWA reads" in message
    for fmt in ix.FORMATS.values():
        assert fmt.description in message
    for needle in (
        "Kyoto WDC Dst",
        "kpyymm.wdc",
        "omni2_YYYY.dat",
        "Kp_ap_since_1932.txt",
        "nowcast",
        "CelesTrak",
        "time,value",
    ):
        assert needle in message
    with pytest.raises(ix.IndexFileError, match="cannot read"):
        ix.read_kp(tmp_path / "absent.txt")


def test_names_do_not_decide_the_format(tmp_path: Path) -> None:
    """A WDC Kp file named .wdc is Kp, an OMNI2 row is not GFZ Kp, a Dst file named .txt is Dst."""
    for src, name, kind in [
        ("kp0101.wdc", "kp0101.txt", "wdc_kp"),
        ("dst_small.wdc", "dst.csv", "wdc"),
        ("kp_gfz_small.txt", "kp.wdc", "gfz"),
        ("omni2_1986_first_row.dat", "omni.wdc", "omni2"),
        ("kp_small.csv", "kp.request", "csv"),
    ]:
        path = _write(tmp_path, name, (FIXTURES / src).read_text())
        assert ix.sniff_index_file(path) == kind, name


@needs_shared
@pytest.mark.parametrize(
    ("name", "kind"),
    [("Kp_ap_Ap_SN_F107_1986.txt", "gfz"), ("dst_1984-1989_final.wdc", "wdc")],
)
def test_real_files_are_recognised(name: str, kind: str) -> None:
    assert ix.sniff_index_file(SHARED_INDICES / name) == kind


def test_every_reader_gives_kp_in_thirds(tmp_path: Path) -> None:
    sources = [
        FIXTURES / "kp_gfz_small.txt",
        FIXTURES / "kp0101.wdc",
        FIXTURES / "omni2_1986_first_row.dat",
        _write(tmp_path, "a.txt", GFZ_3H),
        _write(tmp_path, "b.txt", CELESTRAK_TXT),
        _write(tmp_path, "c.csv", CELESTRAK_CSV),
        FIXTURES / "kp_small.csv",
    ]
    for path in sources:
        kp = ix.read_kp(path)
        assert kp.dtype == np.float64, path
        assert set(kp.dropna().tolist()) <= THIRDS, path
