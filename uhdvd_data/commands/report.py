"""`uhdvd-data report` (placeholder until issue #5 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Dataset report with contact sheet (not implemented yet: issue #5)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'report' is not implemented yet (issue #5)")
