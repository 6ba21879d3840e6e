"""The one table of names, dtypes, units, fill values and labels, and its store round trip."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from pathlib import Path

import pytest
import tables

from awa.chem import physics, schema, store_attrs
from data_build import simulate, stores


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated hours through the real pipeline: FITS file -> stores."""
    tmp = tmp_path_factory.mktemp("schema")
    sim = simulate.simulate_day(dt.date(1986, 2, 9), seed=5, config=simulate.SimConfig(hours=2))
    path = simulate.write_day(sim, tmp / "fits")
    stores.build_stores([path], tmp / "data", progress=None)
    return tmp / "data"


@pytest.mark.parametrize("spec", schema.STORES, ids=lambda s: s.key)
def test_units_read_back_from_a_built_store_equal_the_table(
    built: Path, spec: schema.StoreSpec
) -> None:
    units = store_attrs.read_units(built / spec.filename, spec.key)
    assert units == schema.store_units(spec)
    names = [*spec.columns, *(str(i) for i in spec.labels)]  # ME: labels 0..511
    assert list(units) == names
    assert all(units[c] == schema.QUANTITIES[c].units for c in names)


def test_read_units_from_an_open_handle(built: Path) -> None:
    spec = schema.RATES_STORE
    with tables.open_file(built / spec.filename) as h5:
        units = store_attrs.read_units(h5, spec.key)
        assert h5.isopen  # the caller's handle is left open
    assert units["Dst"] == "nT (hourly, WDC Kyoto; NaN = missing)"


def test_read_units_of_a_store_without_units(tmp_path: Path) -> None:
    path = tmp_path / "bare.h5"
    with tables.open_file(path, "w") as h5:
        group = h5.create_group("/", "ampte_hk")
        h5.create_table(group, "table", {"x": tables.Int32Col()})
    with pytest.raises(store_attrs.UnitsMissingError, match="rebuild"):
        store_attrs.read_units(path, "ampte_hk")


def test_store_dtypes_come_from_the_table() -> None:
    # The team's layout (spec section 7) has two per-store dtypes: L float64 in the PHA
    # index, PAPS_lvl int32 in HK.
    exceptions = {
        (schema.PHA_STORE.filename, "L"): "float64",
        (schema.CAL_PHA_STORE.filename, "L"): "float64",
        (schema.HK_STORE.filename, "PAPS_lvl"): "int32",
    }
    for spec in schema.STORES:
        for name, dtype in spec.columns.items():
            quantity = schema.QUANTITIES[name]
            assert quantity.stored
            assert dtype == exceptions.get((spec.filename, name), quantity.dtype)
    assert set(schema.UNITS) == {q.name for q in schema.QUANTITIES.values() if q.stored}


def test_fill_values() -> None:
    for name in ("L", "Dst", "Kp"):
        fill = schema.QUANTITIES[name].fill
        assert fill is not None
        assert math.isnan(fill)
        assert "NaN = missing" in schema.UNITS[name]
    assert schema.QUANTITIES["Energy"].fill is None


def test_labels() -> None:
    assert schema.label("Dst") == "Dst, nT"
    assert schema.label("T_ns") == "time of flight, ns"
    assert schema.label("mpq") == "mass per charge M/Q, amu/e"
    assert schema.label("SpinStartTime") == "time, UTC"
    with pytest.raises(KeyError, match="no quantity"):
        schema.label("nope")


@pytest.mark.parametrize(
    ("name", "scale"),
    [("Energy", physics.E_KEV_PER_CHANNEL), ("TOF", physics.T_NS_PER_CHANNEL)],
)
def test_channel_scale_texts_state_the_physics_constants(name: str, scale: float) -> None:
    """The scale written in the units and the label is the one the physics uses."""
    for text in (schema.UNITS[name], schema.label(name)):
        ratio = text.rsplit("ch", 1)[1].strip(" *·)")
        assert float(Fraction(ratio)) == pytest.approx(scale, rel=1e-15)


def test_kp_colours() -> None:
    values = [0.0, 3.99, 4.0, 4.99, 5.0, 9.0, float("nan")]
    quiet, active, storm = schema.KP_COLOURS
    assert schema.kp_colours(values) == [quiet, quiet, active, active, storm, storm, quiet]
    assert all(c.startswith("#") and len(c) == 7 for c in schema.KP_COLOURS)  # plain hex


def test_chem_imports_no_web_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, awa.chem.schema, awa.chem.physics; "
        "print(sorted(m for m in ('dash', 'flask', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
