"""The HAPI description of a dataset: parameters, their types, units, fill values, bins.

A :class:`Dataset` pairs its parameters with a :class:`Source`, the object that reads the
dataset's records from the stores in chunks (:mod:`awa.hapi.sources`).  Parameters are
``double`` (float64), ``integer`` (int32) or ``isotime``; the time parameter ``Time`` is
always first and is not listed in :attr:`Dataset.parameters`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from awa.chem import schema
from awa.hapi.times import TIME_LENGTH

#: Fill value of every ``double`` parameter (written where the store holds NaN).
DOUBLE_FILL = -1.0e31
#: The same, as the text of the ``fill`` keyword.
DOUBLE_FILL_TEXT = "-1.0E31"
#: Name of the time parameter of every dataset.
TIME_NAME = "Time"

#: One chunk of a dataset: times (int64 ns, UTC, sorted) and each parameter's values
#: (shape (n,) or (n, *size)).
Chunk = tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[Any]]]


@dataclass(frozen=True)
class Parameter:
    """One HAPI parameter of a dataset.

    Attributes
    ----------
    name : str
        Parameter name in requests and responses.
    type : str
        ``double`` or ``integer``.
    units : str or None
        Units (None for a code or count without units).
    description : str
        What the values are.
    label : str or None
        Axis label for clients that plot.
    size : tuple of int or None
        Array size of one record (None for a scalar).
    bins : tuple of dict or None
        HAPI ``bins`` objects, one per dimension of ``size``.
    """

    name: str
    type: str
    units: str | None
    description: str
    label: str | None = None
    size: tuple[int, ...] | None = None
    bins: tuple[dict[str, Any], ...] | None = None

    @property
    def fill(self) -> str | None:
        """The ``fill`` keyword: :data:`DOUBLE_FILL_TEXT` for doubles, None for integers."""
        return DOUBLE_FILL_TEXT if self.type == "double" else None

    @property
    def dtype(self) -> np.dtype[Any]:
        """Little-endian binary dtype of one value (HAPI binary: float64 or int32)."""
        return np.dtype("<f8") if self.type == "double" else np.dtype("<i4")

    @property
    def count(self) -> int:
        """Values per record (the product of ``size``, 1 for a scalar)."""
        return int(np.prod(self.size)) if self.size else 1

    @property
    def record_bytes(self) -> int:
        """Bytes of this parameter in one binary record."""
        return self.dtype.itemsize * self.count

    def info(self) -> dict[str, Any]:
        """The parameter's object in an ``info`` response."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "units": self.units,
            "fill": self.fill,
            "description": self.description,
        }
        if self.label:
            out["label"] = self.label
        if self.size:
            out["size"] = list(self.size)
        if self.bins:
            out["bins"] = [dict(b) for b in self.bins]
        return out


TIME_PARAMETER_INFO: dict[str, Any] = {
    "name": TIME_NAME,
    "type": "isotime",
    "units": "UTC",
    "fill": None,
    "length": TIME_LENGTH,
    "description": "record start time, UTC",
}


class Source(Protocol):
    """Reads one dataset's records from a store folder."""

    def span(self, data_dir: Path) -> tuple[int, int] | None:
        """First record time and the end of the last record (int64 ns); None when empty."""

    def count(self, data_dir: Path, t0: int, t1: int) -> int:
        """Number of records (or an upper bound) with ``t0 <= time < t1`` (ns)."""

    def chunks(
        self, data_dir: Path, t0: int, t1: int, names: tuple[str, ...], chunk_rows: int
    ) -> Generator[Chunk, None, None]:
        """The records with ``t0 <= time < t1`` in time order, at most ``chunk_rows`` each."""


@dataclass(frozen=True)
class Dataset:
    """One HAPI dataset: its id, text, nominal cadence, parameters and reader."""

    id: str
    title: str
    description: str
    cadence: str
    parameters: tuple[Parameter, ...]
    source: Source = field(compare=False, repr=False)
    #: The store whose units attribute (``awa.chem.store_attrs``) gives the units.
    store: schema.StoreSpec | None = None
    #: Length of the sample period after the first record, s (``sampleStopDate``).
    sample_seconds: int = 3600

    def parameter(self, name: str) -> Parameter:
        """The parameter ``name`` (KeyError when the dataset has none)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in ``info`` order (without ``Time``)."""
        return tuple(p.name for p in self.parameters)
