"""Species regions as URL text: round trip, edits from dragged boxes, clear messages."""

from __future__ import annotations

import pytest

from awa.chem.species import SpeciesRegion, default_regions
from awa.model import FilterError
from awa.model.regions import format_regions, parse_regions, regions_from_boxes


def test_default_regions_are_the_empty_text() -> None:
    assert format_regions(default_regions()) == ""
    assert parse_regions("") == default_regions()
    assert parse_regions(" default ") == default_regions()
    assert parse_regions(None) == default_regions()


def test_edited_regions_round_trip() -> None:
    text = "H+:0.5,1.7,0.4,2.5; O+ storm:11,25,10,28"
    regions = parse_regions(text)
    assert regions == (
        SpeciesRegion("H+", 0.5, 1.7, 0.4, 2.5),
        SpeciesRegion("O+ storm", 11.0, 25.0, 10.0, 28.0),
    )
    assert format_regions(regions) == "H+:0.5,1.7,0.4,2.5;O+ storm:11,25,10,28"
    assert parse_regions(format_regions(regions)) == regions
    many = tuple(
        SpeciesRegion(f"region number {i:02d}", 1.234567, 2.5, 3.0, 44.4444) for i in range(32)
    )
    assert len(format_regions(many)) < 1500
    assert parse_regions(format_regions(many))[0].mpq_min == 1.235


def test_a_dragged_box_replaces_one_region() -> None:
    regs = default_regions()
    moved = regions_from_boxes(regs, {3: (30.0, 9.0, 8.0, 31.0)})
    assert moved[3] == SpeciesRegion("O+", 9.0, 30.0, 8.0, 31.0)
    assert moved[:3] == regs[:3]
    assert moved[4:] == regs[4:]
    with pytest.raises(FilterError, match="no region 9 to move"):
        regions_from_boxes(regs, {9: (1, 2, 3, 4)})
    with pytest.raises(FilterError, match="must be positive"):
        regions_from_boxes(regs, {0: (-1.0, 2.0, 3.0, 4.0)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("H+ 0.5,1,1,2", "region 1 'H\\+ 0.5,1,1,2' has no 'NAME:'"),
        ("H+:0.5,1,1", "region 'H\\+' needs 4 numbers, got 3"),
        ("H+:0.5,1,x,2", "region 'H\\+': 'x' is not a number"),
        ("H+:0.5,1,inf,2", "not a finite number"),
        ("H+:2,1,1,2", "M/Q bounds 2-1 amu/e must be positive"),
        ("H+:1,2,1,2;H+:3,4,1,2", "given twice"),
        ("other:1,2,1,2", "reserved"),
        (";".join(f"r{i}:1,2,1,2" for i in range(33)), "33 regions: at most 32"),
        ("x" * 2001, "too long"),
    ],
)
def test_bad_region_text_gets_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message) as info:
        parse_regions(text)
    assert str(info.value).startswith("sp: ")


def test_species_page_state_round_trips_through_the_url() -> None:
    from awa.model.species_url import SpeciesState, parse_species_query, species_query

    q = ("?t=1986-02-05&L=3,7&sp=H%2B:0.5,1.7,0.4,2.5;O%2B:11,25,10,28&cad=cycle&q=counts"
         "&show=O%2B&ratios=O%2B/H%2B&me=0&tb=1986-02-09&min=25&w=0")
    state, errors = parse_species_query(q)
    assert errors == []
    assert state.selection.l_range == (3.0, 7.0)
    assert [r.name for r in state.regions] == ["H+", "O+"]
    assert (state.cadence, state.quantity, state.shown, state.ratios) == (
        "cycle", "counts", ("O+",), (("O+", "H+"),))
    assert (state.me, state.min_counts, state.weighted) == (False, 25, False)
    assert state.selection_b is not None
    assert state.selection_b.l_range == (3.0, 7.0)
    assert state.selection_b.times[0].start.day == 9
    again, errors = parse_species_query(species_query(state))
    assert errors == []
    assert again == state
    assert species_query(SpeciesState()) == ""


def test_bad_species_page_values_are_reported_and_skipped() -> None:
    from awa.model.species_url import SpeciesState, parse_species_query

    state, errors = parse_species_query("?cad=week&ratios=O%2B&show=Xe%2B&min=0&sp=H%2B:1,2")
    assert state == SpeciesState()
    assert any(e.startswith("cad: 'week': give one of cycle, hour") for e in errors)
    assert any("give ratios as A/B" in e for e in errors)
    assert any("no species region 'Xe+'" in e for e in errors)
    assert any(e.startswith("sp: region 'H+' needs 4 numbers") for e in errors)
    assert any(e.startswith("min:") for e in errors)
