"""`uhdvd-data probe` (placeholder until issue #3 lands)."""

from __future__ import annotations

import argparse

from ..common.errors import UserError

HELP = "Probe footage and write manifests/footage.csv (not implemented yet: issue #3)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help=HELP, description=HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise UserError("'probe' is not implemented yet (issue #3)")
