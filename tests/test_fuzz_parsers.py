"""Fuzzing every parser of awa.model, and no user text in a PyTables ``where`` string."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import tables
from hypothesis import given, settings
from hypothesis import strategies as st

from awa.model import (
    DPU_MODES,
    PARAMS,
    AppState,
    FilterError,
    TimeRange,
    parse_bool,
    parse_boxes,
    parse_float,
    parse_int,
    parse_int_set,
    parse_kp,
    parse_kp_range,
    parse_mlt,
    parse_number,
    parse_params,
    parse_query,
    parse_range,
    parse_sweep,
    parse_time_range,
    parse_time_ranges,
    parse_window,
    split_range,
)

ROOT = Path(__file__).resolve().parents[1]

#: Every parser of user text, called the way the app calls it.
PARSERS: dict[str, Callable[[str], Any]] = {
    "time_range": parse_time_range,
    "time_ranges": parse_time_ranges,
    "range": lambda s: parse_range(s, "L", 0, 20),
    "int_range": lambda s: parse_range(s, "vs", 0, 63, integer=True),
    "split_range": lambda s: split_range(s, "L"),
    "number": lambda s: parse_number(s, "x"),
    "float": lambda s: parse_float(s, "br0max", 0, 1e12),
    "int": lambda s: parse_int(s, "etbin", 1, 256),
    "bool": lambda s: parse_bool(s, "tri"),
    "int_set": lambda s: parse_int_set(s, "dpu", DPU_MODES),
    "mlt": parse_mlt,
    "kp": parse_kp,
    "kp_range": parse_kp_range,
    "window": lambda s: parse_window(s, "mez", 0.0, 1e15),
    "boxes": parse_boxes,
    "sweep": parse_sweep,
    # each URL parameter, through the URL edge (``parse_params``) as the app reads it
    **{f"param:{p.key}": (lambda s, k=p.key: parse_params({k: s})) for p in PARAMS},
}

#: Text that looks like what the parsers read: digits, separators, operators, Kp notation.
GRAMMAR = "0123456789-+:/.,; TZzeEoO<>=≥≤Lkpx\n"
texts = st.text(alphabet=GRAMMAR, max_size=40) | st.text(max_size=40)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_any_text_gives_a_typed_value_or_a_filter_error(name: str, text: str) -> None:
    error: FilterError | None = None
    try:
        value = PARSERS[name](text)
    except FilterError as exc:
        error = exc
    if error is not None:
        assert error.message  # a message that says what is wrong
        return
    if isinstance(value, TimeRange):
        assert value.start < value.end
    if isinstance(value, tuple) and len(value) == 2 and all(
        isinstance(v, float) for v in value
    ):
        assert value[0] <= value[1] or name in ("param:mlt", "mlt")  # MLT may wrap


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from([p.key for p in PARAMS] + ["zz", ""]), texts, max_size=6)
)
def test_any_url_gives_a_state_and_messages(values: dict[str, str]) -> None:
    query = "&".join(f"{k}={v}" for k, v in values.items())
    state, errors = parse_query("?" + query)
    assert isinstance(state, AppState)
    assert all(isinstance(e, str) and e for e in errors)
    try:
        strict, none = parse_params(values)
    except FilterError:
        return
    assert none == []
    assert isinstance(strict, AppState)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_query_string_parses(query: str) -> None:
    state, errors = parse_query(query)
    assert isinstance(state, AppState)
    assert isinstance(errors, list)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_long_text_is_refused_not_matched(name: str) -> None:
    with pytest.raises(FilterError, match="too long"):
        PARSERS[name]("1," * 60_000)


# ---------------------------------------------------------------------------------------
# No user text reaches a PyTables or pandas ``where`` string
# ---------------------------------------------------------------------------------------

#: Calls that take a query condition, and the keyword or position of the condition.
CONDITION_CALLS = {
    "read_where": 0, "where": 0, "get_where_list": 0, "select": None, "read_hdf": None,
    "select_as_multiple": None, "select_column": None, "select_as_coordinates": None,
}  # fmt: skip
CONDITION_KEYWORDS = ("where", "condition")

#: Condition strings built from typed values (never from user text), with the reason.
ALLOWED_BUILT = {
    ("data_build/atlas.py", "read_day_rates"): "a UT day of the HK store (dt.date), isoformat",
}


def _sources() -> list[Path]:
    return sorted(p for d in ("awa", "data_build") for p in (ROOT / d).rglob("*.py"))


def _text_like(expr: ast.expr) -> bool:
    """An expression that builds or is a string (a condition), not a mask or an array."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str)
    if isinstance(expr, ast.JoinedStr | ast.BinOp):
        return True
    return isinstance(expr, ast.Call) and getattr(expr.func, "attr", "") in ("format", "join")


