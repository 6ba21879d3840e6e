"""The PHA-derived species dataset: events of each species region per housekeeping cycle.

The counts come from :func:`awa.query.species.species_counts` (cadence ``"cycle"``) with
AWA's default filters (:class:`awa.model.Selection` defaults: the science team's), counted a
block of cycles at a time: block bounds are cycle start times, so no cycle is split between
blocks, and a request's last cycle is counted to its end (the next cycle start).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from awa import query
from awa.chem import schema, species, table_columns
from awa.hapi.model import Chunk, Dataset, Parameter
from awa.hapi.sources import _ranges, _span
from awa.model import Selection, TimeRange
from awa.query.me import CYCLE_SPAN_S
from awa.query.species import species_counts

#: Cycles counted per block (about one day; bounds the memory of one block).
CYCLES_PER_BLOCK = 480
_SPAN_NS = int(CYCLE_SPAN_S * 1e9)


def _cycle_starts(data_dir: Path, t0: int, t1: int) -> npt.NDArray[np.int64]:
    table = query.get_table(data_dir, schema.HK_STORE)
    parts = [
        table_columns.read_columns(table, ["SpinStartTime"], lo, hi)["SpinStartTime"]
        for lo, hi in _ranges(table, t0, t1)
    ]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(parts).astype(np.int64))


@dataclass(frozen=True)
class PhaSpeciesSource:
    """Per-cycle PHA species counts (``<name>``), BR_n/R_n-weighted counts (``<name>_w``),
    selected spins and accumulation time, for the species of ``names`` (parameter name,
    species name) in code order."""

    names: tuple[tuple[str, str], ...]

    def span(self, data_dir: Path) -> tuple[int, int] | None:
        """The cycles of the housekeeping store, ns."""
        return _span(query.get_table(data_dir, schema.HK_STORE), _SPAN_NS)

    def count(self, data_dir: Path, t0: int, t1: int) -> int:
        """Cycles starting in ``[t0, t1)`` (an upper bound of the records)."""
        table = query.get_table(data_dir, schema.HK_STORE)
        return sum(hi - lo for lo, hi in _ranges(table, t0, t1))

    def chunks(
        self, data_dir: Path, t0: int, t1: int, names: tuple[str, ...], chunk_rows: int
    ) -> Generator[Chunk, None, None]:
        """The cycles starting in ``[t0, t1)``, a block of cycles at a time."""
        starts = _cycle_starts(data_dir, t0, t1)
        if len(starts) == 0:
            return
        after = _cycle_starts(data_dir, t1, t1 + _SPAN_NS + 1)
        end = int(after[0]) if len(after) else int(starts[-1]) + _SPAN_NS
        key = query.store_key(data_dir)
        regions = species.default_regions()
        block = max(1, min(chunk_rows, CYCLES_PER_BLOCK))
        for i in range(0, len(starts), block):
            a = int(starts[i])
            b = int(starts[i + block]) if i + block < len(starts) else end
            sel = Selection(times=(TimeRange(query.from_ns(a), query.from_ns(b)),))
            series = species_counts(key, sel, regions, "cycle")
            keep = (series.start >= a) & (series.start < b)
            values: dict[str, npt.NDArray[Any]] = {}
            for j, (param, _) in enumerate(self.names):
                values[param] = series.counts[keep, j]
                values[f"{param}_w"] = series.weighted[keep, j]
            values["spins"] = series.spins[keep]
            values["accumulation_s"] = series.accumulation_s[keep]
            yield series.start[keep].astype(np.int64), {n: values[n] for n in names}


def pha_species_dataset(names: tuple[tuple[str, str], ...]) -> Dataset:
    """The ``CHEM_PHA_SPECIES_CYCLE`` dataset for the species ``names`` (code order)."""
    counts = tuple(
        Parameter(p, "integer", "events/cycle", f"selected PHA events of {s} in the cycle",
                  f"{s}, events/cycle")
        for p, s in names
    )  # fmt: skip
    weighted = tuple(
        Parameter(f"{p}_w", "double", "events/cycle",
                  f"selected PHA events of {s}, each weighted by BR_n/R_n of its spin and "
                  "range n (spec section 4): the events it stands for", f"{s}, weighted")
        for p, s in names
    )  # fmt: skip
    extra = (
        Parameter("spins", "integer", None, "selected spins of the cycle", "spins"),
        Parameter("accumulation_s", "double", "s",
                  "accumulation time of the selected spins; rate = <name>_w / accumulation_s",
                  "accumulation time, s"),
    )  # fmt: skip
    filters = Selection().describe()
    return Dataset(
        "CHEM_PHA_SPECIES_CYCLE",
        "AMPTE/CCE CHEM per-cycle PHA species counts",
        "One record per housekeeping cycle holding a selected spin: PHA events in each species "
        "region of the mass versus M/Q plane (awa.chem.species), then other and no mass, "
        "plain and weighted by BR_n/R_n, with the selected spins and their accumulation "
        f"time.  Events and spins selected with AWA's default filters: {filters}.",
        "PT192S",
        counts + weighted + extra,
        PhaSpeciesSource(names),
        store=None,
        sample_seconds=3600,
    )
