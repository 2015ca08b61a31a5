"""`uhdvd-pipeline FILE.yaml`: run a declarative end-to-end pipeline, skipping stages that already finished.

A pipeline YAML has a `workdir` (relative to the YAML's folder's parent unless absolute), optional `env`, a list of
`stages` (each: name, run = one command line of this project's tools, optional `outputs` to report) and optional
`show` (paths printed at the end). A stage is done when its stamp `<workdir>/.pipeline/<name>.done` exists and holds
the hash of its command; changing a command reruns that stage and every stage after it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from uhdvd_data.common.atomic import write_text
from uhdvd_data.common.errors import UserError, file_error, run_cli


def load_pipeline(path: Path) -> dict:
    import yaml

    if not path.is_file():
        raise file_error(path, "no such pipeline file")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise file_error(path, f"not valid YAML ({str(e).splitlines()[0]})") from e
    if not isinstance(spec, dict) or not isinstance(spec.get("stages"), list) or not spec["stages"]:
        raise file_error(path, "a pipeline needs a non-empty 'stages' list")
    names = set()
    for i, st in enumerate(spec["stages"]):
        if not isinstance(st, dict) or "name" not in st or "run" not in st:
            raise file_error(path, f"stage {i + 1} needs 'name' and 'run'")
        if st["name"] in names:
            raise file_error(path, f"stage name {st['name']!r} is used twice")
        names.add(st["name"])
    return spec


def _resolve_tool(argv: list[str]) -> list[str]:
    """Run this project's console scripts from the same environment as the runner."""
    bindir = Path(sys.executable).parent
    cand = bindir / argv[0]
    if cand.exists():
        return [str(cand), *argv[1:]]
    return argv


def _child_cpu() -> float:
    """CPU seconds (user + system) used by finished child processes so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def stage_hash(stage: dict, previous: str) -> str:
    return hashlib.sha256((previous + "\n" + str(stage["run"])).encode()).hexdigest()[:16]


def run_pipeline(path: Path, force: bool = False, only: str | None = None) -> int:
    spec = load_pipeline(path)
    base = path.resolve().parent.parent if path.resolve().parent.name == "pipelines" else path.resolve().parent
    workdir = Path(spec.get("workdir", "pipeline_run"))
    if not workdir.is_absolute():
        workdir = base / workdir
    workdir.mkdir(parents=True, exist_ok=True)
    stamps = workdir / ".pipeline"
    env = dict(os.environ)
    env.update({k: str(v) for k, v in (spec.get("env") or {}).items()})
    print(f"pipeline {spec.get('name', path.stem)}: working in {workdir}")
    chain = ""
    t_all, c_all = time.time(), _child_cpu()
    for st in spec["stages"]:
        chain = stage_hash(st, chain)
        stamp = stamps / f"{st['name']}.done"
        if only and st["name"] != only:
            continue
        if not force and stamp.is_file() and stamp.read_text().strip() == chain:
            print(f"[skip] {st['name']}: finished earlier")
            continue
        cmd = _resolve_tool(shlex.split(str(st["run"])))
        print(f"[run ] {st['name']}: {st['run']}", flush=True)
        t0, c0 = time.time(), _child_cpu()
        rc = subprocess.run(cmd, cwd=workdir, env=env).returncode
        if rc != 0:
            raise UserError(f"stage {st['name']!r} failed (exit {rc}): {st['run']}")
        write_text(stamp, chain + "\n")
        print(f"[done] {st['name']} in {time.time() - t0:.1f} s (CPU {_child_cpu() - c0:.1f} s)", flush=True)
    print(f"pipeline finished in {time.time() - t_all:.1f} s (CPU of all stages {_child_cpu() - c_all:.1f} s). "
          f"Results:")
    for item in spec.get("show") or []:
        p = workdir / item
        print(f"  {p}{'' if p.exists() else '  (missing)'}")
    return 0


def _main(argv: list[str] | None) -> int:
    ap = argparse.ArgumentParser(prog="uhdvd-pipeline", description=__doc__.split("\n\n")[0])
    ap.add_argument("pipeline", type=Path, help="pipeline YAML, e.g. pipelines/demo.yaml")
    ap.add_argument("--force", action="store_true", help="rerun every stage even if finished")
    ap.add_argument("--only", help="run only the named stage")
    args = ap.parse_args(argv)
    return run_pipeline(args.pipeline, force=args.force, only=args.only)


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-pipeline", _main, argv))
