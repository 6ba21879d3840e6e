"""``awa`` command line: ``awa serve --data DIR [--port N] [--host H]``, ``awa config``.

Every command takes ``--config FILE`` (a TOML file read below the ``AWA_*`` variables).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from awa.settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="awa", description="AWA: AMPTE/CCE CHEM browser")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the app (development server)")
    serve.add_argument("--data", type=Path, help="store folder (default AWA_DATA_DIR or "
                       "./awa_data)")  # fmt: skip
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument("--host", default="127.0.0.1", help="host (default 127.0.0.1)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode")
    show = sub.add_parser("config", aliases=["settings"], help="print the settings in force")
    show.add_argument("--data", type=Path, help="store folder")
    for command in (serve, show):
        command.add_argument("--config", type=Path, help="TOML settings file (default "
                             "AWA_CONFIG)")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``awa`` command; return the exit code."""
    args = _parser().parse_args(argv)
    overrides: dict[str, object] = {}
    if args.data is not None:
        overrides["data_dir"] = args.data
    if getattr(args, "debug", False):
        overrides["debug"] = True
    try:
        settings = Settings.from_env(overrides=overrides, config=args.config)
    except SettingsError as exc:
        print(f"awa: {exc}", file=sys.stderr)
        return 2
    if args.command in ("config", "settings"):
        print(settings.describe())
        return 0
    if not 0 < args.port < 65536:
        print(f"awa: port {args.port} is not in 1-65535", file=sys.stderr)
        return 2
    from awa.app import build_app

    if not Path(settings.data_dir).is_dir():
        print(f"awa: warning: store folder {settings.data_dir} does not exist; the app will "
              "say so on every view", file=sys.stderr)  # fmt: skip
    app = build_app(settings)
    app.run(host=args.host, port=args.port, debug=settings.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
