"""The selection: which PHA events a view draws (the filters, hashable and typed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from awa.chem.schema import PHA_PRIORITIES, TOF_ARTEFACT
from awa.model.kp import describe_kp, snap_kp
from awa.model.parse import (
    FilterError,
    check_text,
    describe_range,
    format_exact,
    format_mlt,
    parse_float,
)
from awa.model.time import TimeRange, merge_time_ranges

RATE_NAMES = ("FSR", "DCR", "TCR", "SSD")
SSD_IDS = (0, 1, 2, 3, 4, 5)
PHA_RANGES = (0, 1, 2, 3)
PAPS_LEVELS = (-1, 0, 1, 2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class SweepLimit:
    """Exclude whole voltage sweeps in which ``rate`` exceeds ``limit`` at voltage ``step``.

    Attributes
    ----------
    rate : str
        One of FSR, DCR, TCR, SSD.
    limit : float
        Counts per spin.
    step : int
        E/Q voltage step 0-63 at which the rate is tested.
    """

    rate: str
    limit: float
    step: int

    def __post_init__(self) -> None:
        if self.rate not in RATE_NAMES:
            raise FilterError("sweep", f"rate {self.rate!r} is not one of {', '.join(RATE_NAMES)}")
        if not 0 <= self.step <= 63:
            raise FilterError("sweep", f"voltage step {self.step} is outside 0..63")
        if not self.limit >= 0:
            raise FilterError("sweep", f"limit {self.limit} must be >= 0")


def parse_sweep(text: str) -> SweepLimit | None:
    """Parse ``RATE,LIMIT,STEP`` (e.g. ``DCR,5000,12``); empty text means no sweep filter."""
    t = check_text(text, "sweep").strip()
    if not t:
        return None
    parts = [p.strip() for p in re.split(r"[,;\s]+", t) if p.strip()]
    accepted = "'RATE,LIMIT,STEP' with RATE one of FSR, DCR, TCR, SSD (or MSS), e.g. DCR,5000,12"
    if len(parts) != 3:
        raise FilterError("sweep", f"{text!r} is not a sweep filter; accepted: {accepted}")
    rate = parts[0].upper()
    rate = "SSD" if rate == "MSS" else rate  # the team's name of the SSD rate
    limit = parse_float(parts[1], "sweep", 0, 1e12)
    step = parse_float(parts[2], "sweep", 0, 63)
    if step != int(step):
        raise FilterError("sweep", f"voltage step {parts[2]!r} must be a whole number 0-63")
    return SweepLimit(rate, limit, int(step))


@dataclass(frozen=True)
class Selection:
    """Which PHA events are selected (hashable: query results are memoized on it).

    Ranges are inclusive ``(low, high)``; ``None`` means no restriction and an infinite side
    (one-sided forms such as ``L >= 3``) no cut on that side.  MLT is in hours and wraps
    through midnight when low > high.  Sets are sorted tuples of codes (schema.py).

    The constructor makes every value canonical, so that equal selections compare (and hash)
    equal and the URL carries them exactly: time ranges sorted and merged, sets sorted and
    distinct, Kp bounds snapped to the stored thirds (:func:`awa.model.kp.snap_kp`).
    """

    times: tuple[TimeRange, ...] = ()
    l_range: tuple[float, float] | None = (2.0, 10.0)
    vstep_range: tuple[float, float] | None = None
    mlt_range: tuple[float, float] | None = None
    dst_range: tuple[float, float] | None = None
    kp_range: tuple[float, float] | None = None
    ssd_ids: tuple[int, ...] | None = None
    pha_ranges: tuple[int, ...] | None = None
    paps_levels: tuple[int, ...] | None = (0, 1, 2, 3, 4, 5, 6)
    dpu_modes: tuple[int, ...] | None = (0, 2)
    tac_slopes: tuple[int, ...] | None = (0,)
    pha_priorities: tuple[int, ...] | None = (78,)
    triples_only: bool = True
    reject_tof1019: bool = True
    reject_range3: bool = True
    reject_ssd_high: bool = True
    sum_br_le_dcr: bool = True
    br2_le_tcr: bool = True
    rn_le_brn: bool = True
    max_br0: float | None = None
    max_br1: float | None = None
    max_br2: float | None = None
    sweep: SweepLimit | None = None

    def __post_init__(self) -> None:
        fix = object.__setattr__  # frozen: set the canonical values once, here
        fix(self, "times", merge_time_ranges(self.times))
        for name in ("ssd_ids", "pha_ranges", "paps_levels", "dpu_modes", "tac_slopes",
                     "pha_priorities"):  # fmt: skip
            value = getattr(self, name)
            if value is not None:
                fix(self, name, tuple(sorted(set(value))))
        if self.kp_range is not None:
            fix(self, "kp_range", (snap_kp(self.kp_range[0]), snap_kp(self.kp_range[1])))

    @property
    def needs_rates(self) -> bool:
        """True when any filter needs per-spin values from the rates store."""
        return bool(
            self.dst_range
            or self.kp_range
            or self.sum_br_le_dcr
            or self.br2_le_tcr
            or self.rn_le_brn
            or self.max_br0 is not None
            or self.max_br1 is not None
            or self.max_br2 is not None
            or self.sweep
        )

    def describe(self) -> str:
        """A one-line caption of the active filters (time ranges excluded)."""
        parts: list[str] = []
        if self.l_range:
            parts.append(f"L {describe_range(self.l_range)}")
        if self.vstep_range:
            parts.append(f"E/Q step {describe_range(self.vstep_range)}")
        if self.mlt_range:
            parts.append(f"MLT {format_mlt(self.mlt_range)}")
        if self.dst_range:
            parts.append(f"Dst {describe_range(self.dst_range, 'nT')}")
        if self.kp_range:
            parts.append(describe_kp(self.kp_range))
        for label, value in (
            ("SSD", self.ssd_ids),
            ("Range", self.pha_ranges),
            ("PAPS", self.paps_levels),
            ("DPU", self.dpu_modes),
            ("TAC", self.tac_slopes),
        ):
            if value is not None:
                parts.append(f"{label} {','.join(str(v) for v in value) or 'none'}")
        if self.pha_priorities is not None:
            codes = ",".join(PHA_PRIORITIES.get(v, str(v))[0] for v in self.pha_priorities)
            parts.append(f"priority {codes or 'none'}")
        if self.triples_only:
            parts.append("triples only")
        rejects = [
            name
            for name, on in (
                (f"TOF={TOF_ARTEFACT}", self.reject_tof1019),
                ("Range 3", self.reject_range3),
                ("SSDID>=4", self.reject_ssd_high),
            )
            if on
        ]
        if rejects:
            parts.append("reject " + ", ".join(rejects))
        if self.sum_br_le_dcr:
            parts.append("ΣBR<=DCR")
        if self.br2_le_tcr:
            parts.append("BR2<=TCR")
        if self.rn_le_brn:
            parts.append("Rn<=BRn")
        for n, v in enumerate((self.max_br0, self.max_br1, self.max_br2)):
            if v is not None:
                parts.append(f"BR{n}<={format_exact(v)}")
        if self.sweep:
            s = self.sweep
            parts.append(f"drop sweeps with {s.rate}>{format_exact(s.limit)} at step {s.step}")
        return "; ".join(parts)
