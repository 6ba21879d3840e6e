"""Species regions of the M-M/Q plane (awa.chem.species) against the table and the simulator."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from awa.chem import me_boxes, physics
from awa.chem import species as S
from awa.chem.physics import read_table
from data_build import simulate as sim_mod
from tests.test_simulate import _converted, _events

REGIONS = S.default_regions()
NAMES = S.code_names(REGIONS)


def test_default_regions_are_the_table_in_order() -> None:
    table = read_table("species_regions.csv")
    assert [r.name for r in REGIONS] == list(table["region"])
    assert NAMES[-2:] == ["other", "no mass"]
    for r, row in zip(REGIONS, table.itertuples(index=False), strict=True):
        assert (r.mpq_min, r.mpq_max, r.mass_min, r.mass_max) == (
            row.mpq_min, row.mpq_max, row.mass_min, row.mass_max,
        )


@pytest.mark.parametrize(
    ("species", "region"),
    [("H+", "H+"), ("He++", "He++"), ("He+", "He+"), ("O+", "O+"), ("O++", "O++"),
     ("O6+", "C/O high"), ("C6+", "C/O high")],
)
def test_reference_species_fall_in_their_region(species: str, region: str) -> None:
    sp = next(s for s in physics.SPECIES if s.name == species)
    assert NAMES[S.classify([sp.mass], [sp.mpq])[0]] == region


def test_classify_matches_the_table_row_by_row() -> None:
    """Every point classifies to the first table row whose half-open rectangle holds it."""
    rng = np.random.default_rng(3)
    mass = np.exp(rng.uniform(np.log(0.2), np.log(60.0), 20_000))
    mpq = np.exp(rng.uniform(np.log(0.3), np.log(60.0), 20_000))
    # include every bound exactly: lower bounds are inside, upper bounds outside
    for r in REGIONS:
        mid_q = math.sqrt(r.mpq_min * r.mpq_max)
        mid_m = math.sqrt(r.mass_min * r.mass_max)
        mass = np.append(mass, [mid_m, mid_m, r.mass_min, r.mass_max])
        mpq = np.append(mpq, [r.mpq_min, r.mpq_max, mid_q, mid_q])
    table = read_table("species_regions.csv")
    expected = np.full(mass.size, S.other_code(REGIONS))
    for i in range(mass.size):
        for j, row in enumerate(table.itertuples(index=False)):
            if row.mpq_min <= mpq[i] < row.mpq_max and row.mass_min <= mass[i] < row.mass_max:
                expected[i] = j
                break
    np.testing.assert_array_equal(S.classify(mass, mpq), expected)


def test_events_without_mass_or_mpq_are_no_mass() -> None:
    codes = S.classify([0.0, 16.0, 1.0, np.nan, -1.0], [1.0, np.nan, 0.0, 1.0, 1.0])
    assert set(codes) == {S.no_mass_code(REGIONS)}


def test_first_region_wins_where_regions_overlap() -> None:
    a = S.SpeciesRegion("A", 1.0, 3.0, 1.0, 3.0)
    b = S.SpeciesRegion("B", 2.0, 4.0, 2.0, 4.0)
    codes = S.classify([2.5, 3.5, 1.5, 5.0], [2.5, 3.5, 1.5, 5.0], (a, b))
    np.testing.assert_array_equal(codes, [0, 1, 0, 2])
    np.testing.assert_array_equal(S.classify([2.5], [2.5], (b, a)), [0])


@pytest.mark.parametrize(
    ("region", "message"),
    [
        (S.SpeciesRegion("", 1, 2, 1, 2), "1 to 24 characters"),
        (S.SpeciesRegion("other", 1, 2, 1, 2), "reserved"),
        (S.SpeciesRegion("X", 2, 1, 1, 2), "M/Q bounds 2-1"),
        (S.SpeciesRegion("X", 1, 2, 0, 2), "mass bounds 0-2"),
        (S.SpeciesRegion("X", 1, math.inf, 1, 2), "M/Q bounds"),
        (S.SpeciesRegion("X", math.nan, 2, 1, 2), "M/Q bounds"),
    ],
)
def test_bad_regions_are_refused_with_a_message(region: S.SpeciesRegion, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        S.classify([1.0], [1.0], (region,))


def test_repeated_or_no_regions_are_refused() -> None:
    r = S.SpeciesRegion("X", 1, 2, 1, 2)
    with pytest.raises(ValueError, match="given twice"):
        S.validate_regions((r, r))
    with pytest.raises(ValueError, match="no species regions"):
        S.validate_regions(())
    with pytest.raises(ValueError, match="shape"):
        S.classify([1.0, 2.0], [1.0])


def test_me_box_codes_follow_the_box_centres() -> None:
    codes = S.me_box_codes()
    boxes = me_boxes.me_boxes()
    assert codes.shape == (491,)
    assert set(codes[:48]) == {S.no_mass_code(REGIONS)}  # doubles: no mass
    assert set(codes[252:257]) == {S.other_code(REGIONS)}  # background boxes
    triples = boxes.index[boxes["kind"] == "triple"]
    xc = boxes.loc[triples, "x0"] + boxes.loc[triples, "width"] / 2
    yc = boxes.loc[triples, "y0"] + boxes.loc[triples, "height"] / 2
    np.testing.assert_array_equal(
        codes[triples],
        S.classify(me_boxes.grid_to_mass(yc.to_numpy()), me_boxes.grid_to_mpq(xc.to_numpy())),
    )
    # the box holding each reference species is that species' box
    for sp, region in (("H+", "H+"), ("He++", "He++"), ("He+", "He+"), ("O+", "O+")):
        ref = next(s for s in physics.SPECIES if s.name == sp)
        box = int(me_boxes.me_box_of([ref.mass], [ref.mpq])[0])
        assert NAMES[codes[box]] == region, sp


def test_me_species_counts_sum_the_boxes() -> None:
    rng = np.random.default_rng(5)
    me = rng.integers(0, 50, size=(7, 512))
    me[0, 3] = -1  # fill counts as 0
    counts = S.me_species_counts(me)
    assert counts.shape == (7, len(NAMES))
    box_codes = S.me_box_codes()
    clean = np.clip(me[:, :491], 0, None)
    np.testing.assert_array_equal(counts.sum(axis=1), clean.sum(axis=1))
    o_plus = NAMES.index("O+")
    np.testing.assert_array_equal(counts[:, o_plus], clean[:, box_codes == o_plus].sum(axis=1))
    with pytest.raises(ValueError, match="shape"):
        S.me_species_counts(np.zeros((3, 100)))


@pytest.fixture(scope="module")
def storm_and_quiet() -> dict[str, pd.DataFrame]:
    out = {}
    for label, day in (("quiet", dt.date(1986, 2, 5)), ("storm", dt.date(1986, 2, 9))):
        sim = sim_mod.simulate_day(day, 1)
        ev = _events(sim)
        conv = _converted(sim, ev)
        truth = sim.truth.events
        clean = ~(truth["tof_1019"] | truth["ssdid_invalid"] | truth["range3"]).to_numpy()
        triple = clean & (ev["Energy"] > 0) & np.isfinite(conv["mpq"])
        out[label] = pd.DataFrame(
            {
                "truth": truth["species"].to_numpy()[triple].astype(str),
                "region": np.array(NAMES)[S.classify(conv["mass"], conv["mpq"])[triple]],
            }
        )
    return out


def test_regions_recover_the_simulated_species(storm_and_quiet: dict[str, pd.DataFrame]) -> None:
    """Simulated triples (spec section 5) of each species land in that species' region."""
    expected = {"H+": "H+", "He++": "He++", "He+": "He+", "O+": "O+", "O++": "O++",
                "O6+": "C/O high", "C6+": "C/O high"}
    for frame in storm_and_quiet.values():
        for sp, region in expected.items():
            mine = frame[frame["truth"] == sp]
            assert len(mine) > 500, sp
            assert (mine["region"] == region).mean() > 0.99, sp


def test_storm_day_carries_more_o_plus(storm_and_quiet: dict[str, pd.DataFrame]) -> None:
    frac = {k: (f["region"] == "O+").mean() for k, f in storm_and_quiet.items()}
    assert frac["storm"] > 3 * frac["quiet"] > 0
