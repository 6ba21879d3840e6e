"""The archive's quirks, injected into a simulated day at the rates of :class:`SimConfig`.

Per event: the TOF artefact channel, an invalid SSDID, Range 3.  Per spin: rate relations
broken, clipped, duplicated and swapped spin times (the L fill is drawn in :mod:`.day`), and
exact copies.  As in the archive, a duplicated time is a distinct spin (its own data) with the
time stamp of the spin before it; an exact copy is a row byte-identical to the row before it
(time and data), which takes the place of the spin that belonged there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from awa.chem.schema import CLIP_HIGH_SECONDS, SPINS_PER_CYCLE, TOF_ARTEFACT
from data_build.simulate.config import FloatArray, IntArray, SimConfig
from data_build.simulate.instrument import _pick

__all__ = [
    "EventQuirks",
    "TimeQuirks",
    "copy_rows",
    "event_quirks",
    "rate_violations",
    "time_quirks",
]


@dataclass
class EventQuirks:
    """Positions of the events given each per-event quirk (disjoint sets)."""

    tof_1019: IntArray
    ssdid_invalid: IntArray
    range3: IntArray


def event_quirks(rng: np.random.Generator, cfg: SimConfig, words: IntArray) -> EventQuirks:
    """Give some events the TOF artefact, an invalid SSDID or Range 3 (``words`` in place)."""
    n_ev = words.shape[0]
    pool = rng.permutation(n_ev)
    k1019 = min(int(rng.binomial(n_ev, cfg.tof_1019_rate)), n_ev)
    kssd = min(int(rng.binomial(n_ev, cfg.ssdid_invalid_rate)), n_ev - k1019)
    kr3 = min(int(rng.binomial(n_ev, cfg.range3_rate)), n_ev - k1019 - kssd)
    q1019 = pool[:k1019]
    qssd = pool[k1019 : k1019 + kssd]
    qr3 = pool[k1019 + kssd : k1019 + kssd + kr3]
    words[q1019, 1] = TOF_ARTEFACT
    words[qssd, 3] = rng.choice(np.array([0, 4, 5]), size=qssd.size)
    words[qr3, 4] = 3
    return EventQuirks(q1019, qssd, qr3)


def rate_violations(
    rng: np.random.Generator, cfg: SimConfig, br: IntArray, dr: IntArray
) -> IntArray:
    """Spins whose TCR or DCR is lowered below the basic rates (``dr`` in place)."""
    n_spins = br.shape[0]
    candidates = np.flatnonzero(br.sum(axis=1) > 0)
    viol = _pick(rng, n_spins, cfg.rate_violation_rate, candidates)
    use_tcr = (br[viol, 2] > 0) & (rng.random(viol.size) < 0.5)
    dr[viol[use_tcr], 2] = br[viol[use_tcr], 2] - 1 - rng.integers(0, 3, int(use_tcr.sum()))
    dr[viol[use_tcr], 2] = np.maximum(dr[viol[use_tcr], 2], 0)
    other = viol[~use_tcr]
    dr[other, 1] = br[other].sum(axis=1) - 1 - rng.integers(0, 3, other.size)
    dr[other, 1] = np.maximum(dr[other, 1], 0)
    return viol


@dataclass
class TimeQuirks:
    """Spin rows with clipped, duplicated or swapped times, and the file-row permutation."""

    clip_rows: IntArray
    dup_rows: IntArray
    ooo_rows: IntArray
    perm: IntArray  # file row r holds simulated spin perm[r]


def time_quirks(rng: np.random.Generator, cfg: SimConfig, tt: FloatArray) -> TimeQuirks:
    """At most one time quirk per cycle, at spins 1-30 of the cycle (``tt`` in place)."""
    n_spins = tt.size
    n_cycles = n_spins // SPINS_PER_CYCLE
    k_clip = int(rng.binomial(n_spins, cfg.clipped_time_rate))
    k_dup = int(rng.binomial(n_spins, cfg.duplicate_spin_rate))
    k_ooo = int(rng.binomial(n_spins, cfg.out_of_order_rate))
    total = min(k_clip + k_dup + k_ooo, n_cycles)
    k_clip = min(k_clip, total)
    k_dup = min(k_dup, total - k_clip)
    quirk_cycles = rng.choice(n_cycles, size=total, replace=False)
    quirk_rows = quirk_cycles * SPINS_PER_CYCLE + rng.integers(1, SPINS_PER_CYCLE - 1, total)
    clip_rows = np.sort(quirk_rows[:k_clip])
    dup_rows = np.sort(quirk_rows[k_clip : k_clip + k_dup])
    ooo_rows = np.sort(quirk_rows[k_clip + k_dup :])
    clip_low = rng.random(clip_rows.size) < 0.5
    tt[clip_rows] = np.where(clip_low, 0.0, float(CLIP_HIGH_SECONDS))
    tt[dup_rows] = tt[dup_rows - 1]
    # out of order: spin rows ooo and ooo + 1 (same cycle) swap places in the file
    perm = np.arange(n_spins)
    perm[ooo_rows], perm[ooo_rows + 1] = ooo_rows + 1, ooo_rows.copy()
    return TimeQuirks(clip_rows, dup_rows, ooo_rows, perm)


def copy_rows(
    rng: np.random.Generator, cfg: SimConfig, n_spins: int, quirky: npt.NDArray[np.bool_]
) -> IntArray:
    """Rows that become exact copies of the row before (same cycle; neither row ``quirky``)."""
    rows = np.arange(1, n_spins)
    clean = (rows % SPINS_PER_CYCLE != 0) & ~quirky[rows] & ~quirky[rows - 1]
    chosen = _pick(rng, n_spins, cfg.exact_copy_rate, rows[clean])
    return chosen[np.r_[True, np.diff(chosen) > 1]] if chosen.size else chosen  # no chains
