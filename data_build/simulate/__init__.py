"""Simulated CHEM daily files in the APL layout (spec sections 2, 5 and 6).

``simulate(start, days, out_dir, seed=1)`` writes ``YYYY_DDD.fits.gz`` files that a reader
cannot tell from the archive's: the same HDUs, columns and repeat counts
(:mod:`data_build.fits_layout`), the same housekeeping codes and the archive's quirks at low,
configurable rates.  They are the project's demo, test and benchmark data.

What a simulated day holds:

- The CCE orbit (perigee 1.17 Re, apogee 8.8 Re, period 15.66 h, inclination 4.8 deg, J2
  precession of the line of apsides) gives L (dipole field line through the spacecraft),
  MAGLAT and MAGLON (the MLT angle, MLT hours = 12/pi * MAGLON) per spin and per cycle.
- 5.6 s spins, 32-spin cycles; cycle ``c`` sweeps voltage steps ``2k + c % 2`` (k = period
  counter 0-31), so two cycles cover all 64 E/Q steps.  One PAPS level per cycle.
- Ions of H+, He++, He+, O+, O++, O6+ and C6+ from the forward model of spec section 5:
  entrance energy Q (EPQ + P), foil loss dE/dx(E/M) * 4.9, T = 239.89 / sqrt(E_after/M), and
  the measured energy that makes the mass fit return M (:func:`awa.chem.physics.invert_mass_fit`),
  plus detector noise.  Below the SSD threshold the event is a double (Energy = 0).
  Intensities depend on L, MLT, energy and the Kp of the simulated time; O+ and He+ grow
  fastest with Kp, so a storm shows its O+ enhancement.
- On-board classification: every ion is converted with :mod:`awa.chem.physics`; its mass sets
  the priority range (0: doubles and M < 2 amu, 1: 2-8 amu, 2: M >= 8 amu, triples only) and
  its (M, M/Q) its matrix-element box.  At most 86 ions per spin are pulse-height analysed,
  highest range first.  Basic rates count all ions per range and sector, direct rates
  contain them (DCR >= BR0+BR1+BR2, TCR >= BR2), ME counts every ion by box.
- Calibration cycles (CSHK != 0) with stimulus events on fixed channel lines.
- Quirks at configurable rates, counted in :attr:`SimTruth.quirks` under the names of the
  reader's ``data_build.fits.Quirks``.

Times are seconds since 1966-01-01 00:00 UT, whole seconds stored as float64.  Each day's
random stream depends only on (seed, date), so a day is identical whether simulated alone or
within a range.

Modules: :mod:`.config` (what to simulate), :mod:`.orbit`, :mod:`.intensity` (how many ions),
:mod:`.instrument` (forward model, rates, PHA selection, SCHK), :mod:`.day`
(:func:`simulate_day`) and :mod:`.files` (FITS files, :func:`simulate`, :func:`simulate_days`).
"""

from data_build.simulate.config import (
    CALIBRATION,
    PAPS_OFF_LEVEL,
    SPECIES_NAMES,
    SimConfig,
    SimulationError,
)
from data_build.simulate.day import SimDay, SimTruth, simulate_day
from data_build.simulate.files import build_hdulist, simulate, simulate_days, write_day
from data_build.simulate.instrument import decode_schk
from data_build.simulate.intensity import kp_at
from data_build.simulate.orbit import orbit

__all__ = [
    "CALIBRATION",
    "PAPS_OFF_LEVEL",
    "SPECIES_NAMES",
    "SimConfig",
    "SimDay",
    "SimTruth",
    "SimulationError",
    "build_hdulist",
    "decode_schk",
    "kp_at",
    "orbit",
    "simulate",
    "simulate_day",
    "simulate_days",
    "write_day",
]
