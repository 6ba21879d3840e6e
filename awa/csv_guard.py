"""No downloaded CSV cell starts a spreadsheet formula.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula.  AWA's CSVs carry text built from the
request in their ``#`` lines (``# Query: ?t=...&dst=-100,-20``: split at the comma, the
cell ``-20`` is a number but ``-20&kp=0`` would be a formula).  Every downloaded line
passes through :func:`guard_line`:

- a cell that is a number (``-1.5``, ``+3``, ``-1e5``) stays as it is;
- in a ``#`` line holding the page's link (``# Query:``, ``# AWA: ... query=``) the comma
  before a formula-like cell is written ``%2C`` (the same URL, which no longer splits there);
- any other formula-like cell gets a leading apostrophe (shown as text, not run).

Data rows are numbers and times: chunks without a risky cell pass unchanged at the cost
of one regular-expression search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["formula_safe", "guard_chunks", "guard_line", "guard_text"]

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A cell starting like a formula, except a plain number (``-1.5``, ``+2e3``).
_RISKY = re.compile(
    r'(?:^|[,\n])"?(?:[=@\t\r]|[+\-](?![0-9]*\.?[0-9]+(?:[eE][+\-]?[0-9]+)?(?:[,\n"]|$)))',
    re.MULTILINE,
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _risky(cell: str) -> bool:
    bare = cell[1:] if cell.startswith('"') else cell
    return bare.startswith(FORMULA_START) and not _is_number(bare.strip('"'))


def formula_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: ``'=A1`` for ``=A1``; numbers unchanged.

    A quoted cell (``"=A1"``) gets the apostrophe inside its quotes.
    """
    if not _risky(cell):
        return cell
    return "\"'" + cell[1:] if cell.startswith('"') else "'" + cell


def guard_line(line: str) -> str:
    """One CSV line (without its line end) with every formula-like cell made safe."""
    cells = line.split(",")
    if len(cells) == 1 or not any(_risky(c) for c in cells):
        return formula_safe(line)
    if line.startswith("#") and "?t=" in line:  # a line holding the page's link
        out = cells[0]
        for cell in cells[1:]:
            out += ("%2C" if _risky(cell) else ",") + cell
        return out
    return ",".join(formula_safe(c) for c in cells)


def guard_text(text: str) -> str:
    """Several CSV lines (``\\n`` ends) made safe; text without a risky cell is returned as is."""
    if not _RISKY.search(text):
        return text
    return "\n".join(guard_line(line) for line in text.split("\n"))


def guard_chunks(chunks: Iterator[str]) -> Iterator[str]:
    """The chunks of a streamed CSV, each made safe (chunks end at line ends)."""
    for chunk in chunks:
        yield guard_text(chunk)
