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
