"""`uhdvd-deblur` (placeholder until issue #6 lands)."""

from __future__ import annotations

import argparse

from uhdvd_data.common.errors import UserError, run_cli

HELP = "Deblur a video or a folder of frames (not implemented yet: issue #6)"


def _main(argv: list[str] | None) -> int:
    argparse.ArgumentParser(prog="uhdvd-deblur", description=HELP).parse_args(argv)
    raise UserError("uhdvd-deblur is not implemented yet (issue #6)")


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-deblur", _main, argv))
