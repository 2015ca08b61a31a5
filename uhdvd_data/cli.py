"""`uhdvd-data` command line: one subcommand per module in uhdvd_data.commands (heavy imports happen inside run)."""

from __future__ import annotations

import argparse
import importlib

from . import __version__
from .common.errors import run_cli

# Order shown in --help follows the pipeline.
COMMANDS = [
    "probe",
    "make_demo",
    "interpolate",
    "train_interp",
    "synthesize",
    "build",
    "export",
    "import_pairs",
    "verify",
    "report",
    "merge",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uhdvd-data",
        description="Make 4K blur/sharp training pairs from ordinary phone footage: "
        "probe -> interpolate to 480 fps -> synthesize blur -> manifest.",
    )
    parser.add_argument("--version", action="version", version=f"uhdvd-data {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"uhdvd_data.commands.{name}").register(sub)
    return parser


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-data", _main, argv))
