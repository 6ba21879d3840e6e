"""Read one APL daily CHEM FITS file (``YYYY_DDD.fits.gz``) into typed tables (spec section 2).

Two layers, kept apart:

- :func:`read_day` opens a path (gzip-compressed or plain FITS), reads it fully into memory
  and hands the in-memory :class:`astropy.io.fits.HDUList` to :func:`parse_hdus`.
- :func:`parse_hdus` (:mod:`data_build.fits_parse`) is pure: it validates the four
  binary-table extensions described in :mod:`data_build.fits_layout` and turns them into a
  :class:`DayData` (spins, cycles, matrix elements, events), with every quirk of the archive
  handled and counted in :class:`Quirks`.

Every problem that makes a file unusable raises one :class:`BadFileError` naming the file and
the reason.  Every column is converted with an explicit ``astype`` because dtypes differ between
archive files.  All work is vectorised with NumPy (a day is about 15 000 spins and 700 000
events).
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
import zlib
from pathlib import Path

from astropy.io import fits

from awa.chem.schema import (
    TOF_ARTEFACT,
)
from data_build.fits_day import (
    CYCLE_COLUMNS,
    EVENT_COLUMNS,
    REQUIRED_COLUMNS,
    SPIN_COLUMNS,
    VALID_PAPS_LEVELS,
    BadFileError,
    DayData,
    Quirks,
    concat_days,
)
from data_build.fits_layout import (
    HDUS,
)
from data_build.fits_parse import parse_hdus

__all__ = [
    "BadFileError",
    "DayData",
    "Quirks",
    "parse_hdus",
    "read_day",
    "REQUIRED_COLUMNS",
    "SPIN_COLUMNS",
    "CYCLE_COLUMNS",
    "EVENT_COLUMNS",
    "TOF_ARTEFACT",
    "VALID_PAPS_LEVELS",
]

_GZIP_MAGIC = b"\x1f\x8b"
_FITS_MAGIC = b"SIMPLE  ="


def _read_bytes(path: Path) -> bytes:
    """The file's FITS bytes (decompressed when gzip), or BadFileError."""
    where = str(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise BadFileError(where, "file not found") from None
    except IsADirectoryError:
        raise BadFileError(where, "is a directory, not a file") from None
    except OSError as exc:
        raise BadFileError(where, f"cannot read file: {exc.strerror or exc}") from None
    if not content:
        raise BadFileError(where, "empty file (0 bytes)")
    if content[:2] == _GZIP_MAGIC:
        try:
            content = gzip.decompress(content)
        except EOFError:
            raise BadFileError(where, "truncated gzip (compressed stream ends early)") from None
        except (OSError, zlib.error) as exc:
            raise BadFileError(where, f"corrupt gzip: {exc}") from None
        if not content:
            raise BadFileError(where, "gzip holds no data")
        if not content.startswith(_FITS_MAGIC):
            raise BadFileError(where, "gzip content is not FITS (no SIMPLE card)")
    elif not content.startswith(_FITS_MAGIC):
        raise BadFileError(where, "neither gzip nor FITS")
    return content


def read_day(path: str | os.PathLike[str]) -> DayData:
    """Open one daily file (``YYYY_DDD.fits.gz`` or plain FITS) and parse it (spec section 2).

    The whole file is read and decompressed into memory, so no file handle outlives the call.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    DayData
        See :func:`parse_hdus`; ``source`` is the file's basename.

    Raises
    ------
    BadFileError
        Missing or empty file, corrupt or truncated gzip, neither gzip nor FITS, truncated or
        unreadable FITS, or any structural problem found by :func:`parse_hdus`.
    """
    p = Path(path)
    where = str(p)
    content = _read_bytes(p)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _check_structure(content, where)
            hdul = fits.open(io.BytesIO(content), memmap=False, lazy_load_hdus=True)
            _load_hdus(hdul, where)
        except BadFileError:
            raise
        except Exception as exc:  # astropy raises many types on malformed input
            raise BadFileError(where, f"unreadable FITS: {exc}") from None
    with hdul:
        notes = [_first_line(w.message) for w in caught]
        data_error = ""
        with warnings.catch_warnings(record=True) as caught_data:
            warnings.simplefilter("always")
            try:
                for hdu in hdul[1:]:
                    _ = hdu.data  # read eagerly while the file content is at hand
            except Exception as exc:  # astropy raises many types on malformed input
                data_error = f"{type(exc).__name__}: {_first_line(exc)}"
        notes += [_first_line(w.message) for w in caught_data]
        truncated = [note for note in notes if "truncated" in note.lower()]
        if truncated:
            raise BadFileError(where, f"truncated FITS ({truncated[0]})")
        if len(hdul) < 1 + len(HDUS):
            detail = f" ({notes[0]})" if notes else ""
            raise BadFileError(
                where,
                f"FITS file has {max(len(hdul) - 1, 0)} extensions, expected {len(HDUS)}{detail}",
            )
        if data_error:
            raise BadFileError(where, f"unreadable FITS data ({data_error})")
        return _parse_members(hdul, where, notes)


#: At most this many HDUs are read from one file (a few concatenated CHEM files); a header
#: whose sizes make the reader step backwards or in place would otherwise never end.
MAX_HDUS = 64


_BLOCK = 2880
_CARD = 80
#: Largest value the FITS standard allows for NAXIS and TFIELDS.
_MAX_AXES = 999


def _header_value(raw: bytes) -> int | None:
    """Integer value of a header card's value field, or None when it is not an integer."""
    text = raw.split(b"/", 1)[0].strip()
    try:
        return int(text)
    except ValueError:
        return None


def _check_structure(content: bytes, where: str) -> None:
    """Walk the FITS headers before astropy does, refusing sizes it would loop or choke on.

    Each header's NAXIS, NAXISn, PCOUNT, GCOUNT and TFIELDS must be integers in the
    standard's ranges (negative sizes make a reader step backwards; TFIELDS above 999 makes
    it build that many columns), and a file holds at most :data:`MAX_HDUS` HDUs.  A header
    or data block cut short is left to the reader, which reports the truncation.

    Raises
    ------
    BadFileError
        A size out of range, or too many HDUs.
    """
    pos, n = 0, 0
    while pos + _BLOCK <= len(content) and content[pos : pos + 8] in (b"SIMPLE  ", b"XTENSION"):
        if n == MAX_HDUS:
            raise BadFileError(where, f"more than {MAX_HDUS} HDUs: not a CHEM daily file")
        cards: dict[bytes, int | None] = {}
        while pos + _BLOCK <= len(content):
            block, pos = content[pos : pos + _BLOCK], pos + _BLOCK
            keys = [block[i : i + 8].rstrip() for i in range(0, _BLOCK, _CARD)]
            for i, key in zip(range(0, _BLOCK, _CARD), keys, strict=True):
                if block[i + 8 : i + 10] == b"= ":
                    cards.setdefault(key, _header_value(block[i + 10 : i + _CARD]))
            if b"END" in keys:
                break
        else:
            return
        naxis = cards.get(b"NAXIS", 0)
        if naxis is None or not 0 <= naxis <= _MAX_AXES:
            raise BadFileError(where, f"HDU {n}: NAXIS {naxis} is not an axis count")
        sizes = [cards.get(b"NAXIS%d" % k) for k in range(1, naxis + 1)]
        extra = [cards.get(b"PCOUNT", 0), cards.get(b"GCOUNT", 1)]
        if any(v is None or v < 0 for v in [*sizes, *extra]):
            raise BadFileError(where, f"HDU {n}: a negative or missing size in the header")
        tfields = cards.get(b"TFIELDS", 0)
        if tfields is None or not 0 <= tfields <= _MAX_AXES:
            raise BadFileError(where, f"HDU {n}: TFIELDS {tfields} is out of range")
        bits = abs(cards.get(b"BITPIX") or 8)
        values = 1
        for v in sizes:
            values *= v or 0
        pcount, gcount = extra[0] or 0, extra[1] or 0
        size = bits // 8 * gcount * (pcount + values) if naxis else 0
        pos += -(-size // _BLOCK) * _BLOCK
        n += 1


def _load_hdus(hdul: fits.HDUList, where: str) -> None:
    """Read the HDU headers one by one, refusing negative sizes and more than MAX_HDUS HDUs.

    Raises
    ------
    BadFileError
        A header declares a negative NAXISn, PCOUNT or GCOUNT, or the file holds more than
        :data:`MAX_HDUS` HDUs.
    """
    for i in range(MAX_HDUS + 1):
        try:
            hdu = hdul[i]
        except IndexError:
            return
        if i == MAX_HDUS:
            raise BadFileError(where, f"more than {MAX_HDUS} HDUs: not a CHEM daily file")
        header = hdu.header
        naxis = header.get("NAXIS", 0)
        sizes = {f"NAXIS{k}": header.get(f"NAXIS{k}", 0) for k in range(1, int(naxis) + 1)}
        sizes |= {"PCOUNT": header.get("PCOUNT", 0), "GCOUNT": header.get("GCOUNT", 1)}
        bad = {k: v for k, v in sizes.items() if not isinstance(v, int) or v < 0}
        if not isinstance(naxis, int) or naxis < 0 or bad:
            raise BadFileError(where, f"HDU {i}: invalid sizes in the header ({bad or naxis})")


def _parse_members(hdul: fits.HDUList, where: str, notes: list[str]) -> DayData:
    """Every CHEM file in the HDU list (``cat a.gz b.gz`` holds two, as gunzip shows)."""
    starts = [i for i, hdu in enumerate(hdul) if i == 0 or isinstance(hdu, fits.PrimaryHDU)]
    ends = [*starts[1:], len(hdul)]
    parts, extra = [], [f"astropy: {note}" for note in notes]
    for start, end in zip(starts, ends, strict=True):
        if start and end - start < 1 + len(HDUS):
            extra.append(f"ignored HDUs {start}-{end - 1}: a primary HDU without the CHEM layout")
            continue
        parts.append(parse_hdus(fits.HDUList(list(hdul[start:end])), source=where))
        if end - start > 1 + len(HDUS):
            extra.append(f"ignored HDUs {start + 1 + len(HDUS)}-{end - 1}: beyond the layout")
    if len(parts) > 1:
        extra.append(f"{len(parts)} CHEM files concatenated (e.g. gzip members): all read")
    day = concat_days(parts)
    day.notes = [*day.notes, *extra]
    return day


def _first_line(message: object) -> str:
    text = str(message).strip()
    return text.splitlines()[0] if text else type(message).__name__
