"""The HAPI datasets of AWA: ids, parameters, units and the source of each.

Dataset ids are stable (the README lists them).  Units and descriptions come from the
stores' metadata: the units attribute each store carries (:mod:`awa.chem.store_attrs`,
written from :data:`awa.chem.schema.QUANTITIES`) and the schema's labels.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from awa.chem import me_boxes, schema, species, store_attrs
from awa.hapi.model import Dataset, Parameter
from awa.hapi.pha_species import pha_species_dataset
from awa.hapi.sources import IndexSource, MeSource, TableSource
from awa.query import get_table

#: Columns whose values are codes or flags (no physical units).
_CODES = frozenset(
    {"PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "Voltage_Step", "Quality", "CSHK",
     "Period_Cntr", "Kp"}
)  # fmt: skip
#: Columns of the per-spin rates dataset, in ``info`` order.
RATES_PARAMETERS = (
    "FSR", "DCR", "TCR", "SSD", "BR0", "BR1", "BR2", "R0", "R1", "R2", "L", "MLTH",
    "Voltage_Step", "Period_Cntr", "PAPS_lvl", "Quality", "CSHK", "Dst", "Kp",
)  # fmt: skip
#: Columns of the per-cycle housekeeping dataset, in ``info`` order (``MLTH`` and ``CSHK``
#: are AWA's arrays beside the HK table).
HK_PARAMETERS = (
    "PAPS_lvl", "DPU_Mode", "TAC_Slope", "PHA_Priority", "L", "MAGLAT", "MAGLON", "MLTH",
    "CSHK", "Dst", "Kp",
)  # fmt: skip


def split_units(text: str) -> tuple[str, str]:
    """Units text of the stores -> (units, note): ``"nT (hourly, ...)"`` -> ``("nT", ...)``."""
    head, _, rest = text.partition(" (")
    # a missing value is the parameter's fill value in HAPI, not NaN
    return head.strip(), rest.rstrip(")").replace("NaN = missing", "missing: fill").strip()


def column_parameter(name: str, units_text: str | None = None) -> Parameter:
    """The parameter of a store column: type from its dtype, text from the schema.

    ``units_text`` is the store's own units attribute for the column (default: the
    schema's, which the build writes).
    """
    q = schema.QUANTITIES[name]
    text = units_text if units_text is not None else q.units
    units, note = split_units(text)
    kind = "double" if np.dtype(q.dtype).kind == "f" else "integer"
    description = f"{q.label}" + (f"; {note}" if note else "")
    return Parameter(name, kind, None if name in _CODES else units, description, q.label)


def species_parameter_name(name: str) -> str:
    """A species name as a parameter name: ``+`` -> ``p``, other signs -> ``_``
    (``H+`` -> ``Hp``, ``He++`` -> ``Hepp``, ``C/O high`` -> ``C_O_high``)."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", name.replace("+", "p"))
    return text.strip("_") or "species"


def species_names() -> tuple[tuple[str, str], ...]:
    """(parameter name, species name) of each code of the default regions, in code order."""
    names = species.code_names(species.default_regions())
    return tuple((species_parameter_name(n), n) for n in names)


def me_bins() -> dict[str, Any]:
    """The ``bins`` object of the 512-element ME parameter: each element's ME number, and in
    ``x_`` keys the M/Q and mass range and kind of each box (spec section 6; elements 491-511
    are not boxes: null)."""
    boxes = me_boxes.me_boxes()
    mpq: list[list[float] | None] = [None] * schema.N_ME
    mass: list[list[float] | None] = [None] * schema.N_ME
    kind: list[str | None] = [None] * schema.N_ME
    columns = ("me", "mpq_lo", "mpq_hi", "mass_lo", "mass_hi", "kind")
    for me, q0, q1, m0, m1, k in zip(*(boxes[c].to_numpy() for c in columns), strict=True):
        mpq[int(me)] = [round(float(q0), 6), round(float(q1), 6)]
        mass[int(me)] = None if k == "double" else [round(float(m0), 6), round(float(m1), 6)]
        kind[int(me)] = str(k)
    return {
        "name": "ME",
        "units": "ME number",
        "description": (
            "matrix element number; elements 0-490 are the on-board boxes of the mass versus "
            "M/Q plane (0-47 doubles: no mass, 252-256 background), 491-511 are no box"
        ),
        "centers": list(range(schema.N_ME)),
        "x_mpq_ranges": mpq,
        "x_mpq_units": "amu/e",
        "x_mass_ranges": mass,
        "x_mass_units": "amu",
        "x_kind": kind,
    }


@cache
def _box_species() -> npt.NDArray[np.float64]:
    """(491, k) one-hot matrix: box -> species code of the default regions."""
    codes = species.me_box_codes(species.default_regions())
    onehot = np.zeros((len(codes), int(codes.max()) + 1), dtype=np.float64)
    onehot[np.arange(len(codes)), codes] = 1.0
    width = len(species.code_names(species.default_regions()))
    return np.pad(onehot, ((0, 0), (0, width - onehot.shape[1])))


