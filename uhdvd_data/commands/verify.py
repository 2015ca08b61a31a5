"""`uhdvd-data verify` (placeholder until issue #5 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Verify a dataset manifest (not implemented yet: issue #5)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'verify' is not implemented yet (issue #5)")
