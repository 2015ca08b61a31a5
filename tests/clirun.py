"""Run `uhdvd-data` in-process from tests: `cli(capsys, *argv)` -> (exit code, stdout, stderr); `code(*argv)` -> exit
code only (output left to pytest)."""

from __future__ import annotations


def code(*argv: str) -> int:
    from uhdvd_data.cli import main

    try:
        return main(list(argv))
    except SystemExit as e:
        return e.code


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = code(*argv)
    out, err = capsys.readouterr()
    return rc, out, err
