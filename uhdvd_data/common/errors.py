"""User-facing errors: one line, naming the file and the cause."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem with the user's input or environment. The CLI prints it as one line and exits non-zero."""

    exit_code = 2


def file_error(path: os.PathLike | str, cause: str) -> UserError:
    """Build the canonical '<path>: <cause>' error."""
    return UserError(f"{os.fspath(path)}: {cause}")


def warn(msg: str) -> None:
    """One line on stderr that does not stop the command."""
    print(f"uhdvd-data: warning: {msg}", file=sys.stderr, flush=True)


def run_cli(prog: str, main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run a console-script body; turn expected failures into a single stderr line and an exit code.

    UHDVD_DEBUG=1 re-raises so developers get the traceback.
    """
    debug = os.environ.get("UHDVD_DEBUG", "") not in ("", "0")
    try:
        rc = main(argv)
        return int(rc or 0)
    except UserError as e:
        if debug:
            raise
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        if debug:
            raise
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        print(f"{prog}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - last-resort one-liner; UHDVD_DEBUG=1 shows the traceback
        if debug:
            raise
        print(f"{prog}: internal error: {type(e).__name__}: {e} (set UHDVD_DEBUG=1 for the traceback)", file=sys.stderr)
        return 3
