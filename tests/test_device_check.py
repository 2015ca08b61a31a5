"""benchmarks/device_check.sh end to end on CPU (tiny sizes), and the driver's error / time-budget handling."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = [
    "uhdvd-paper spaa=serial", "uhdvd-paper spaa=batch", "uhdvd-paper spaa=grouped", "uhdvd-official", "dmphn",
    "interp network", "interp dis", "interp dis, mirror ensemble",
    "sepconv triton time", "sepconv triton memory", "sepconv reference time", "sepconv reference memory",
    "train fp32", "train bf16+channels_last",
]


def table(text: str) -> dict[str, dict[str, str]]:
    """Rows of the Markdown table by name: {name: {size, value, unit, notes}}."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| name |", "|---")):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        assert len(cells) == 5, line
        rows[cells[0]] = dict(zip(("size", "value", "unit", "notes"), cells[1:]))
    return rows


def is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_device_check_script_on_cpu(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path / "out"), OMP_NUM_THREADS="2", OMP_WAIT_POLICY="PASSIVE")
    r = subprocess.run(["bash", str(ROOT / "benchmarks/device_check.sh"), "--device", "cpu", "--budget-s", "150"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    text = (tmp_path / "out/device_check.md").read_text()
    assert text == r.stdout
    assert "CPU, tiny sizes" in text and "- torch: " in text and "- date: " in text
    assert "- gpu tests: not run: no CUDA device" in text
    rows = table(text)
    assert list(rows) == ROWS
    for name, row in rows.items():
        assert not row["value"].startswith(("error", "skipped")), (name, row)
        assert is_number(row["value"]) or row["value"] == "n/a", (name, row)
    for name in ROWS:
        if "triton" not in name and "memory" not in name:
            assert float(rows[name]["value"]) > 0 and rows[name]["unit"], name
    assert rows["uhdvd-paper spaa=serial"]["size"] == "256x128" and rows["train fp32"]["size"] == "crop 128"


def test_failing_row_and_time_budget(tmp_path, monkeypatch):
    import device_check as dc

    def boom(c):
        raise RuntimeError("CUDA out of memory | at 4K")

    now = [0.0]

    def slow(c):
        now[0] += 100.0  # spends the 60 s budget: the next row is skipped
        return 2.0, "ms", ""

    rows = [("first", "1x1", lambda c: (1.5, "ms", "ok")), ("broken", "1x1", boom), ("slow", "1x1", slow),
            ("late", "1x1", lambda c: (3.0, "ms", ""))]
    monkeypatch.setattr(dc, "measurements", lambda c: rows)
    monkeypatch.setattr(dc, "clock", lambda: now[0])
    out = tmp_path / "t.md"
    c = dc.Check(dc.torch.device("cpu"), dc.TINY)
    got = dc.run_all(c, budget_s=60, only=[], out=out, header={"device": "test"})
    assert [r.value for r in got] == ["1.5", "error: RuntimeError: CUDA out of memory \\| at 4K", "2",
                                      dc.SKIPPED]
    parsed = table(out.read_text())
    assert parsed["broken"]["value"].startswith("error: RuntimeError") and parsed["late"]["value"] == dc.SKIPPED
    assert [r.name for r in dc.run_all(c, 10, ["fir", "lat"], out, {})] == ["first", "late"]
