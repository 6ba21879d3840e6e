"""Done-when of the species views: the February 1986 storm against its quiet day.

A store of the demo's quiet day 1986-02-05 and storm day 1986-02-09, simulated and built by
the real pipeline with the real Kp and Dst of ``../shared/data/indices`` (the simulated
intensities follow the real Kp).  The comparison must show the O+ enhancement (ratio B/A
above 3 in the O+ region) and the hourly O+/H+ must rise as Dst drops.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from awa import query
from awa.chem import species
from awa.model import Selection, parse_time_ranges
from awa.query.species import compare_species, species_counts
from data_build import indices, simulate, stores
from tests.conftest import SHARED_DATA

INDICES = SHARED_DATA / "indices"
DST_FILE = INDICES / "dst_1984-1989_final.wdc"
KP_FILE = INDICES / "Kp_ap_Ap_SN_F107_1986.txt"
QUIET, STORM = dt.date(1986, 2, 5), dt.date(1986, 2, 9)
GRID = (0.02, 0.02, (0.5, 60.0), (0.5, 60.0))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def storm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (DST_FILE.exists() and KP_FILE.exists()):
        pytest.skip(f"the real Dst and Kp files are absent ({INDICES})")
    folder = tmp_path_factory.mktemp("storm")
    config = simulate.SimConfig(mean_events_per_spin=10.0)
    paths = [
        p
        for day in (QUIET, STORM)
        for p in simulate.simulate(day, 1, folder / "fits", seed=1, config=config)
    ]
    result = stores.build_stores(
        paths, folder / "stores", kp=indices.read_kp([KP_FILE]),
        dst=indices.read_dst([DST_FILE]), index_sources={"Kp": "GFZ", "Dst": "WDC"},
        workers=1, progress=None,
    )  # fmt: skip
    assert not result.failures
    return folder / "stores"


def test_storm_over_quiet_ratio_in_the_o_plus_region(storm_store: Path) -> None:
    key = query.store_key(storm_store)
    regions = species.default_regions()
    a = Selection(times=parse_time_ranges("1986-02-05"))
    b = Selection(times=parse_time_ranges("1986-02-09"))
    cmp = compare_species(key, a, b, regions, GRID, weighted=True)
    o = cmp.names.index("O+")
    ratio = (cmp.b.weighted_totals[o] / cmp.b.spins) / (cmp.a.weighted_totals[o] / cmp.a.spins)
    assert ratio > 3.0
    # the O+ share of events with a mass: about 2 % quiet, about 9 % storm
    frac_a = cmp.a.totals[o] / cmp.a.totals[:-1].sum()
    frac_b = cmp.b.totals[o] / cmp.b.totals[:-1].sum()
    assert frac_b > 3 * frac_a
    # the histogram ratio in the O+ region agrees with the table's
    h_a, h_b = cmp.a.shown, cmp.b.shown
    xc = np.sqrt(h_a.x_edges[:-1] * h_a.x_edges[1:])
    yc = np.sqrt(h_a.y_edges[:-1] * h_a.y_edges[1:])
    inside = regions[o].contains(*np.meshgrid(yc, xc, indexing="ij"))
    in_hist = (h_b.counts[inside].sum() / cmp.b.spins) / (h_a.counts[inside].sum() / cmp.a.spins)
    assert in_hist > 3.0


def test_o_plus_over_h_plus_rises_with_the_dst_drop(storm_store: Path) -> None:
    key = query.store_key(storm_store)
    sel = Selection(times=parse_time_ranges("1986-02-05;1986-02-09"))
    hourly = species_counts(key, sel, species.default_regions(), "hour")
    names = list(hourly.names)
    ratio = hourly.weighted[:, names.index("O+")] / hourly.weighted[:, names.index("H+")]
    dst = hourly.dst()
    ok = np.isfinite(ratio) & np.isfinite(dst)
    assert ok.sum() >= 40
    # rank correlation of O+/H+ with Dst: strongly negative (O+/H+ up as Dst goes down)
    r_ratio = np.argsort(np.argsort(ratio[ok]))
    r_dst = np.argsort(np.argsort(dst[ok]))
    rho = np.corrcoef(r_ratio, r_dst)[0, 1]
    assert rho < -0.6
    deep, quiet = dst[ok] < -100, dst[ok] > -30
    assert deep.sum() >= 3
    assert quiet.sum() >= 10
    assert ratio[ok][deep].mean() > 3 * ratio[ok][quiet].mean()
