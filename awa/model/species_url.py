"""URL state of the species pages (``/species`` timelines, ``/compare`` A versus B).

The selection (and for the comparison selection A) is the browser's: every parameter of
:data:`awa.model.url.PARAMS` (``t``, ``L``, ...).  The pages add their own keys:

- ``sp``: species regions (:mod:`awa.model.regions`; absent: the default table);
- ``cad``: ``cycle`` or ``hour``; ``q``: ``counts`` or ``rates``; ``show``: species drawn
  (comma separated); ``ratios``: ratio panels ``A/B`` (comma separated); ``me``: 0/1, the
  on-board ME panel;
- ``tb``: the time ranges of selection B (its other filters are A's); ``min``: the fewest
  events a ratio bin needs in A and in B; ``w``: 0/1, compare BR/R weighted events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote

from awa.chem.species import SpeciesRegion, default_regions
from awa.model.parse import FilterError, check_text, parse_bool, parse_float
from awa.model.regions import format_regions, parse_regions
from awa.model.selection import Selection
from awa.model.time import TimeRange, format_time_ranges, parse_time_ranges
from awa.model.url import MAX_QUERY_CHARS, MAX_TIME_TEXT, parse_params, to_params
from awa.model.view import AppState

__all__ = [
    "SPECIES_KEYS",
    "SpeciesState",
    "parse_ratios",
    "parse_species_query",
    "species_query",
]

SPECIES_KEYS = ("sp", "cad", "q", "show", "ratios", "me", "tb", "min", "w")
_DEFAULT_SHOW = ("H+", "He++", "He+", "O+")
_DEFAULT_RATIOS = (("O+", "H+"), ("He+", "He++"))


@dataclass(frozen=True)
class SpeciesState:
    """Everything the species pages' URLs carry."""

    selection: Selection = field(default_factory=Selection)
    regions: tuple[SpeciesRegion, ...] = field(default_factory=default_regions)
    cadence: str = "hour"
    quantity: str = "rates"
    shown: tuple[str, ...] = _DEFAULT_SHOW
    ratios: tuple[tuple[str, str], ...] = _DEFAULT_RATIOS
    me: bool = True
    times_b: tuple[TimeRange, ...] | None = None
    min_counts: int = 10
    weighted: bool = True

    @property
    def selection_b(self) -> Selection | None:
        """Selection B: A's filters on the times ``tb`` (None without ``tb``)."""
        return None if self.times_b is None else replace(self.selection, times=self.times_b)


def _choice(key: str, text: str, options: tuple[str, ...]) -> str:
    v = text.strip().lower()
    if v not in options:
        raise FilterError(key, f"{text!r}: give one of {', '.join(options)}")
    return v


def _names(text: str, regions: tuple[SpeciesRegion, ...]) -> tuple[str, ...]:
    known = [r.name for r in regions] + ["other"]
    out = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in out if n not in known]
    if bad:
        raise FilterError("show", f"no species region {bad[0]!r}; regions: {', '.join(known)}")
    return out


def parse_ratios(text: str, regions: tuple[SpeciesRegion, ...]) -> tuple[tuple[str, str], ...]:
    """Ratio panels ``'O+/H+,He+/He++'`` of region names (FilterError naming the bad one)."""
    out = []
    for item in (x.strip() for x in text.split(",") if x.strip()):
        if item.count("/") != 1:
            raise FilterError("ratios", f"{item!r}: give ratios as A/B, e.g. 'O+/H+,He+/He++'")
        a, b = (s.strip() for s in item.split("/"))
        _names(f"{a},{b}", regions)
        out.append((a, b))
    if len(out) > 6:
        raise FilterError("ratios", f"{len(out)} ratio panels: at most 6")
    return tuple(out)


def parse_species_query(search: str | None) -> tuple[SpeciesState, list[str]]:
    """State of a species page URL; bad values are skipped and their messages returned."""
    pairs = dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=True))
    own = {k: pairs.pop(k) for k in SPECIES_KEYS if k in pairs}
    app, errors = parse_params(pairs, strict=False)
    values: dict[str, object] = {"selection": app.selection}
    regions = default_regions()
    if "sp" in own:
        try:
            regions = parse_regions(own["sp"])
            values["regions"] = regions
        except FilterError as exc:
            errors.append(str(exc))
    parsers = {
        "cad": ("cadence", lambda s: _choice("cad", s, ("cycle", "hour"))),
        "q": ("quantity", lambda s: _choice("q", s, ("counts", "rates"))),
        "show": ("shown", lambda s: _names(s, regions)),
        "ratios": ("ratios", lambda s: parse_ratios(s, regions)),
        "me": ("me", lambda s: parse_bool(s, "me")),
        "tb": ("times_b", lambda s: parse_time_ranges(check_text(s, "tb", MAX_TIME_TEXT))),
        "min": ("min_counts", lambda s: int(parse_float(s, "min", 1, 1e6))),
        "w": ("weighted", lambda s: parse_bool(s, "w")),
    }
    for key, (attr, parse) in parsers.items():
        if key not in own:
            continue
        try:
            values[attr] = parse(check_text(own[key], key, MAX_TIME_TEXT))
        except FilterError as exc:
            errors.append(str(exc))
    return SpeciesState(**values), errors  # type: ignore[arg-type]


def species_query(state: SpeciesState) -> str:
    """The query string (``?...``) of ``state``: the selection's, then the pages' own keys.

    Raises
    ------
    FilterError
        When the query is longer than :data:`awa.model.url.MAX_QUERY_CHARS`.
    """
    params = to_params(AppState(selection=state.selection))
    d = SpeciesState()
    own = {
        "sp": format_regions(state.regions),
        "cad": state.cadence if state.cadence != d.cadence else "",
        "q": state.quantity if state.quantity != d.quantity else "",
        "show": ",".join(state.shown) if state.shown != d.shown else "",
        "ratios": ",".join(f"{a}/{b}" for a, b in state.ratios) if state.ratios != d.ratios
        else "",
        "me": "" if state.me == d.me else ("1" if state.me else "0"),
        "tb": format_time_ranges(state.times_b) if state.times_b else "",
        "min": str(state.min_counts) if state.min_counts != d.min_counts else "",
        "w": "" if state.weighted == d.weighted else ("1" if state.weighted else "0"),
    }  # fmt: skip
    params.update({k: v for k, v in own.items() if v})
    if not params:
        return ""
    query = "?" + "&".join(f"{k}={quote(v.replace('; ', ';'), safe=',:;-./')}"
                           for k, v in params.items())  # fmt: skip
    if len(query) > MAX_QUERY_CHARS:
        raise FilterError("sp", f"this view needs {len(query):,} characters in its address, "
                          f"more than the {MAX_QUERY_CHARS:,} a link can carry")  # fmt: skip
    return query
