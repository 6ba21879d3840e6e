"""What to simulate: :class:`SimConfig`, its error and the names shared by the simulator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from awa.chem import physics
from awa.chem.schema import EVENTS_PER_SPIN

__all__ = ["CALIBRATION", "PAPS_OFF_LEVEL", "SPECIES_NAMES", "SimConfig", "SimulationError"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_EPOCH_DATE = dt.date(1966, 1, 1)
_SECONDS_PER_DAY = 86400
SPECIES_NAMES: tuple[str, ...] = tuple(s.name for s in physics.SPECIES)
#: Truth label of calibration stimulus events.
CALIBRATION = "calibration"
#: The PAPS level written for cycles with the post-acceleration off.
PAPS_OFF_LEVEL = 8


class SimulationError(ValueError):
    """A simulation request that cannot be carried out (bad configuration or arguments)."""


@dataclass(frozen=True)
class SimConfig:
    """What to simulate and how often each archive quirk appears.

    Attributes
    ----------
    hours : float
        Length of each simulated day from 00:00 UT, h (0 < hours <= 24); tests use less.
    mean_events_per_spin : float
        Quiet-time mean number of ions reaching the analyser per spin (orbit and sweep
        average); with the 86-slot limit a day holds about 0.7e6 PHA events.
    spin_period_s : float
        Spin period, s.
    paps_level : int
        PAPS level code (1-6) of science cycles.
    calibration_cycles : int
        Calibration cycles (CSHK != 0) per day.
    calibration_events_per_spin : float
        Mean stimulus events per calibration spin.
    paps_off_cycles : int
        Cycles per day with the PAPS off (level ``PAPS_OFF_LEVEL``, no valid voltage).
    storm_scaling : float
        Multiplier of the Kp growth rates (0 removes the storm response).
    quiet_kp : float
        Kp used where the bundled Kp table has no value.
    ssd_threshold_kev : tuple of float
        SSD energy threshold per detector 1-3, keV; below it an event is a double.
    max_ions_per_spin : int
        Ions generated individually per spin at most; beyond it rates and ME are scaled.
    clipped_time_rate, l_fill_rate, duplicate_spin_rate, out_of_order_rate, rate_violation_rate
        Per-spin probabilities of those quirks.
    exact_copy_rate
        Per-spin probability that a row is a byte-identical copy of the row before it.
    tof_1019_rate, ssdid_invalid_rate, range3_rate
        Per-PHA-event probabilities of those quirks.
    """

    hours: float = 24.0
    mean_events_per_spin: float = 62.0
    spin_period_s: float = 5.6
    paps_level: int = 5
    calibration_cycles: int = 3
    calibration_events_per_spin: float = 40.0
    paps_off_cycles: int = 1
    storm_scaling: float = 1.0
    quiet_kp: float = 2.0
    ssd_threshold_kev: tuple[float, float, float] = (22.0, 26.0, 32.0)
    max_ions_per_spin: int = 300
    clipped_time_rate: float = 2e-4
    l_fill_rate: float = 5e-4
    duplicate_spin_rate: float = 3e-4
    out_of_order_rate: float = 2e-4
    rate_violation_rate: float = 3e-4
    exact_copy_rate: float = 2e-4
    tof_1019_rate: float = 1e-4
    ssdid_invalid_rate: float = 1e-4
    range3_rate: float = 5e-5

    def __post_init__(self) -> None:
        if not 0 < self.hours <= 24:
            raise SimulationError(f"hours must be in (0, 24], got {self.hours}")
        if self.mean_events_per_spin <= 0:
            raise SimulationError("mean_events_per_spin must be > 0")
        if not 1.0 <= self.spin_period_s <= 20.0:
            raise SimulationError(f"spin_period_s must be 1-20 s, got {self.spin_period_s}")
        if self.paps_level not in range(1, 7):
            raise SimulationError(f"paps_level must be 1-6, got {self.paps_level}")
        for name in ("calibration_cycles", "paps_off_cycles"):
            if getattr(self, name) < 0:
                raise SimulationError(f"{name} must be >= 0")
        if self.max_ions_per_spin < EVENTS_PER_SPIN:
            raise SimulationError(f"max_ions_per_spin must be >= {EVENTS_PER_SPIN}")
        if len(self.ssd_threshold_kev) != 3 or min(self.ssd_threshold_kev) < 20.0:
            raise SimulationError("ssd_threshold_kev: three thresholds, each >= 20 keV")
        for f in fields(self):
            if f.name.endswith("_rate") and not 0.0 <= getattr(self, f.name) <= 0.05:
                raise SimulationError(f"{f.name} must be a probability <= 0.05")