def _me_species(counts: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """:func:`awa.chem.species.me_species_counts` of the default regions, as one float64
    matrix product (exact: counts are integers far below 2**53), negative counts as 0."""
    onehot = _box_species()
    boxes = np.maximum(counts[:, : onehot.shape[0]], 0).astype(np.float64)
    return np.rint(boxes @ onehot).astype(np.int64)


@cache
def catalog() -> dict[str, Dataset]:
    """Every dataset by id, in catalog order."""
    rates = Dataset(
        "CHEM_RATES_SPIN",
        "AMPTE/CCE CHEM per-spin rates",
        "One record per spin (about 6 s; calibration spins included, CSHK != 0): the direct "
        "rates FSR, DCR, TCR, SSD, the basic rates BR0-BR2, the PHA range counts R0-R2, L, "
        "MLT, E/Q step, period counter, PAPS level, AWA's quality bits, and Dst and Kp as "
        "merged into the rates store.",
        "PT6S",
        tuple(column_parameter(n) for n in RATES_PARAMETERS),
        TableSource(schema.RATES_STORE, RATES_PARAMETERS, tail_s=6.0),
        store=schema.RATES_STORE,
    )
    hk = Dataset(
        "CHEM_HK_CYCLE",
        "AMPTE/CCE CHEM per-cycle housekeeping",
        "One record per instrument cycle (32 spins, cycle start time): PAPS level, DPU mode, "
        "TAC slope, PHA priority, L, magnetic latitude and longitude, MLT, CSHK, Dst and Kp.",
        "PT192S",
        tuple(column_parameter(n) for n in HK_PARAMETERS),
        TableSource(
            schema.HK_STORE, HK_PARAMETERS[:7] + HK_PARAMETERS[9:], ("MLTH", "CSHK"), tail_s=200.0
        ),  # fmt: skip
        store=schema.HK_STORE,
    )
    me = Dataset(
        "CHEM_ME_CYCLE",
        "AMPTE/CCE CHEM per-cycle matrix elements",
        "One record per instrument cycle: L and the 512 on-board matrix-element counts as one "
        "array parameter ME (size [512]; the bins say which box of the mass versus M/Q plane "
        "each element is).",
        "PT192S",
        (
            column_parameter("L"),
            Parameter(
                "ME",
                "integer",
                "counts/cycle",
                "matrix-element counts of the cycle, element i = ME i (spec section 6)",
                "ME counts/cycle",
                size=(schema.N_ME,),
                bins=(me_bins(),),
            ),
        ),  # fmt: skip
        MeSource(),
        store=schema.ME_STORE,
    )
    names = species_names()
    me_species = Dataset(
        "CHEM_ME_SPECIES_CYCLE",
        "AMPTE/CCE CHEM per-cycle ME species counts",
        "One record per instrument cycle: the matrix-element counts summed over the boxes of "
        "each species region of the mass versus M/Q plane (awa.chem.species; a box belongs "
        "to the region holding its centre), then the boxes in no region (other) and the "
        "doubles boxes (no mass).",
        "PT192S",
        tuple(
            Parameter(
                p,
                "integer",
                "counts/cycle",
                f"ME counts of the cycle summed over the boxes of {s}",
                f"{s}, counts/cycle",
            )
            for p, s in names
        ),  # fmt: skip
        MeSource(tuple(p for p, _ in names), _me_species),
        store=schema.ME_STORE,
    )
    dst = Dataset(
        "CHEM_DST_1H",
        "Dst, hourly, as merged into the AWA stores",
        "Hourly Dst as merged into the housekeeping store: one record per UT hour holding a "
        "cycle, stamped with the hour's start.",
        "PT1H",
        (column_parameter("Dst"),),
        IndexSource("Dst", 3600),
        store=schema.HK_STORE,
        sample_seconds=86400,
    )
    kp = Dataset(
        "CHEM_KP_3H",
        "Kp, 3-hourly, as merged into the AWA stores",
        "3-hourly Kp (GFZ thirds to 3 decimals) as merged into the housekeeping store: one "
        "record per 3-hour interval holding a cycle, stamped with the interval's start.",
        "PT3H",
        (column_parameter("Kp"),),
        IndexSource("Kp", 10800),
        store=schema.HK_STORE,
        sample_seconds=86400,
    )
    pha_species = pha_species_dataset(names)
    return {d.id: d for d in (rates, hk, me, me_species, pha_species, dst, kp)}


def store_units(data_dir: Path, dataset: Dataset) -> dict[str, str]:
    """Units text of the dataset's store columns, from the store's units attribute (empty
    when the store carries none)."""
    if dataset.store is None:
        return {}
    table = get_table(data_dir, dataset.store)
    try:
        return store_attrs.read_units(table._v_file, dataset.store.key)
    except store_attrs.UnitsMissingError:
        return {}
