"""Tests of awa.chem.physics: spec section 4 conversions, 5 worked values, 6 grid."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from awa.chem import me_boxes, physics

PAPS_21_9 = 21.9


def _table(name: str) -> pd.DataFrame:
    with resources.files("awa.chem").joinpath("tables", name).open("r") as handle:
        return pd.read_csv(handle)


# ---------------------------------------------------------------------------------------
# Channel conversions, E/Q steps, PAPS levels
# ---------------------------------------------------------------------------------------


def test_channel_conversions() -> None:
    e = physics.energy_kev(np.array([0, 1023, 512], dtype=np.int16))
    t = physics.tof_ns(np.array([0, 1023, 512], dtype=np.int16))
    assert e.dtype == np.float64
    assert t.dtype == np.float64
    np.testing.assert_allclose(e, [0.0, 1500.0, 512 * 1500 / 1023])
    np.testing.assert_allclose(t, [0.0, 320.0, 512 * 320 / 1023])
    assert physics.E_KEV_PER_CHANNEL * physics.CHANNEL_MAX == pytest.approx(1500.0)
    assert physics.T_NS_PER_CHANNEL * physics.CHANNEL_MAX == pytest.approx(320.0)
    np.testing.assert_array_equal(e, np.array([0, 1023, 512]) * physics.E_KEV_PER_CHANNEL)


def test_non_numeric_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="energy_ch"):
        physics.energy_kev(np.array(["a", "b"]))


def test_epq_uses_revised_column() -> None:
    table = _table("epq_steps.csv")
    steps = table["voltage_step"].to_numpy()
    np.testing.assert_array_equal(physics.epq_kev(steps), table["epq_revised_kev_per_e"])
    assert physics.epq_kev(33)[()] == pytest.approx(22.32)  # measured column says 22.8
    assert physics.epq_kev(24)[()] == pytest.approx(10.2)
    assert np.isnan(physics.epq_kev(np.array([-1, 64, 100]))).all()


def test_paps_levels() -> None:
    levels = np.array([1, 2, 3, 4, 5, 6, -1, 0, 7, 8])
    kv = physics.paps_kv(levels)
    np.testing.assert_allclose(kv[:6], [14.0, 15.3, 17.0, 18.8, 21.9, 24.1])
    assert np.isnan(kv[6:]).all()


# ---------------------------------------------------------------------------------------
# dE/dx
# ---------------------------------------------------------------------------------------


def test_dedx_at_table_points() -> None:
    table = _table("cfoil_dedx.csv")
    energies = table.iloc[:, 0].to_numpy()
    masses = [float(c.rsplit("_m", 1)[1]) for c in table.columns[1:]]
    for j, mass in enumerate(masses):
        got = physics.dedx(energies, mass)
        np.testing.assert_allclose(got, table.iloc[:, j + 1].to_numpy(), rtol=1e-12)


def test_dedx_between_points() -> None:
    # log-log in energy: at the geometric mean of two rows, the geometric mean of values
    epn = math.sqrt(25.0 * 40.0)
    assert physics.dedx(epn, 1.0)[()] == pytest.approx(math.sqrt(0.6 * 0.7), rel=1e-12)
    # linear in mass between bracketing species columns (H 1.0 and He 3.97 at 25 keV/amu)
    mid = (1.0 + 3.97) / 2
    assert physics.dedx(25.0, mid)[()] == pytest.approx((0.6 + 1.25) / 2, rel=1e-12)
    # both at once (spec section 4): linear in mass at each bracketing energy row, then
    # log-log in energy between the two: a quarter of the way from O (15.87) to Ne (20.02)
    m = 15.87 + 0.25 * (20.02 - 15.87)
    at_25 = 4.05 + 0.25 * (4.15 - 4.05)
    at_40 = 5.0 + 0.25 * (5.27 - 5.0)
    assert physics.dedx(epn, m)[()] == pytest.approx(math.sqrt(at_25 * at_40), rel=1e-12)


def test_dedx_extrapolates_beyond_the_table() -> None:
    # spec section 4: mass < 1 is 1 and energy < 1e-5 is 1e-5; beyond the last column or
    # row (and below the first row) the outermost two are extrapolated, never clamped.
    got = physics.dedx([25.0, 25.0], [0.5, 0.2])
    np.testing.assert_allclose(got, [0.6, 0.6], rtol=1e-12)
    fe, kr = 55.41, 83.14
    above_mass = 8.38 + (200.0 - kr) * (8.38 - 7.40) / (kr - fe)
    assert physics.dedx(25.0, 200.0)[()] == pytest.approx(above_mass, rel=1e-12)
    slope = math.log(0.04 / 0.23) / math.log(10000.0 / 1000.0)
    above_e = 0.23 * math.exp(slope * math.log(1e5 / 1000.0))
    assert physics.dedx(1e5, 1.0)[()] == pytest.approx(above_e, rel=1e-12)
    slope = math.log(0.18 / 0.16) / math.log(1.5)
    below_e = 0.16 * math.exp(slope * math.log(0.1))
    assert physics.dedx(0.1, 1.0)[()] == pytest.approx(below_e, rel=1e-12)
    assert physics.dedx(0.0, 1.0)[()] == pytest.approx(
        0.16 * math.exp(slope * math.log(1e-5)), rel=1e-12
    )
    assert np.isnan(physics.dedx([np.nan, 10.0], [1.0, np.nan])).all()


# ---------------------------------------------------------------------------------------
# Mass fit and its inverse
# ---------------------------------------------------------------------------------------


def test_mass_fit_formula_and_validity() -> None:
    e, t = 100.0, 50.0
    x, y = math.log(e), math.log(t)
    a1, a2, a3, a4, a5, a6 = physics.MASS_FIT
    expected = math.exp(a1 + a2 * x + a3 * y + a4 * x * y + a5 * x * x + a6 * y**3)
    got = physics.mass_amu([e, 20.0, 19.0, 100.0, 100.0], [t, 50.0, 50.0, 0.0, -3.0])
    assert got[0] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_array_equal(got[1:], 0.0)


def test_invert_mass_fit_inverts_mass_amu() -> None:
    rng = np.random.default_rng(3)
    mass = rng.uniform(0.8, 60.0, 2000)
    t = rng.uniform(15.0, 300.0, 2000)
    e = physics.invert_mass_fit(mass, t)
    ok = np.isfinite(e) & (e > physics.MASS_FIT_MIN_E_KEV)
    assert ok.mean() > 0.5
    np.testing.assert_allclose(physics.mass_amu(e[ok], t[ok]), mass[ok], rtol=1e-9)
    assert np.isnan(physics.invert_mass_fit([0.0, -1.0, 4.0], [50.0, 50.0, 0.0])).all()


# ---------------------------------------------------------------------------------------
# Worked values of spec section 5 and the forward model
# ---------------------------------------------------------------------------------------


def _forward(mass: float, charge: int, step: int, paps: float) -> tuple[float, float, float]:
    """Spec section 5: energy after the foil (keV), T (ns), measured energy (keV)."""
    e_in = charge * (float(physics.epq_kev(step)[()]) + paps)
    after = e_in - float(physics.dedx(e_in / mass, mass)[()]) * physics.FOIL_UG_CM2
    t = physics.TOF_CONSTANT / math.sqrt(after / mass)
    return after, t, float(physics.invert_mass_fit(mass, t)[()])


WORKED = [
    # name, mass, charge, step, after-foil keV (or None), T ns, measured keV
    ("H+", 1.0, 1, 24, 28.9, 44.6, 30.0),
    ("O+", 15.87, 1, 40, 53.9, 130.1, 25.8),
    ("O6+", 15.87, 6, 24, None, 71.6, 121.0),
]


@pytest.mark.parametrize(("name", "mass", "charge", "step", "after", "t", "e"), WORKED)
def test_worked_values_convert_back(
    name: str, mass: float, charge: int, step: int, after: float | None, t: float, e: float
) -> None:
    m = physics.mass_amu(e, t)[()]
    mpq = physics.mass_per_charge(t, m, step, PAPS_21_9)[()]
    assert m == pytest.approx(mass, rel=0.03), name
    assert mpq == pytest.approx(mass / charge, rel=0.03), name


@pytest.mark.parametrize(("name", "mass", "charge", "step", "after", "t", "e"), WORKED)
def test_forward_model_reproduces_worked_values(
    name: str, mass: float, charge: int, step: int, after: float | None, t: float, e: float
) -> None:
    got_after, got_t, got_e = _forward(mass, charge, step, PAPS_21_9)
    if after is not None:
        assert got_after == pytest.approx(after, abs=0.05), name
    assert got_t == pytest.approx(t, abs=0.05), name
    assert got_e == pytest.approx(e, rel=0.005), name


@pytest.mark.parametrize("species", physics.SPECIES, ids=lambda s: s.name)
def test_forward_model_round_trip_all_steps(species: physics.Species) -> None:
    steps = np.arange(64)
    for paps in (14.0, 21.9, 24.1):
        e_in = species.charge * (physics.epq_kev(steps) + paps)
        after = e_in - physics.dedx(e_in / species.mass, species.mass) * physics.FOIL_UG_CM2
        t = physics.TOF_CONSTANT / np.sqrt(after / species.mass)
        e = physics.invert_mass_fit(species.mass, t)
        ok = e > 25.0
        assert ok.sum() > 10
        m = physics.mass_amu(e[ok], t[ok])
        mpq = physics.mass_per_charge(t[ok], m, steps[ok], paps)
        np.testing.assert_allclose(m, species.mass, rtol=1e-9)
        np.testing.assert_allclose(mpq, species.mpq, rtol=0.03)


# ---------------------------------------------------------------------------------------
# M/Q algorithm against a scalar reference of steps 1-6
# ---------------------------------------------------------------------------------------


def _reference_mpq(t: float, m: float, step: int, p: float) -> float:
    if math.isnan(p):
        return math.nan
    if t <= 0:
        return 0.0
    epq = float(physics.epq_kev(step)[()])
    mass = m
    if m < 0.1:
        mpq1 = (t / 239.89) ** 2 * (epq + p - 4.0)
        mass = 1.0 if mpq1 <= 1.5 else (3.97 if mpq1 <= 6.0 else 15.87)

    def once(mass: float) -> float:
        # spec section 4 steps 3-4: EPN[n] for n = 1..11; divide by EPN[n] at the first n
        # with |EPN[n+1] - EPN[n]| <= 0.01, else by EPN[10]
        epn = [math.nan, (239.89 / t) ** 2]
        stop = 10
        for n in range(1, 11):
            epn.append(epn[1] + float(physics.dedx(epn[n], mass)[()]) * 4.9 / mass)
            if abs(epn[n + 1] - epn[n]) <= 0.01:
                stop = n
                break
        return (epq + p) / epn[stop]

    mpq = once(mass)
    if m != 0 and (6 < mpq < 23 or (mpq < 6 and m > 7)):
        mpq = once(15.87)
    return max(0.0, mpq)


def test_mass_per_charge_matches_scalar_reference() -> None:
    rng = np.random.default_rng(11)
    n = 400
    t = rng.uniform(-5.0, 320.0, n)
    m = np.where(rng.random(n) < 0.3, 0.0, rng.uniform(0.5, 40.0, n))
    step = rng.integers(0, 64, n)
    p = physics.paps_kv(rng.integers(-1, 9, n))
    got = physics.mass_per_charge(t, m, step, p)
    expected = np.array([_reference_mpq(*args) for args in zip(t, m, step, p, strict=True)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    assert np.isnan(got[np.isnan(p)]).all()
    assert (got[(t <= 0) & np.isfinite(p)] == 0).all()


def test_oxygen_reiteration_rule() -> None:
    step, p = 30, 21.9

    def with_mass(t: float, mass: float) -> float:
        # M/Q from steps 3-4 with a fixed mass, no re-iteration
        e = float(physics.epq_kev(step)[()]) + p
        epn1 = (239.89 / t) ** 2
        epn = epn1
        for n in range(1, 11):
            new = epn1 + float(physics.dedx(epn, mass)[()]) * 4.9 / mass
            if abs(new - epn) <= 0.01 or n == 10:
                break  # M/Q divides by the iterate before this update (EPN_10 at most)
            epn = new
        return e / epn

    # M = 10 with M/Q in (6, 23): recomputed with oxygen mass
    t_heavy = 239.89 * math.sqrt(12.0 / (float(physics.epq_kev(step)[()]) + p))
    got = physics.mass_per_charge(t_heavy, 10.0, step, p)[()]
    assert 6 < with_mass(t_heavy, 10.0) < 23
    assert got == pytest.approx(with_mass(t_heavy, 15.87), rel=1e-12)
    assert got != pytest.approx(with_mass(t_heavy, 10.0), rel=1e-4)
    # M/Q < 6 with M > 7: oxygen; with M <= 7: kept
    t_light = 239.89 * math.sqrt(3.0 / (float(physics.epq_kev(step)[()]) + p))
    assert physics.mass_per_charge(t_light, 8.0, step, p)[()] == pytest.approx(
        with_mass(t_light, 15.87), rel=1e-12
    )
    assert physics.mass_per_charge(t_light, 5.0, step, p)[()] == pytest.approx(
        with_mass(t_light, 5.0), rel=1e-12
    )
    # doubles (M = 0) never re-iterate: the assumed mass stays
    mpq1 = (t_light / 239.89) ** 2 * (float(physics.epq_kev(step)[()]) + p - 4.0)
    assert 1.5 < mpq1 <= 6.0
    assert physics.mass_per_charge(t_light, 0.0, step, p)[()] == pytest.approx(
        with_mass(t_light, 3.97), rel=1e-12
    )


def test_convert_events_keys_and_dtypes() -> None:
    out = physics.convert_events(
        np.array([0, 20, 500], dtype=np.int16),
        np.array([150, 300, 0], dtype=np.int16),
        np.array([24, 24, 24], dtype=np.int8),
        np.array([5, 0, 5], dtype=np.int8),
    )
    assert set(out) == {"E_keV", "T_ns", "mass", "mpq"}
    assert all(v.dtype == np.float64 and v.shape == (3,) for v in out.values())
    assert out["mass"][0] == 0.0  # no energy
    assert np.isnan(out["mpq"][1])  # PAPS level 0: no voltage
    assert out["mpq"][2] == 0.0  # T = 0


def test_species_table() -> None:
    frame = physics.species_frame()
    assert list(frame["name"]) == ["H+", "He++", "He+", "O+", "O++", "O6+", "C6+"]
    assert dict(zip(frame["name"], frame["mass"], strict=True))["C6+"] == 11.92
    o6 = next(s for s in physics.SPECIES if s.name == "O6+")
    assert o6.mpq == pytest.approx(15.87 / 6)


# ---------------------------------------------------------------------------------------
# ME boxes
# ---------------------------------------------------------------------------------------


def test_me_boxes_geometry() -> None:
    boxes = me_boxes.me_boxes()
    raw = _table("me_boxes.csv")
    assert len(boxes) == 491
    cols = ["me", "x0", "y0", "width", "height", "kind"]
    pd.testing.assert_frame_equal(boxes[cols], raw[cols], check_dtype=False)
    assert list(boxes.columns[6:]) == [
        "nq_lo",
        "nm_lo",
        "mpq_lo",
        "mpq_hi",
        "mass_lo",
        "mass_hi",
    ]
    np.testing.assert_array_equal(boxes["nq_lo"], raw["x0"] - 1)
    np.testing.assert_allclose(boxes["mpq_lo"], 0.6837 * 1.05 ** (raw["x0"] - 1))
    np.testing.assert_allclose(boxes["mpq_hi"], 0.6837 * 1.05 ** (raw["x0"] + raw["width"] - 1))
    np.testing.assert_allclose(boxes["mass_hi"], 0.6854 * 1.2 ** (raw["y0"] + raw["height"] - 1))
    assert (boxes.loc[boxes["kind"] == "double", "me"] == np.arange(48)).all()
    assert list(boxes.loc[boxes["kind"] == "background", "me"]) == [252, 253, 254, 255, 256]


def test_me_grid_is_the_box_table_on_integer_cells() -> None:
    grid = me_boxes.me_grid()
    boxes = me_boxes.me_boxes()
    ny, nx = grid.cells.shape
    assert nx == int((boxes["x0"] + boxes["width"]).max()) == grid.doubles.shape[0]
    assert ny == int((boxes["y0"] + boxes["height"]).max())
    np.testing.assert_allclose(grid.mpq_edges, me_boxes.grid_to_mpq(np.arange(nx + 1)))
    np.testing.assert_allclose(grid.mass_edges, me_boxes.grid_to_mass(np.arange(ny + 1)))
    # every box but the background ones owns all of its cells; the background only its rest
    for box in boxes.itertuples(index=False):
        if box.kind == "double":
            assert (grid.doubles[box.x0 : box.x0 + box.width] == box.me).all()
        elif box.kind == "triple":
            area = grid.cells[box.y0 : box.y0 + box.height, box.x0 : box.x0 + box.width]
            assert (area == box.me).all()
    assert set(np.unique(grid.cells)) == {-1} | set(boxes.loc[boxes["kind"] != "double", "me"])
    # shared (cached) arrays cannot be changed by a caller
    with pytest.raises(ValueError, match="read-only"):
        grid.cells[0, 0] = 7
    assert me_boxes.me_grid() is grid


def test_me_box_of_box_centres() -> None:
    boxes = me_boxes.me_boxes()
    x = boxes["x0"] + boxes["width"] / 2
    y = boxes["y0"] + boxes["height"] / 2
    mpq = me_boxes.grid_to_mpq(x.to_numpy())
    mass = np.where(boxes["kind"] == "double", 0.0, me_boxes.grid_to_mass(y.to_numpy()))
    got = me_boxes.me_box_of(mass, mpq)
    normal = (boxes["kind"] != "background").to_numpy()
    np.testing.assert_array_equal(got[normal], boxes["me"].to_numpy()[normal])
    # box corners (lower-left, inclusive) too
    corner = me_boxes.me_box_of(
        np.where(normal & (boxes["kind"] == "double"), 0.0, me_boxes.grid_to_mass(boxes["y0"])),
        me_boxes.grid_to_mpq(boxes["x0"]),
    )
    np.testing.assert_allclose(corner[normal], boxes["me"].to_numpy()[normal])


def test_me_box_of_background_and_outside() -> None:
    # H+ (M 1, M/Q 1) lies in triple box 55, not in a background box
    assert me_boxes.me_box_of(1.0, 1.0)[()] == 55
    # grid cell x = 22, y = 3 is inside background box 253 and covered by no other box
    mass = me_boxes.grid_to_mass(3.5)
    mpq = me_boxes.grid_to_mpq(22.5)
    assert me_boxes.me_box_of(mass, mpq)[()] == 253
    # doubles use M/Q only, whatever lies above them
    assert me_boxes.me_box_of(0.0, me_boxes.grid_to_mpq(22.5))[()] == 11
    got = me_boxes.me_box_of([1.0, 1.0, -1.0, np.nan, 1.0, 1e4], [0.0, 1e4, 1.0, 1.0, np.nan, 1.0])
    np.testing.assert_array_equal(got, -1)


# ---------------------------------------------------------------------------------------
# A million events at once (speed is measured in bench/, not here)
# ---------------------------------------------------------------------------------------


def test_one_million_events_vectorised() -> None:
    rng = np.random.default_rng(5)
    n = 1_000_000
    energy = rng.integers(0, 1024, n).astype(np.int16)
    tof = rng.integers(1, 1024, n).astype(np.int16)
    step = rng.integers(0, 64, n).astype(np.int8)
    paps = np.full(n, 5, dtype=np.int8)
    out = physics.convert_events(energy, tof, step, paps)
    assert np.isfinite(out["mpq"]).all()
    # the whole-array result equals the result of any slice converted on its own
    part = physics.convert_events(energy[:1000], tof[:1000], step[:1000], paps[:1000])
    for key in ("E_keV", "T_ns", "mass", "mpq"):
        np.testing.assert_array_equal(out[key][:1000], part[key])
    boxes = me_boxes.me_box_of(out["mass"], out["mpq"])
    assert (boxes >= -1).all()


# ---------------------------------------------------------------------------------------
# Reference values of spec section 4 (the science team's compiled MASS and MASSPERQ)
# ---------------------------------------------------------------------------------------

#: Energy ch, TOF ch, voltage step, PAPS kV, mass (amu), M/Q (amu/e): spec section 4 table.
REFERENCE_ROWS = [
    (20, 143, 20, 21.9, 0.981644, 0.909231),
    (21, 143, 20, 21.9, 1.03075, 0.912748),
    (18, 416, 35, 21.9, 16.3404, 12.056),
    (83, 229, 20, 21.9, 15.9682, 2.3998),
    (0, 143, 20, 21.9, 0.0, 0.910979),
    (0, 300, 40, 21.9, 0.0, 8.74253),
    (0, 600, 50, 21.9, 0.0, 55.3281),
    (150, 500, 10, 14.0, 711.89, 5.91639),
    (300, 250, 5, 24.1, 115.817, 2.5553),
    (60, 700, 60, 17.0, 843.861, 181.687),
    (40, 900, 63, 18.8, 1590.33, 360.698),
    (500, 90, 30, 21.9, 10.5597, 0.519456),
    (12, 400, 45, 21.9, 0.0, 19.9092),
]


@pytest.mark.parametrize(("energy", "tof", "step", "paps", "mass", "mpq"), REFERENCE_ROWS)
def test_reference_values(
    energy: int, tof: int, step: int, paps: float, mass: float, mpq: float
) -> None:
    t = physics.tof_ns(tof)
    m = physics.mass_amu(physics.energy_kev(energy), t)
    got = physics.mass_per_charge(t, m, step, paps)[()]
    assert m[()] == pytest.approx(mass, rel=1e-4, abs=0.0)
    assert got == pytest.approx(mpq, rel=1e-4)


def test_reference_values_vectorised() -> None:
    rows = np.array(REFERENCE_ROWS)
    converted = physics.convert_events(rows[:, 0], rows[:, 1], rows[:, 2], [5] * len(rows))
    t = physics.tof_ns(rows[:, 1])
    got = physics.mass_per_charge(t, converted["mass"], rows[:, 2], rows[:, 3])
    np.testing.assert_allclose(converted["mass"], rows[:, 4], rtol=1e-4)
    np.testing.assert_allclose(got, rows[:, 5], rtol=1e-4)


def test_mpq_monotone_in_tof_at_fixed_mass() -> None:
    # a measured mass below 7 amu with M/Q < 6 is never switched to oxygen (step 5), so
    # M/Q grows with T at fixed mass
    tof = np.linspace(60.0, 300.0, 400)
    for mass in (1.0, 3.97):
        mpq = physics.mass_per_charge(tof, np.full_like(tof, mass), 20, 21.9)
        small = mpq < 6
        assert np.all(np.diff(mpq[small]) > 0)


@pytest.mark.parametrize(("species", "expected"), [("H+", 1.0), ("O+", 15.87)])
def test_species_land_on_their_mpq(species: str, expected: float) -> None:
    # an ion of the species' mass and charge 1 entering at E/Q + P: invert steps 3-4
    # through the forward model (the foil loss of spec section 5) and convert back
    mass = expected
    step, paps = 20, 21.9
    e_in = float(physics.epq_kev(step)[()]) + paps
    after = e_in - float(physics.dedx(e_in / mass, mass)[()]) * physics.FOIL_UG_CM2
    t = physics.TOF_CONSTANT / math.sqrt(after / mass)
    got = physics.mass_per_charge(t, mass, step, paps)[()]
    assert got == pytest.approx(expected, rel=0.01), species
