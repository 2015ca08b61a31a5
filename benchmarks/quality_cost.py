"""Cost of the per-pair quality measurements (self-check + target sharpness) in `synthesize` and `build`.

Renders the demo footage (`uhdvd-data make-demo`: --clips clips of --frames frames at --size, no truth), interpolates
it once (`interpolate`, --method), then times, alternating, `synthesize` with the quality columns (the default) and
with `--no-quality`, and `build` likewise, each into fresh output folders; reports the fastest of --repeats runs of
each and the overhead = (with - without) / without. Also times the quality pass of synthesize alone.

    .venv/bin/python benchmarks/quality_cost.py [--size 320x180] [--clips 3] [--frames 24] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uhdvd_data.cli import main as cli  # noqa: E402


def timed(argv: list[str]) -> float:
    t = time.perf_counter()
    try:
        rc = cli(argv)
    except SystemExit as e:
        rc = e.code
    if rc not in (0, None):
        raise SystemExit(f"{' '.join(argv)} failed ({rc})")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--method", default="dis")
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="quality_cost_"))
    try:
        demo, interp = tmp / "demo", tmp / "interp"
        timed(["make-demo", str(demo), "--size", a.size, "--clips", str(a.clips), "--frames", str(a.frames),
               "--no-truth", "--quiet"])
        t_interp = timed(["interpolate", str(demo), "--out", str(interp), "--method", a.method, "--device", "cpu",
                          "--no-progress"])
        res: dict = {"size": a.size, "clips": a.clips, "frames": a.frames, "method": a.method,
                     "interpolate_s": t_interp}
        runs: dict[str, list[float]] = {}
        kinds = [("synthesize", ["synthesize", "--interp", str(interp)])]
        if not a.skip_build:
            kinds.append(("build", ["build", str(demo), "--method", a.method, "--device", "cpu"]))
        for _ in range(a.repeats):
            for name, base in kinds:
                for label, extra in (("quality", []), ("no_quality", ["--no-quality"])):
                    out = tmp / f"{name}_{label}"
                    shutil.rmtree(out, ignore_errors=True)
                    t = timed([*base, "--out", str(out / "dataset"), "--manifest", str(out / "m/4krd.csv"),
                               "--no-progress", *extra])
                    runs.setdefault(f"{name}_{label}", []).append(t)
        pairs = len((tmp / "synthesize_quality" / "m/4krd.csv").read_text().splitlines()) - 1
        res["pairs"] = pairs
        for name, _ in kinds:
            w, wo = min(runs[f"{name}_quality"]), min(runs[f"{name}_no_quality"])
            res[name] = {"with_s": w, "without_s": wo, "overhead": (w - wo) / wo, "runs": {
                k: v for k, v in runs.items() if k.startswith(name)}}
        # the quality pass alone (synthesize's measurement stage), on fresh plans
        from uhdvd_data.interp.store import find_clips
        from uhdvd_data.synth.dataset import SynthConfig, plan_clip
        from uhdvd_data.synth.quality_run import quality_pass

        cfg = SynthConfig()
        cfg.prepare()
        best = None
        for _ in range(a.repeats):
            plans = [plan_clip(f, "train", tmp / "qp", cfg) for f in find_clips(interp)]
            t = time.perf_counter()
            quality_pass(plans, cfg, {}, show_progress=False)
            best = min(best or 1e9, time.perf_counter() - t)
        res["quality_pass_s"] = best
        res["quality_pass_ms_per_pair"] = 1000 * best / pairs
        print(json.dumps(res, indent=2))
        for name, _ in kinds:
            r = res[name]
            print(f"{name}: {r['with_s']:.2f} s with quality, {r['without_s']:.2f} s without "
                  f"(+{100 * r['overhead']:.1f} %), {pairs} pairs")
        print(f"quality pass alone: {best:.2f} s ({res['quality_pass_ms_per_pair']:.0f} ms/pair); interpolate "
              f"{t_interp:.1f} s")
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
