"""`uhdvd-data build` (placeholder until issue #5 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Fused interpolate+synthesize without storing 480 fps frames (not implemented yet: issue #5)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'build' is not implemented yet (issue #5)")
