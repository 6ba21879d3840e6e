"""The HAPI server read by ``hapiclient`` over HTTP: every dataset, csv and binary, a
parameter subset, across a day boundary and with fill values, against the stores.

The store is two simulated days (1986-02-08 and 09) built by the real pipeline, so the
requests cross the UT day boundary; the expected values come from the stores read with
pandas (``tests.builtstore.SimulatedStores``), independently of the server's readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from awa import query
from awa.chem import species
from awa.hapi import datasets as hapi_datasets
from awa.hapi.model import DOUBLE_FILL
from awa.model import Selection, TimeRange
from awa.query.species import species_counts
from awa.settings import Settings
from tests.builtstore import SimulatedStores, build_folder
from tests.hapiserver import served

hapiclient = pytest.importorskip("hapiclient", reason="hapiclient (dev extra) is not installed")

#: Across the boundary of the two simulated days (day of year 039 -> 040).
START, STOP = "1986-039T22:30:00Z", "1986-040T01:30:00Z"
T0, T1 = pd.Timestamp("1986-02-08 22:30"), pd.Timestamp("1986-02-09 01:30")


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStores:
    return build_folder(tmp_path_factory.mktemp("hapi2d"), start=dt.date(1986, 2, 8), days=2)


@pytest.fixture(scope="module")
def url(two_days: SimulatedStores, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cache = tmp_path_factory.mktemp("hapicache")
    settings = Settings(data_dir=two_days.folder, cache_type="null", cache_dir=cache,
                        background_dir=cache / "bg")  # fmt: skip
    with served(settings) as base:
        yield base


def _get(url: str, dataset: str, params: str, fmt: str, tmp_path: Path) -> tuple[Any, Any]:
    return hapiclient.hapi(url, dataset, params, START, STOP, format=fmt, cache=False,
                           usecache=False, cachedir=str(tmp_path), logging=False)  # fmt: skip


def _times(data: Any) -> np.ndarray:
    text = np.char.rstrip(data["Time"].astype(str), "Z")
    return text.astype("datetime64[ns]")


def _window(frame: pd.DataFrame) -> pd.DataFrame:
    t = frame["SpinStartTime"]
    return frame[(t >= T0) & (t < T1)].reset_index(drop=True)


def _expect(values: Any, dtype: str) -> np.ndarray:
    """Store values as the server sends them: NaN as the fill value (float32 kept)."""
    arr = np.asarray(values, dtype=dtype)
    if arr.dtype.kind == "f":
        arr = np.where(np.isfinite(arr), arr, DOUBLE_FILL).astype(dtype)
    return arr


def _check(data: Any, frame: pd.DataFrame, names: tuple[str, ...]) -> None:
    want = _window(frame)
    assert len(want) > 0
    assert np.array_equal(_times(data), want["SpinStartTime"].to_numpy("datetime64[ns]"))
    # the request crosses the day boundary: records on both days
    days = set(want["SpinStartTime"].dt.day)
    assert days == {8, 9}
    for name in names:
        stored = want[name].to_numpy()
        if stored.dtype.kind == "f":
            got = np.asarray(data[name]).astype(stored.dtype)
            np.testing.assert_array_equal(got, _expect(stored, str(stored.dtype)), err_msg=name)
        else:
            np.testing.assert_array_equal(np.asarray(data[name]), stored, err_msg=name)


@pytest.mark.parametrize("fmt", ["csv", "binary"])
def test_rates_every_parameter(url: str, two_days: SimulatedStores, fmt: str,
                               tmp_path: Path) -> None:  # fmt: skip
    data, meta = _get(url, "CHEM_RATES_SPIN", "", fmt, tmp_path)
    names = hapi_datasets.RATES_PARAMETERS
    assert [p["name"] for p in meta["parameters"]] == ["Time", *names]
    _check(data, two_days.rates, names)


@pytest.mark.parametrize("fmt", ["csv", "binary"])
def test_rates_subset_with_fill(url: str, two_days: SimulatedStores, fmt: str,
                                tmp_path: Path) -> None:  # fmt: skip
    data, meta = _get(url, "CHEM_RATES_SPIN", "DCR,BR2,L,Dst", fmt, tmp_path)
    assert [p["name"] for p in meta["parameters"]] == ["Time", "DCR", "BR2", "L", "Dst"]
    assert data.dtype.names == ("Time", "DCR", "BR2", "L", "Dst")
    _check(data, two_days.rates, ("DCR", "BR2", "L", "Dst"))


@pytest.mark.parametrize("fmt", ["csv", "binary"])
def test_hk_every_parameter(url: str, two_days: SimulatedStores, fmt: str,
                            tmp_path: Path) -> None:  # fmt: skip
    data, _ = _get(url, "CHEM_HK_CYCLE", "", fmt, tmp_path)
    _check(data, two_days.hk, hapi_datasets.HK_PARAMETERS)


@pytest.mark.parametrize("fmt", ["csv", "binary"])
def test_me_counts_and_species(url: str, two_days: SimulatedStores, fmt: str,
                               tmp_path: Path) -> None:  # fmt: skip
    data, meta = _get(url, "CHEM_ME_CYCLE", "", fmt, tmp_path)
    want = _window(two_days.me)
    counts = want[list(range(512))].to_numpy()
    assert data["ME"].shape == (len(want), 512)
    np.testing.assert_array_equal(data["ME"], counts)
    np.testing.assert_array_equal(data["L"].astype(np.float32), _expect(want["L"], "float32"))
    me = meta["parameters"][2]
    assert me["size"] == [512]
    assert me["bins"][0]["centers"] == list(range(512))
    sums, _ = _get(url, "CHEM_ME_SPECIES_CYCLE", "", fmt, tmp_path)
    expected = species.me_species_counts(counts)
    names = [p for p, _ in hapi_datasets.species_names()]
    assert list(sums.dtype.names) == ["Time", *names]
    for j, name in enumerate(names):
        np.testing.assert_array_equal(sums[name], expected[:, j], err_msg=name)
    assert int(sum(sums[n].sum() for n in names)) == int(counts[:, :491].sum())


@pytest.mark.parametrize("fmt", ["csv", "binary"])
def test_hourly_dst_and_kp(url: str, two_days: SimulatedStores, fmt: str,
                           tmp_path: Path) -> None:  # fmt: skip
    hk = two_days.hk
    for dataset, column, freq in (("CHEM_DST_1H", "Dst", "1h"), ("CHEM_KP_3H", "Kp", "3h")):
        data, _ = _get(url, dataset, column, fmt, tmp_path)
        bucket = hk["SpinStartTime"].dt.floor(freq)
        first = hk.assign(bucket=bucket).groupby("bucket", sort=True)[column].first()
        first = first[(first.index >= T0) & (first.index < T1)]
        assert np.array_equal(_times(data), first.index.to_numpy("datetime64[ns]"))
        np.testing.assert_array_equal(data[column], _expect(first.to_numpy(), "float64"))
    # the synthetic storm leaves 20 UT of the first day without Dst: the fill value there
    gap, _ = hapiclient.hapi(url, "CHEM_DST_1H", "Dst", "1986-039T19:00Z", "1986-039T22:00Z",
                             format=fmt, cache=False, usecache=False,
                             cachedir=str(tmp_path))  # fmt: skip
    assert list(gap["Dst"] == DOUBLE_FILL) == [False, True, False]


@pytest.mark.parametrize("fmt", ["csv", "binary"])
def test_pha_species_match_the_query_layer(url: str, two_days: SimulatedStores, fmt: str,
                                           tmp_path: Path) -> None:  # fmt: skip
    """Per-cycle PHA species counts, plain and weighted, as ``awa.query.species`` counts them
    for the same cycles (from the first cycle start in the window to the first after it)."""
    data, meta = _get(url, "CHEM_PHA_SPECIES_CYCLE", "", fmt, tmp_path)
    names = [p for p, _ in hapi_datasets.species_names()]
    assert [p["name"] for p in meta["parameters"]] == [
        "Time",
        *names,
        *(f"{n}_w" for n in names),
        "spins",
        "accumulation_s",
    ]
    hk = two_days.hk["SpinStartTime"]
    starts = hk[(hk >= T0) & (hk < T1)]
    end = hk[hk >= T1].iloc[0]
    sel = Selection(times=(TimeRange(starts.iloc[0].to_pydatetime(), end.to_pydatetime()),))
    want = species_counts(query.store_key(two_days.folder), sel, species.default_regions(),
                          "cycle")  # fmt: skip
    assert np.array_equal(_times(data), want.start.view("datetime64[ns]"))
    assert {t.astype("datetime64[D]").item().day for t in _times(data)} == {8, 9}
    for j, name in enumerate(names):
        np.testing.assert_array_equal(data[name], want.counts[:, j], err_msg=name)
        np.testing.assert_array_equal(data[f"{name}_w"], want.weighted[:, j], err_msg=name)
    np.testing.assert_array_equal(data["spins"], want.spins)
    np.testing.assert_array_equal(data["accumulation_s"], want.accumulation_s)
    assert data["Op"].sum() > 0
