"""Species figures, the comparison table and the page logic (no browser)."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime

import numpy as np
import pytest

from awa import query
from awa.chem import species
from awa.figures.compare import comparison_rows, per_spin_ratio
from awa.figures.species import species_csv, species_timeline_figure
from awa.model import FilterError, Selection, TimeRange, parse_time_ranges
from awa.model.species_url import SpeciesState
from awa.pages import compare as compare_page
from awa.pages import species as species_page
from awa.query.results import Hist2D, SpeciesComparison, SpeciesSide
from awa.settings import Settings
from tests.builtstore import SimulatedStores

DAY = parse_time_ranges("1986-039")


def _side(
    counts: list[int], weighted: list[float], spins: int, grid: list[list[float]]
) -> SpeciesSide:
    h = Hist2D(
        np.asarray(grid, dtype=float), np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 4.0]), 0, 0
    )
    return SpeciesSide(
        h, h, np.asarray(counts), np.asarray(weighted, dtype=float), spins, spins * 5.6
    )


def test_comparison_table_shares_ratios_and_poisson_errors() -> None:
    cmp = SpeciesComparison(
        names=("H+", "O+", "other", "no mass"),
        a=_side([900, 100, 0, 50], [1800.0, 200.0, 0.0, 0.0], 100, [[5, 20], [30, 0]]),
        b=_side([800, 400, 0, 10], [1600.0, 1600.0, 0.0, 0.0], 200, [[40, 20], [3, 9]]),
        weighted=True,
    )
    rows = {r["species"]: r for r in comparison_rows(cmp)}
    assert rows["O+"]["A share"] == pytest.approx(0.1)
    assert rows["O+"]["A share err"] == pytest.approx(math.sqrt(0.1 * 0.9 / 1000))
    assert rows["O+"]["B share"] == pytest.approx(400 / 1200)
    assert rows["O+"]["B/A"] == pytest.approx((1600 / 200) / (200 / 100))
    assert rows["O+"]["B/A err"] == pytest.approx(4.0 * math.sqrt(1 / 100 + 1 / 400))
    assert rows["H+"]["B/A"] == pytest.approx((1600 / 200) / (1800 / 100))
    assert math.isnan(rows["other"]["B/A"])
    assert math.isnan(rows["no mass"]["A share"])
    ratio, masked = per_spin_ratio(cmp, min_counts=10)
    # bin (0,0): A 5 < 10 -> masked; (0,1): 20/20 per spin 0.2/0.1... ratio (20/200)/(20/100)
    assert masked.tolist() == [[True, False], [True, True]]
    assert ratio[0, 1] == pytest.approx(math.log10(0.5))
    assert np.isnan(ratio[0, 0])


def test_species_csv_and_figure_panels(sim_store: SimulatedStores) -> None:
    key = query.store_key(sim_store.folder)
    regions = species.default_regions()
    series = query.species_counts(key, Selection(times=DAY), regions, "hour")
    rows = list(csv.DictReader(io.StringIO(species_csv(series))))
    assert len(rows) == len(series.start)
    assert rows[0]["start_utc"] == "1986-02-08T00:00:00.000Z"
    assert [int(r["count O+"]) for r in rows] == series.counts[:, 3].tolist()
    assert float(rows[5]["rate H+ (1/s)"]) == pytest.approx(series.rates()[5, 0], rel=1e-7)
    fig = species_timeline_figure(series, "rates", ("H+", "O+"), (("O+", "H+"),), "t", None)
    names = [t.name for t in fig.data]
    assert names == ["H+", "O+", "O+/H+", "Kp", "Dst"]
    np.testing.assert_allclose(np.asarray(fig.data[1].y, dtype=float), series.rates()[:, 3])


def test_region_drag_and_zoom_update_the_state() -> None:
    state = SpeciesState(selection=Selection(times=DAY))
    moved = species_page.edited_regions(
        state, {"shapes[5].x0": 9.0, "shapes[5].x1": 30.0, "shapes[5].y0": 8.5}, offset=2
    )
    assert moved[3] == species.SpeciesRegion("O+", 9.0, 30.0, 8.5, 30.0)
    assert species_page.edited_regions(state, {"xaxis.range[0]": 1}, offset=0) is None
    with pytest.raises(FilterError, match="must be positive"):
        species_page.edited_regions(state, {"shapes[0].x0": -2.0}, offset=0)
    zoom = species_page.zoomed(
        state, {"xaxis.range[0]": "1986-02-08 06:10:22.5", "xaxis.range[1]": "1986-02-08 09:00"}
    )
    assert zoom is not None
    assert zoom.selection.times == (
        TimeRange(datetime(1986, 2, 8, 6, 10), datetime(1986, 2, 8, 9, 1)),
    )
    assert zoom.cadence == "cycle"
    assert species_page.zoomed(state, {"xaxis.autorange": True}) is None


def test_page_views_on_the_store(store_settings: Settings) -> None:
    state = species_page.resolve(store_settings, SpeciesState())
    assert state.selection.times == DAY
    fig, caption = species_page.timeline_view(store_settings, state)
    assert "accumulation time" in caption
    assert "O+ M/Q 10-28 amu/e" in caption
    assert [t.name for t in fig.data][:4] == ["H+", "He++", "He+", "O+"]
    mmq, offset = species_page.mmq_view(store_settings, state)
    assert len(mmq.layout.shapes) - offset == len(state.regions)
    assert mmq.layout.shapes[offset + 3].editable is True
    cmp_state = SpeciesState(
        selection=Selection(times=parse_time_ranges("1986-039-0000:0600")),
        times_b=parse_time_ranges("1986-039-0800:1400"),
    )
    _fig, tab, cap = compare_page.compare_view(store_settings, cmp_state)
    assert "grey where A or B holds fewer than 10 events" in cap
    assert "O+" in str(tab)


def test_long_cycle_spans_are_drawn_per_hour(store_settings: Settings) -> None:
    from dataclasses import replace

    state = SpeciesState(
        selection=Selection(times=parse_time_ranges("1986-02-01T00:00/1986-02-10T00:00")),
        cadence="cycle",
    )
    fig, caption = species_page.timeline_view(store_settings, state)
    assert "this span is drawn per hour" in caption
    assert fig.layout.title.text.startswith("Species per hour")
    short = replace(state, selection=Selection(times=DAY))
    fig, caption = species_page.timeline_view(store_settings, short)
    assert "drawn per hour" not in caption
    assert fig.layout.title.text.startswith("Species per cycle")


@pytest.mark.parametrize("weighted", [True, False])
def test_comparison_table_headers_say_what_is_weighted(weighted: bool) -> None:
    from awa.pages.compare import table

    row = {"species": "O+", "A events": 10, "B events": 50, "A per spin": 0.1,
           "B per spin": 0.5, "A share": 0.05, "A share err": 0.01, "B share": 0.2,
           "B share err": 0.02, "B/A": 5.0, "B/A err": 1.0}  # fmt: skip
    heads = [th.children for th in table([row], weighted).children[0].children.children]
    per = "per spin, BR/R weighted" if weighted else "per spin"
    assert heads == ["species", "A events", "B events", f"A {per}", f"B {per}",
                     "A share of events", "B share of events", f"B/A {per}"]  # fmt: skip