def _condition_sites(path: Path) -> list[tuple[str, ast.expr]]:
    """(enclosing function, condition expression) of each query call in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out: list[tuple[str, ast.expr]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = func
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                callee = child.func
                attr = getattr(callee, "attr", None) or getattr(callee, "id", "")
                for kw in child.keywords:
                    if kw.arg in CONDITION_KEYWORDS and attr != "step":  # matplotlib step(where=)
                        out.append((name, kw.value))
                position = CONDITION_CALLS.get(attr)
                if isinstance(callee, ast.Attribute) and position is not None and child.args:
                    arg = child.args[position]
                    # a condition is text; pandas' Series.where(mask) and np.where are not
                    if _text_like(arg) and not (
                        isinstance(callee.value, ast.Name) and callee.value.id in ("np", "numpy")
                    ):
                        out.append((name, arg))
            visit(child, name)

    visit(tree, "<module>")
    return out


def test_the_scan_finds_condition_strings() -> None:
    sites = {
        (str(p.relative_to(ROOT)), func)
        for p in _sources()
        for func, _ in _condition_sites(p)
    }
    assert ("data_build/atlas.py", "read_day_rates") in sites  # the scan sees real uses


def test_every_where_condition_is_a_constant_or_built_from_typed_values() -> None:
    offenders = []
    for path in _sources():
        rel = str(path.relative_to(ROOT))
        for func, expr in _condition_sites(path):
            if isinstance(expr, ast.Constant) and isinstance(expr.value, str | type(None)):
                continue  # a literal condition; values, if any, go in condvars
            if (rel, func) in ALLOWED_BUILT:
                continue
            offenders.append(f"{rel}:{expr.lineno} in {func}: {ast.unparse(expr)}")
    assert offenders == [], "condition strings built at run time:\n" + "\n".join(offenders)


def _string_constants() -> set[str]:
    out: set[str] = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out


def test_a_query_from_hostile_url_text_sends_no_text_to_pytables(
    sim_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spy on every PyTables condition entry point while the app answers a URL."""
    from awa import query

    seen: list[str] = []
    for method in ("read_where", "where", "get_where_list"):
        original = getattr(tables.Table, method)

        def spy(self: Any, condition: str, *args: Any, _o: Any = original, **kw: Any) -> Any:
            seen.append(condition)
            return _o(self, condition, *args, **kw)

        monkeypatch.setattr(tables.Table, method, spy)
    hostile = "L=2,10&kp=>=1&dst=,0&mlt=0000-2400&vs=0,&t=1986-039;__import__('os').system('x')"
    state, errors = parse_query("?" + hostile)
    assert [e[:5] for e in errors] == ["time:"]  # the hostile time text is refused, with a message
    day = query.default_time_range(sim_store.folder)
    assert day is not None
    sel = replace(state.selection, times=(day,))
    hist = query.et_histogram(query.store_key(sim_store.folder), sel, state.view.et_bin)
    assert hist.n_selected > 0  # the query ran over the store
    constants = _string_constants()
    assert all(c in constants for c in seen), seen  # conditions are literals of the code
