"""The `juesuan` command as a user waits for it: whole-process wall time and peak memory of
`check`, `render --format pdf`, `render --format docx` and `render --format docx,pdf`, each run
K times under ``/usr/bin/time -v`` ("Elapsed (wall clock)", "Maximum resident set size"), then
the steps inside the process (import of generator.cli, load, derive, check, compose, layout,
pdf, docx), each measured in K fresh processes.

Targets (issue 11, this 2-core machine, xiaohe-2022 — 27 pages when they were set): check ≤ 0.2 s;
render pdf ≤ 2.2 s with peak ≤ 160 MB; render docx ≤ 0.42 s (the DOCX 目录's page numbers come
from laying the pages out, so docx includes the layout; the sum of the steps without it is
printed too).
The command is the console entry point pyproject.toml names, run in this checkout (PYTHONPATH).
Each command runs once first (not counted), as a user's second run: Python's bytecode and the
compiled-code cache (generator/cache.py) are then in place; PYTHONDONTWRITEBYTECODE is removed
from the environment unless --no-pyc (which stops .pyc files being written, not read).
Usage: .venv/bin/python benchmarks/cli_speed.py [UNIT] [--repeat K] [--only check,pdf,docx,both]
       [--without-attachments] [--no-pyc]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_UNIT = ROOT / "data" / "examples" / "xiaohe-2022.yaml"
TIME = "/usr/bin/time"

COMMANDS = {                       # name → arguments after `juesuan` ({unit}, {out} filled in)
    "check": ["check", "{unit}"],
    "pdf": ["render", "{unit}", "--format", "pdf", "--out", "{out}"],
    "docx": ["render", "{unit}", "--format", "docx", "--out", "{out}"],
    "both": ["render", "{unit}", "--format", "docx,pdf", "--out", "{out}"],
}

# The steps, in a fresh process: what the CLI does for the command, timed by pipeline's own clock.
STEPS = r"""
import json, sys, time
t = time.perf_counter()
import generator.cli
seconds = {"import": time.perf_counter() - t}
from pathlib import Path
from generator import pipeline
command, unit, out = sys.argv[1:4]
if command == "check":
    seconds.update(pipeline.load_and_check(Path(unit))[2])
    pages = None
else:
    formats = {"pdf": ("pdf",), "docx": ("docx",), "both": ("docx", "pdf")}[command]
    result = pipeline.render(Path(unit), Path(out), formats)
    seconds.update(result.seconds)
    pages = result.pages
print(json.dumps({"seconds": seconds, "pages": pages}))
"""


def juesuan() -> list[str]:
    """The `juesuan` console command as pyproject.toml names it (an installed script may be older
    than the source it runs), run by this Python the way the installed script runs it."""
    import tomllib
    target = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["juesuan"]
    module, func = target.split(":")
    return [sys.executable, "-c", f"import sys; from {module} import {func}; sys.exit({func}())"]


def environment(bytecode: bool) -> dict[str, str]:
    """This checkout first on the path; Python's bytecode cache on (as for a user) unless asked."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    env.pop("NO_COLOR", None)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def wall_seconds(text: str) -> float:
    value = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(p) for p in value.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def peak_mb(text: str) -> float:
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024


def timed_run(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    proc = subprocess.run([TIME, "-v", *argv], env=env, capture_output=True, text=True, cwd=ROOT)
    return wall_seconds(proc.stderr), peak_mb(proc.stderr), proc.returncode


def without_attachments(unit: Path, work: Path) -> Path:
    """A copy of a YAML unit file without its top-level 附件 mapping (the lines from “附件:” to
    the next top-level key)."""
    lines, out, skipping = unit.read_text(encoding="utf-8").splitlines(keepends=True), [], False
    for line in lines:
        top = line[:1] not in ("", " ", "\t", "#", "\n", "-")
        if top:
            skipping = line.startswith("附件:")
        if not skipping:
            out.append(line)
    copy = work / f"{unit.stem}-without-attachments.yaml"
    copy.write_text("".join(out), encoding="utf-8")
    return copy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("unit", nargs="?", type=Path, default=DEFAULT_UNIT)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default=",".join(COMMANDS))
    ap.add_argument("--without-attachments", action="store_true",
                    help="measure a copy of the unit without its top-level 附件 (xiaohe-2022: the 27 pages "
                         "the issue-11 targets were set on, before its 附件 forms were added)")
    ap.add_argument("--no-pyc", action="store_true",
                    help="set PYTHONDONTWRITEBYTECODE=1 (no bytecode written: a module without a .pyc "
                         "already is compiled from source on every run)")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    env = environment(bytecode=not args.no_pyc)
    which = subprocess.run([sys.executable, "-c", "import generator; print(generator.__file__)"], env=env,
                           capture_output=True, text=True).stdout.strip()
    print(f"unit: {args.unit.name}   runs per command: {args.repeat} (after one warm-up run)   generator: {which}")
    print(f"command: {' '.join(juesuan()[2:])!r}   bytecode cache: {'off' if args.no_pyc else 'on'}   "
          f"load average: {os.getloadavg()[0]:.2f}")
    if not Path(TIME).exists():
        print(f"{TIME} not found (Debian: apt-get install time); whole-process figures skipped")
    work = Path(tempfile.mkdtemp(prefix="juesuan-cli-bench-"))
    if args.without_attachments:
        args.unit = without_attachments(args.unit, work)
        print(f"measured: {args.unit.name} (the unit without 附件)")
    try:
        if Path(TIME).exists():
            print(f"\n{'command':<44}{'wall median':>12}{'min':>8}{'max':>8}{'peak MB median':>16}{'max':>8}  exit")
            for name in names:
                argv = juesuan() + [a.format(unit=args.unit, out=work / name) for a in COMMANDS[name]]
                timed_run(argv, env)                   # warm-up: bytecode, caches, the disk
                runs = [timed_run(argv, env) for _ in range(args.repeat)]
                walls, peaks = [r[0] for r in runs], [r[1] for r in runs]
                shown = "juesuan " + " ".join(COMMANDS[name]).replace("{unit}", args.unit.stem).replace(" --out {out}", "")
                print(f"{shown:<44}{statistics.median(walls):>11.2f}s{min(walls):>7.2f}s{max(walls):>7.2f}s"
                      f"{statistics.median(peaks):>15.0f} {max(peaks):>7.0f}  {sorted({r[2] for r in runs})}")
        print(f"\nsteps inside the process (median of {args.repeat} fresh processes, seconds):")
        for name in names:
            runs = []
            for _ in range(args.repeat):
                proc = subprocess.run([sys.executable, "-c", STEPS, name, str(args.unit), str(work / f"s-{name}")],
                                      env=env, capture_output=True, text=True, cwd=ROOT)
                if proc.returncode != 0:
                    print(f"{name}: failed: {proc.stderr.strip().splitlines()[-1:]}")
                    break
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            if not runs:
                continue
            keys = list(runs[0]["seconds"])
            med = {k: statistics.median(r["seconds"][k] for r in runs) for k in keys}
            line = "  ".join(f"{k} {v:.3f}" for k, v in med.items())
            pages = f"   pages {runs[0]['pages']}" if runs[0]["pages"] else ""
            print(f"  {name:<6}{line}   sum {sum(med.values()):.3f}{pages}")
            if "layout" in med and name == "docx":
                print(f"  {'':<6}docx without the layout step (sum of the others): "
                      f"{sum(v for k, v in med.items() if k != 'layout'):.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
