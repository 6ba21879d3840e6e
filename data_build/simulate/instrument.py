"""The instrument side of the simulator (spec sections 2, 5 and 6).

The forward model from an ion to its (Energy, TOF) channels, calibration stimuli, the
housekeeping status bytes (SCHK), on-board priority ranges, rates and the PHA selection.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from awa.chem import physics
from awa.chem.schema import (
    EVENTS_PER_SPIN,
    SECTORS,
    TOF_ARTEFACT,
)
from data_build.simulate.config import FloatArray, IntArray, SimConfig

__all__ = ["decode_schk"]

#: Priority-range mass limits (amu): range 1 from 2, range 2 (triples) from 8.
_RANGE1_MASS = 2.0
_RANGE2_MASS = 8.0
#: Calibration stimulus lines (channels).
_CAL_TOF_LINES = np.array([96, 192, 288, 384, 480, 576, 672, 768, 864], dtype=np.int64)
_CAL_ENERGY_LINES = np.array([0, 64, 128, 256, 512, 768], dtype=np.int64)
#: SCHK byte positions in the 5 x 5 row-major block.
_SCHK_PAPS = 4 * 5 + 1
_SCHK_DPU = 4 * 5 + 3
_SCHK_TAC = 3 * 5 + 1


def _pick(rng: np.random.Generator, n: int, rate: float, pool: IntArray) -> IntArray:
    """A Binomial(n, rate) number of distinct elements of ``pool`` (sorted)."""
    k = min(int(rng.binomial(n, rate)) if n > 0 and rate > 0 else 0, pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def _ranges(mass: FloatArray, energy_ch: IntArray) -> IntArray:
    """On-board priority range from the converted mass (amu)."""
    triple = energy_ch > 0
    rng_code = np.where(mass >= _RANGE1_MASS, 1, 0)
    return np.where(triple & (mass >= _RANGE2_MASS), 2, rng_code).astype(np.int64)


def _encode_schk(
    rng: np.random.Generator,
    paps: IntArray,
    dpu: IntArray,
    tac: IntArray,
) -> npt.NDArray[np.uint8]:
    n = paps.size
    schk = rng.integers(0, 256, size=(n, 25), dtype=np.uint8)
    on = (paps >= 1) & (paps <= 6)
    code = np.where((paps >= 1) & (paps <= 8), 8 - paps, 0) & 0x7
    low = schk[:, _SCHK_PAPS].astype(np.int64) & 0x0F
    schk[:, _SCHK_PAPS] = ((code << 5) | (on.astype(np.int64) << 4) | low).astype(np.uint8)
    low = schk[:, _SCHK_DPU].astype(np.int64) & 0x3F
    schk[:, _SCHK_DPU] = (((dpu & 0x3) << 6) | low).astype(np.uint8)
    keep = schk[:, _SCHK_TAC].astype(np.int64) & 0x8F
    schk[:, _SCHK_TAC] = (((tac & 0x7) << 4) | keep).astype(np.uint8)
    return schk


def decode_schk(schk: npt.ArrayLike) -> dict[str, IntArray]:
    """Decode the HK status bytes (spec section 2).

    Bit numbering: bit 7 is the most significant bit of a byte, bit 0 the least.  ``SCHK``
    is 25 bytes per cycle, a 5 x 5 block stored row-major (byte [i][j] at ``5 i + j``).

    - byte [4][1]: bits 7-5 = 8 - PAPS level, bit 4 = PAPS on;
    - byte [4][3]: bits 7-6 = DPU mode;
    - byte [3][1]: bits 6-4 = TAC slope code.

    Parameters
    ----------
    schk : array_like
        Shape (cycles, 25), bytes.

    Returns
    -------
    dict
        ``paps_lvl`` (8 - code; level 8 means off), ``paps_on`` (0/1), ``dpu_mode``,
        ``tac_slope``; int64 arrays, one value per cycle.
    """
    raw = np.asarray(schk)
    if raw.ndim != 2 or raw.shape[1] != 25:
        raise ValueError(f"SCHK must have shape (cycles, 25), got {raw.shape}")
    b = raw.astype(np.int64)
    return {
        "paps_lvl": 8 - ((b[:, _SCHK_PAPS] >> 5) & 0x7),
        "paps_on": (b[:, _SCHK_PAPS] >> 4) & 0x1,
        "dpu_mode": (b[:, _SCHK_DPU] >> 6) & 0x3,
        "tac_slope": (b[:, _SCHK_TAC] >> 4) & 0x7,
    }


@dataclass
class _Ions:
    """Ions reaching the analyser (flat arrays, one value per ion)."""

    spin: IntArray
    species: IntArray  # index into physics.SPECIES, or len(SPECIES) for calibration
    energy_ch: IntArray
    tof_ch: IntArray
    sector: IntArray
    ssdid: IntArray


def _science_ions(
    rng: np.random.Generator,
    config: SimConfig,
    counts: IntArray,
    step: IntArray,
    paps_kv_spin: FloatArray,
) -> _Ions:
    """Forward model of spec section 5 for ``counts[spin, species]`` ions."""
    n_spins, n_species = counts.shape
    flat = counts.ravel()
    spin = np.repeat(np.repeat(np.arange(n_spins), n_species), flat)
    species = np.repeat(np.tile(np.arange(n_species), n_spins), flat)
    n = spin.size
    mass = np.array([s.mass for s in physics.SPECIES])[species]
    charge = np.array([s.charge for s in physics.SPECIES], dtype=np.float64)[species]
    # analyser passband of about +-3 % around the step's E/Q
    epq = physics.epq_kev(step[spin]) * (1.0 + 0.03 * rng.standard_normal(n))
    e_in = charge * (epq + paps_kv_spin[spin])
    after = e_in - physics.dedx(e_in / mass, mass) * physics.FOIL_UG_CM2
    ok = after > 0.5
    t_true = physics.TOF_CONSTANT / np.sqrt(np.where(ok, after, 1.0) / mass)
    e_meas = physics.invert_mass_fit(mass, t_true)
    # detector noise
    t_meas = t_true * (1.0 + 0.008 * rng.standard_normal(n)) + 0.4 * rng.standard_normal(n)
    e_meas = e_meas * (1.0 + 0.03 * rng.standard_normal(n)) + 1.5 * rng.standard_normal(n)
    ssdid = rng.integers(1, 4, size=n)
    threshold = np.asarray(config.ssd_threshold_kev, dtype=np.float64)[ssdid - 1]
    triple = np.isfinite(e_meas) & (e_meas >= threshold)
    energy_ch = np.where(
        triple,
        np.clip(
            np.rint(
                np.where(triple, e_meas, 0.0) * physics.CHANNEL_MAX / physics.ENERGY_FULL_SCALE_KEV
            ),
            1,
            physics.CHANNEL_MAX,
        ),
        0,
    ).astype(np.int64)
    tof_ch = np.rint(t_meas * physics.CHANNEL_MAX / physics.TOF_FULL_SCALE_NS)
    # outside the TOF window (or stopped in the foil): no valid coincidence
    ok &= (tof_ch >= 1) & (tof_ch <= physics.CHANNEL_MAX)
    tof_ch = np.where(ok, tof_ch, 1).astype(np.int64)
    # the artefact channel is reserved for the artefact quirk
    tof_ch[tof_ch == TOF_ARTEFACT] = TOF_ARTEFACT + 1
    sector = rng.integers(0, SECTORS, size=n)
    return _Ions(spin[ok], species[ok], energy_ch[ok], tof_ch[ok], sector[ok], ssdid[ok])


def _calibration_ions(rng: np.random.Generator, config: SimConfig, spins: IntArray) -> _Ions:
    """Stimulus events on fixed (Energy, TOF) channel lines, +-2 channels."""
    counts = rng.poisson(config.calibration_events_per_spin, size=spins.size)
    spin = np.repeat(spins, counts)
    n = spin.size
    tof = _CAL_TOF_LINES[rng.integers(0, _CAL_TOF_LINES.size, n)] + rng.integers(-2, 3, n)
    energy = _CAL_ENERGY_LINES[rng.integers(0, _CAL_ENERGY_LINES.size, n)]
    energy = np.where(energy > 0, energy + rng.integers(-2, 3, n), 0)
    return _Ions(
        spin.astype(np.int64),
        np.full(n, len(physics.SPECIES), dtype=np.int64),
        energy.astype(np.int64),
        tof.astype(np.int64),
        rng.integers(0, SECTORS, size=n),
        rng.integers(1, 4, size=n),
    )


def _concat(a: _Ions, b: _Ions) -> _Ions:
    parts = [np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(_Ions)]
    return _Ions(*parts)


def _rates(
    rng: np.random.Generator, ions: _Ions, rng_code: IntArray, weight: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Sectored basic rates (spins, 96), BR per range (spins, 3) and direct rates (spins, 4).

    Every ion counts ``weight`` of its spin (>= 1); per-sector rounding keeps
    BR_n >= R_n, and DCR >= BR0 + BR1 + BR2, TCR >= BR2 (range 2 holds triples only).
    """
    n_spins = weight.size
    key = (ions.spin * 3 + rng_code) * SECTORS + ions.sector
    counts = np.bincount(key, minlength=n_spins * 3 * SECTORS).reshape(n_spins, 3 * SECTORS)
    sbr = np.rint(counts * weight[:, None]).astype(np.int64)
    br = sbr.reshape(n_spins, 3, SECTORS).sum(axis=2)
    triple = ions.energy_ch > 0
    tkey = ions.spin[triple] * SECTORS + ions.sector[triple]
    tcr_sect = np.bincount(tkey, minlength=n_spins * SECTORS).reshape(n_spins, SECTORS)
    tcr = np.rint(tcr_sect * weight[:, None]).sum(axis=1).astype(np.int64)
    tcr += rng.poisson(0.5, n_spins)
    dcr = br.sum(axis=1) + rng.poisson(2.0, n_spins)
    ssd = tcr + rng.poisson(6.0, n_spins)
    fsr = dcr + rng.poisson(2.0 * dcr + 10.0)
    return sbr, br, np.stack([fsr, dcr, tcr, ssd], axis=1)


def _select_pha(
    rng: np.random.Generator, spin: IntArray, rng_code: IntArray, n_spins: int
) -> IntArray:
    """Indices of the ions pulse-height analysed: at most 86 a spin, highest range first.

    Returned in telemetry order: by spin, then in random (arrival) order within a spin.
    """
    n = spin.size
    tiebreak = rng.random(n)
    order = np.lexsort((tiebreak, -rng_code, spin))
    sorted_spin = spin[order]
    first = np.searchsorted(sorted_spin, np.arange(n_spins))
    rank = np.arange(n) - first[sorted_spin]
    chosen = np.sort(order[rank < EVENTS_PER_SPIN])
    arrival = rng.random(chosen.size)
    return chosen[np.lexsort((arrival, spin[chosen]))]
