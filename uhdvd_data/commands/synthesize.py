"""`uhdvd-data synthesize` (placeholder until issue #5 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Average 480 fps windows into blur/sharp pairs (not implemented yet: issue #5)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synthesize", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'synthesize' is not implemented yet (issue #5)")
