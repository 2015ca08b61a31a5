"""Every console script answers --help without error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("script", ["uhdvd-data", "uhdvd-train", "uhdvd-eval", "uhdvd-deblur", "uhdvd-pipeline"])
def test_help(script):
    r = subprocess.run([str(BIN / script), "--help"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower()


def test_every_data_subcommand_has_help():
    import argparse

    from uhdvd_data.cli import COMMANDS, build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert len(sub.choices) == len(COMMANDS)
    for name in sub.choices:
        r = subprocess.run([str(BIN / "uhdvd-data"), name, "--help"], capture_output=True, text=True)
        assert r.returncode == 0, (name, r.stderr)
