"""`uhdvd-train` (placeholder until issue #7 lands)."""

from __future__ import annotations

import argparse

from uhdvd_data.common.errors import UserError, run_cli

HELP = "Train UHDVD on a pair manifest (not implemented yet: issue #7)"


def _main(argv: list[str] | None) -> int:
    argparse.ArgumentParser(prog="uhdvd-train", description=HELP).parse_args(argv)
    raise UserError("uhdvd-train is not implemented yet (issue #7)")


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-train", _main, argv))
