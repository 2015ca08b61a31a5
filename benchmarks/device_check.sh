#!/usr/bin/env bash
# One-shot device check (docs/benchmarks.md, "One-shot device check"), meant for a lent GPU in under 8 minutes:
#   1. the gpu-marked tests (pytest -m gpu), only when CUDA is present: at most $DEVICE_CHECK_TEST_S (180) s in all,
#      120 s per test;
#   2. benchmarks/device_check.py with the time left of $DEVICE_CHECK_TOTAL_S (420) s, at least 30 s: one Markdown
#      table. A row already running when the budget is spent finishes, so allow about a minute more in all.
# Writes $OUT/device_check.md (and $OUT/device_check_pytest.txt) when $OUT is set, else ./device_check.md.
# Extra arguments go to the driver, e.g. `bash benchmarks/device_check.sh --only sepconv` or `--budget-s 60`.
# Without CUDA the driver runs at tiny sizes (a smoke test of the chain, not a speed figure).
set -euo pipefail

if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    DEST="$(cd "$OUT" && pwd)"  # resolved before moving to the repository root
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEST="${DEST:-.}"
PY=python3
if [ -x .venv/bin/python ]; then
    PY=.venv/bin/python
fi
TOTAL_S="${DEVICE_CHECK_TOTAL_S:-420}"
TEST_S="${DEVICE_CHECK_TEST_S:-180}"
start=$SECONDS

cuda=$("$PY" -c 'import torch;print(torch.cuda.is_available())')
tests="not run: no CUDA device"
if [ "$cuda" = "True" ]; then
    log="$DEST/device_check_pytest.txt"
    echo "device_check: gpu-marked tests (at most ${TEST_S} s), log $log" >&2
    rc=0
    timeout "$TEST_S" "$PY" -m pytest -m gpu -q -p no:cacheprovider --timeout 120 tests >"$log" 2>&1 || rc=$?
    tail -n 30 "$log" >&2
    why=""
    if [ "$rc" = 124 ]; then why=", timed out after ${TEST_S} s"; fi
    tests="$(tail -n 1 "$log") (exit status $rc$why; log device_check_pytest.txt)"
fi

left=$((TOTAL_S - (SECONDS - start)))
budget=420
if [ "$left" -lt "$budget" ]; then budget=$left; fi
if [ "$budget" -lt 30 ]; then budget=30; fi
exec "$PY" benchmarks/device_check.py --out "$DEST/device_check.md" --budget-s "$budget" --gpu-tests "$tests" "$@"
