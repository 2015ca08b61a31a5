"""`uhdvd-eval --table paper`: the UHDVD paper's Table 1 layout (a column group per dataset, a column per method;
rows PSNR, SSIM, model time, end-to-end time), with the conventions it was measured under stated below it.

The paper's own UHDVD numbers are shown for reference next to datasets named like GoPro, DVD, REDS or 4KRD.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

from uhdvd_data.common.atomic import write_text

from . import metrics as M
from .timing import TIMING_NOTE, now_utc

PAPER_LABEL = "paper (V100, unsynchronised timing)"
# UHDVD ("Ours") in the paper's Table 1: PSNR, SSIM, time (ms per image; V100, no CUDA synchronisation)
PAPER_UHDVD = {"gopro": (31.33, 0.921, 12.7), "dvd": (32.19, 0.937, 13.2), "reds": (27.53, 0.815, 13.9),
               "4krd": (27.88, 0.813, 27.9)}
ROWS = (("PSNR", "psnr", "{:.2f}"), ("SSIM", "ssim", "{:.3f}"), ("Time (ms, model)", "ms_model", "{:.1f}"),
        ("Time (ms, end-to-end)", "ms_end_to_end", "{:.1f}"))


def paper_key(name: str) -> str | None:
    """The paper dataset a dataset name refers to: a word of the name starting with gopro/dvd/reds/4krd
    ('GOPRO_Large' -> gopro, 'reds_val' -> reds; 'uhdvd_demo' -> None)."""
    for word in re.split(r"[^a-z0-9]+", name.lower()):
        for key in PAPER_UHDVD:
            if word.startswith(key):
                return key
    return None


def columns(res) -> list[tuple[str, str, dict]]:
    """(dataset, method, values by ROWS key) for every column, dataset groups in order, paper column last."""
    cols = []
    for ds in res.datasets:
        for r in res.rows[ds.name]:
            if r["clip"] == "mean":
                cols.append((ds.name, r["method"], r))
        key = paper_key(ds.name)
        if key:
            p, s, t = PAPER_UHDVD[key]
            cols.append((ds.name, PAPER_LABEL, {"psnr": p, "ssim": s, "ms_model": t, "ms_end_to_end": math.nan}))
    return cols


def _cell(v: float | None, fmt: str, missing: str = "-") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return missing
    return "inf" if v == math.inf else fmt.format(v)


def _ssim_convention() -> str:
    c = M.CONVENTIONS
    i, j = c.find("SSIM:"), c.find("; SSIM-Y")
    return c[i + len("SSIM:"):j].strip() if 0 <= i < j else c


def footer(res, date: str | None = None) -> list[str]:
    timing = (TIMING_NOTE.format(how=res.timing, warmup=res.warmup) if res.device
              else "Time: no weights given, nothing was timed.")
    lines = [
        "PSNR: RGB, 8-bit outputs rounded half-up (as saved), no border crop, data range 255; mean over all frames.",
        f"SSIM: {_ssim_convention()}. SSIM-Y (the same SSIM on BT.601 Y as MATLAB rgb2ycbcr) is also in the CSV "
        "(column ssim_y of eval_*.csv).",
        timing,
        f"Device: {res.device or 'none (no weights)'}; dtype {res.dtype or '-'}; date {date or now_utc()}.",
    ]
    if any(paper_key(ds.name) for ds in res.datasets):
        lines.append(f"{PAPER_LABEL}: the UHDVD column of the paper's Table 1 for reference (V100; its times were "
                     "taken without CUDA synchronisation and are not comparable with ours; its SSIM implementation "
                     "is not stated; its test data may differ from these manifests).")
    return lines


def format_markdown(res, date: str | None = None) -> str:
    cols = columns(res)
    first = {}
    for i, (ds, _, _) in enumerate(cols):
        first.setdefault(ds, i)
    names = {ds.name: ds for ds in res.datasets}
    table = [["Datasets"] + [f"{ds} ({names[ds].split})" if first[ds] == i else "" for i, (ds, _, _) in
                             enumerate(cols)],
             ["Methods"] + [m for _, m, _ in cols]]
    table += [[title] + [_cell(v.get(key), fmt) for _, _, v in cols] for title, key, fmt in ROWS]
    widths = [max(len(r[k]) for r in table) for k in range(len(table[0]))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in
                                 enumerate(zip(cells, widths))) + " |"

    out = [f"- {ds.name}: {ds.manifest}, split {ds.split}, {len(ds.clips)} clip(s), {ds.frames} frame(s)"
           for ds in res.datasets]
    out += ["", line(table[0]), "|" + "|".join("-" * (w + 1) + (":" if k else "-") for k, w in enumerate(widths))
            + "|"]
    out += [line(r) for r in table[1:]]
    out += [""] + [f"- {x}" for x in footer(res, date)]
    return "\n".join(out)


def format_csv(res) -> str:
    """Same layout: a 'dataset' and a 'method' header row, then one row per metric (full precision)."""
    cols = columns(res)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["dataset"] + [ds for ds, _, _ in cols])
    w.writerow(["method"] + [m for _, m, _ in cols])
    for title, key, _ in ROWS:
        w.writerow([title] + [_cell(v.get(key), "{:.6f}", "") for _, _, v in cols])
    return buf.getvalue()


def write_paper_table(res, out_dir: Path, date: str | None = None) -> list[Path]:
    md, cs = Path(out_dir) / "table_paper.md", Path(out_dir) / "table_paper.csv"
    res.paper_table = format_markdown(res, date)
    write_text(md, "# uhdvd-eval --table paper\n\n" + res.paper_table + "\n")
    write_text(cs, format_csv(res))
    return [md, cs]


__all__ = ["PAPER_LABEL", "PAPER_UHDVD", "columns", "format_csv", "format_markdown", "paper_key",
           "write_paper_table"]
