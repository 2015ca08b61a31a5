"""`uhdvd-data train-interp` (placeholder until issue #4 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Train the interpolation network (not implemented yet: issue #4)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train-interp", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'train-interp' is not implemented yet (issue #4)")
