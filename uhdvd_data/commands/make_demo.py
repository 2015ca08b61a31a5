"""`uhdvd-data make-demo` (placeholder until issue #3 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Render demo footage with 480 fps ground truth (not implemented yet: issue #3)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("make-demo", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'make-demo' is not implemented yet (issue #3)")
