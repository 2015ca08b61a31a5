"""`uhdvd-data interpolate` (placeholder until issue #4 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Interpolate footage to a high frame rate (e.g. 480 fps) (not implemented yet: issue #4)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("interpolate", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'interpolate' is not implemented yet (issue #4)")
