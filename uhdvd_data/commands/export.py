"""`uhdvd-data export` (placeholder until issue #5 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Export a dataset as GoPro/REDS/BasicSR trees (not implemented yet: issue #5)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'export' is not implemented yet (issue #5)")
