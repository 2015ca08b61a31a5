"""Cost of `--cluster` on one machine: the demo footage interpolated with `--jobs 2` vs `--cluster local-ray`, and
Ray's scheduling overhead per task.

    python benchmarks/cluster_speed.py [--work DIR] [--noop 200]

1. `uhdvd-data make-demo raw/ --size 320x180 --clips 3 --seed 0` (once), then `uhdvd-data interpolate raw/ --fps 480
   --method dis --device cpu` as the user runs it (subprocesses, wall time): `--jobs 1`, `--jobs 2`, `--cluster
   local-ray` (which starts and stops a local cluster of os.cpu_count() CPUs); the three outputs are compared byte
   for byte.
2. In this process, on one local cluster: the same three clips through ClusterRunner.run (what `--cluster` runs) with
   a timer around each task's clip_job: driver wall time, the sum of the task times, and wall - sum / CPUs (the time
   not spent in clip_job with the CPUs busy: start-up of the workers, scheduling, result transfer, imbalance), with
   fresh (cold) worker processes and again with warm ones.
3. N no-op tasks through ClusterRunner.run (the progress actor included) and as plain Ray tasks: wall / N.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "uhdvd-data"
INTERP = ["--fps", "480", "--method", "dis", "--device", "cpu", "--no-progress"]


def tree(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def cli(work: Path, *argv: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN), *argv], cwd=work, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def timed_clip_job(*args, progress=None):
    from uhdvd_data.interp.pipeline import clip_job

    t0 = time.perf_counter()
    clip_job(*args, progress=progress)
    return time.perf_counter() - t0


def noop(progress=None) -> int:
    return 0


def in_process(work: Path, n_noop: int) -> list[tuple[str, str]]:
    import ray

    from uhdvd_data.cluster import ClusterSpec
    from uhdvd_data.cluster.runner import open_cluster
    from uhdvd_data.interp.pipeline import clip_id_for
    from uhdvd_data.video import find_videos

    rows = []
    paths = find_videos([work / "raw"])
    method = dict(method="dis", weights=None, device="cpu", dtype=None, tile=0, tile_overlap=64, max_tile=4096,
                  motion="fused", trajectory="quadratic", motion_workers=None)
    opts = dict(force=True, format="png", vfr="cfr", allow_hdr=False, scene_threshold=0.7, io_queue=4)
    cpus = os.cpu_count() or 1
    t0 = time.perf_counter()
    with open_cluster(ClusterSpec("local-ray"), show_progress=False) as runner:
        rows.append(("local cluster start (ray.init)", f"{time.perf_counter() - t0:.2f} s"))
        for label in ("cold workers", "warm workers"):
            out = str(work / f"interp_runner_{label.split()[0]}")
            calls = [(clip_id_for(p), (str(p), out, "480", method, opts, 1)) for p in paths]
            t0 = time.perf_counter()
            times = [t for _, t in runner.run(timed_clip_job, calls, desc="bench", unit="frame")]
            wall = time.perf_counter() - t0
            rows.append((f"3 clips via ClusterRunner, {label}",
                         f"wall {wall:.2f} s, tasks {sum(times):.2f} s in all ({', '.join(f'{t:.2f}' for t in times)}),"
                         f" wall - tasks/{cpus} = {wall - sum(times) / cpus:.2f} s"))
        for progress in (True, False):
            calls = [(f"c{i}", ()) for i in range(n_noop)]
            list(runner.run(noop, calls[:4], desc="warm", unit="x", progress=progress))  # worker start-up: untimed
            t0 = time.perf_counter()
            list(runner.run(noop, calls, desc="noop", unit="x", progress=progress))
            per = (time.perf_counter() - t0) / n_noop
            rows.append((f"{n_noop} no-op tasks via ClusterRunner{' + progress actor' if progress else ''}",
                         f"{per * 1000:.2f} ms per task"))
        plain = ray.remote(noop)
        ray.get([plain.remote() for _ in range(8)])
        t0 = time.perf_counter()
        ray.get([plain.remote() for _ in range(n_noop)])
        rows.append((f"{n_noop} plain Ray no-op tasks", f"{(time.perf_counter() - t0) / n_noop * 1000:.2f} ms per task"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="cluster_bench", help="work folder (default: cluster_bench/)")
    ap.add_argument("--noop", type=int, default=200, help="no-op tasks timed (default 200)")
    a = ap.parse_args()
    work = Path(a.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "raw" / "demo.json").is_file():
        subprocess.run([str(BIN), "make-demo", "raw/", "--size", "320x180", "--clips", "3", "--seed", "0", "--quiet"],
                       cwd=work, check=True)
    rows = [("machine", f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")]
    outs = {}
    for label, extra in (("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"]),
                         ("--cluster local-ray", ["--cluster", "local-ray"])):
        out = "interp_" + label.strip("-").replace(" ", "_").replace("-", "_")
        wall = cli(work, "interpolate", "raw/", *INTERP, "--out", out, "--force", *extra)
        outs[label] = tree(work / out)
        rows.append((f"interpolate demo, {label}", f"{wall:.2f} s wall"))
    same = len(set(outs.values())) == 1
    rows.append(("outputs byte-identical", "yes" if same else f"NO: {outs}"))
    rows += in_process(work, a.noop)
    rows.append(("load average at end", f"{os.getloadavg()[0]:.2f}"))
    print("| measurement | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
