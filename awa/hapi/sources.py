"""Readers of the HAPI datasets: store rows by time range, in chunks of bounded size.

Every reader goes through :mod:`awa.query`: a time range becomes row ranges of the sorted
store (:func:`awa.query.row_ranges`, the hour index or bisection), and the rows are read
``chunk_rows`` at a time, so a response never holds more than one chunk in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from awa import query
from awa.chem import schema, table_columns
from awa.hapi.model import Chunk
from awa.model import TimeRange
from awa.query.me import read_cycles
from awa.query.store import get_extras, time_at


def _ranges(table: Any, t0: int, t1: int) -> list[tuple[int, int]]:
    """Row ranges of ``table`` with ``t0 <= SpinStartTime < t1`` (ns; microsecond steps)."""
    start, stop = query.from_ns(t0), query.from_ns(t1)
    if not start < stop:
        return []
    return query.row_ranges(table, (TimeRange(start, stop),))


def _span(table: Any, tail_ns: int) -> tuple[int, int] | None:
    if table.nrows == 0:
        return None
    return time_at(table, 0), time_at(table, table.nrows - 1) + tail_ns


def _pieces(ranges: list[tuple[int, int]], chunk_rows: int) -> Iterator[tuple[int, int]]:
    for lo, hi in ranges:
        for c0 in range(lo, hi, max(1, chunk_rows)):
            yield c0, min(hi, c0 + max(1, chunk_rows))


@dataclass(frozen=True)
class TableSource:
    """Records that are the rows of one store table (rates: spins; HK: cycles).

    ``columns`` are the table's own columns, ``extras`` AWA's arrays beside it
    (``StoreSpec.extras``); the parameter names are the column names.  ``tail_s`` is the
    length of the last record (the dataset's stop date is its start plus this).
    """

    spec: schema.StoreSpec
    columns: tuple[str, ...]
    extras: tuple[str, ...] = ()
    tail_s: float = 6.0

    def span(self, data_dir: Path) -> tuple[int, int] | None:
        """First and end of last record time, ns."""
        return _span(query.get_table(data_dir, self.spec), int(self.tail_s * 1e9))

    def count(self, data_dir: Path, t0: int, t1: int) -> int:
        """Rows with ``t0 <= time < t1``."""
        table = query.get_table(data_dir, self.spec)
        return sum(hi - lo for lo, hi in _ranges(table, t0, t1))

    def chunks(
        self, data_dir: Path, t0: int, t1: int, names: tuple[str, ...], chunk_rows: int
    ) -> Generator[Chunk, None, None]:
        """Rows of the range in chunks of ``chunk_rows``: times and the named columns."""
        table = query.get_table(data_dir, self.spec)
        own = [n for n in names if n in self.columns]
        beside = [n for n in names if n in self.extras]
        for c0, c1 in _pieces(_ranges(table, t0, t1), chunk_rows):
            cols = table_columns.read_columns(table, ["SpinStartTime", *own], c0, c1)
            values: dict[str, npt.NDArray[Any]] = {n: cols[n] for n in own}
            if beside:
                values.update(get_extras(table, beside, c0, c1))
            yield cols["SpinStartTime"].astype(np.int64), values


@dataclass(frozen=True)
class MeSource:
    """Records that are the ME store's cycles: ``L``, the 512 counts as ``ME``, and the
    species sums of the counts (``species``: parameter names and a function of the counts
    (n, 512) returning one column per name, in order)."""

    species_names: tuple[str, ...] = ()
    species: Callable[[npt.NDArray[np.int32]], npt.NDArray[np.int64]] | None = None
    tail_s: float = 200.0

    def span(self, data_dir: Path) -> tuple[int, int] | None:
        """First and end of last cycle time, ns."""
        return _span(query.get_table(data_dir, schema.ME_STORE), int(self.tail_s * 1e9))

    def count(self, data_dir: Path, t0: int, t1: int) -> int:
        """Cycles with ``t0 <= time < t1``."""
        table = query.get_table(data_dir, schema.ME_STORE)
        return sum(hi - lo for lo, hi in _ranges(table, t0, t1))

    def chunks(
        self, data_dir: Path, t0: int, t1: int, names: tuple[str, ...], chunk_rows: int
    ) -> Generator[Chunk, None, None]:
        """Cycles of the range in chunks: times, then ``L``, ``ME`` and the species sums."""
        table = query.get_table(data_dir, schema.ME_STORE)
        for c0, c1 in _pieces(_ranges(table, t0, t1), chunk_rows):
            times, ell, _cshk, counts = read_cycles(table, c0, c1)
            values: dict[str, npt.NDArray[Any]] = {}
            if "L" in names:
                values["L"] = ell
            if "ME" in names:
                values["ME"] = counts
            wanted = [n for n in names if n in self.species_names]
            if wanted and self.species is not None:
                sums = self.species(counts)
                for j, name in enumerate(self.species_names):
                    if name in wanted:
                        values[name] = sums[:, j]
            yield times.astype(np.int64), values


@dataclass(frozen=True)
class IndexSource:
    """One record per index interval (hourly Dst, 3-hourly Kp) as merged into the HK store:
    the value of the first cycle in each interval that holds a cycle, stamped with the
    interval's start."""

    column: str
    period_s: int

    @property
    def _period(self) -> int:
        return self.period_s * 1_000_000_000

    def span(self, data_dir: Path) -> tuple[int, int] | None:
        """Start of the first interval with a cycle, end of the last one, ns."""
        got = _span(query.get_table(data_dir, schema.HK_STORE), 0)
        if got is None:
            return None
        p = self._period
        return got[0] // p * p, (got[1] // p + 1) * p

    def count(self, data_dir: Path, t0: int, t1: int) -> int:
        """An upper bound of the intervals starting in ``[t0, t1)``."""
        table = query.get_table(data_dir, schema.HK_STORE)
        rows = sum(hi - lo for lo, hi in _ranges(table, *self._bounds(t0, t1)))
        return min(rows, max(0, (t1 - t0) // self._period + 1))

    def _bounds(self, t0: int, t1: int) -> tuple[int, int]:
        p = self._period
        return -(-t0 // p) * p, t1

    def chunks(
        self, data_dir: Path, t0: int, t1: int, names: tuple[str, ...], chunk_rows: int
    ) -> Generator[Chunk, None, None]:
        """The intervals starting in ``[t0, t1)`` in time order, from HK chunks."""
        table = query.get_table(data_dir, schema.HK_STORE)
        p = self._period
        last = None
        for c0, c1 in _pieces(_ranges(table, *self._bounds(t0, t1)), chunk_rows):
            cols = table_columns.read_columns(table, ["SpinStartTime", self.column], c0, c1)
            bucket = cols["SpinStartTime"].astype(np.int64) // p
            keep = np.ones(len(bucket), dtype=bool)
            keep[1:] = bucket[1:] != bucket[:-1]
            if last is not None:
                keep &= bucket != last
            if len(bucket):
                last = int(bucket[-1])
            values = {self.column: cols[self.column][keep]} if self.column in names else {}
            yield bucket[keep] * p, values
