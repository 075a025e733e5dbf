"""Load benchmark of the web workspace (issue 14): N simultaneous uploads + checks.

    .venv/bin/python benchmarks/web_upload.py [N] [--rounds R] [--workbook-mb M]

Starts ``juesuan serve`` on a temporary workspace (one unit account, one API token), then sends
N uploads of an example at once (one thread each, ``POST /api/units/{单位}/data``) R times and
prints the latency of each request (p50, p95, max; the target on a 2-core machine is p95 ≤ 1.5 s
for check-only) and whether anything was lost: every request answered 200, every version id
distinct, the unit's version list holds them all, the current version is the last one that
claimed it, and the versions' numbers within the unit are 1..n, each once. Also the server process's resident memory (/proc/<pid>/status, Linux; the check
workers are other processes and not counted): after the warm-up upload, and its peak (VmHWM)
during the rounds (the peak is reset after the warm-up with /proc/<pid>/clear_refs, so the start's
own peak does not hide it).

``--workbook-mb M`` uploads the example as a workbook (``juesuan export``) padded to about M MB
with a stored part of random bytes that nothing reads (as a picture would be), instead of the YAML.
Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / "xiaohe-2022.yaml"
UNIT = "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"


def cli(*args: str, stdin: str | None = None) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, check=True)
    return proc.stdout


def padded_workbook(folder: Path, megabytes: float) -> Path:
    """The example as a workbook, padded to about ``megabytes`` MB with a stored random part."""
    out = folder / "xiaohe-2022.xlsx"
    cli("export", str(EXAMPLE), "--out", str(out))
    pad = max(0, int(megabytes * 1024 * 1024) - out.stat().st_size)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/media/padding.bin", os.urandom(pad))
    return out


def peak_rss(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB (Linux), or (nan, nan)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan"), float("nan")
    kb = {k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s*(.+)$", text, re.M)}
    return kb.get("VmRSS", 0) / 1024, kb.get("VmHWM", 0) / 1024


def reset_peak(pid: int) -> bool:
    """Set the process's VmHWM back to its present RSS (Linux ≥ 4.0: clear_refs 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def upload(host: str, port: int, token: str, data: bytes, name: str) -> tuple[float, int, dict]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    t = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=120)
    try:
        conn.request("POST", f"/api/units/{quote(UNIT, safe='')}/data", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        r = conn.getresponse()
        raw = r.read()
    finally:
        conn.close()
    return time.perf_counter() - t, r.status, json.loads(raw)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=20, help="simultaneous uploads (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="how many times (default 3)")
    ap.add_argument("--workbook-mb", type=float, default=0,
                    help="upload a workbook padded to about this many MB instead of the YAML example")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="juesuan-web-bench-") as tmp:
        source = padded_workbook(Path(tmp), args.workbook_mb) if args.workbook_mb else EXAMPLE
        data, name = source.read_bytes(), source.name
        print(f"uploading {name}: {len(data) / 1024 / 1024:.2f} MB")
        cli("user", "add", "基准", "--role", "unit", "--unit", UNIT, "--data", tmp, "--password-stdin",
            stdin="bench-pass-1\n")
        token = cli("user", "token", "基准", "--data", tmp).strip().splitlines()[-1]
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        server = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--data", tmp, "--port", "0"],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = server.stdout.readline()
            m = re.search(r"http://([\d.]+):(\d+)/", line)
            if not m:
                print(f"server did not start: {line!r}")
                return 2
            host, port = m.group(1), int(m.group(2))
            upload(host, port, token, data, name)      # warm: the check workers have loaded everything
            rss_warm, peak_warm = peak_rss(server.pid)
            was_reset = reset_peak(server.pid)
            latencies: list[float] = []
            ids: list[int] = []
            numbers: list[int] = []
            failures = []
            for r in range(args.rounds):
                results: list = [None] * args.n
                barrier = threading.Barrier(args.n)

                def one(i: int) -> None:
                    barrier.wait()
                    results[i] = upload(host, port, token, data, name)

                threads = [threading.Thread(target=one, args=(i,)) for i in range(args.n)]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall = time.perf_counter() - t0
                for seconds, status, out in results:
                    latencies.append(seconds)
                    if status == 200:
                        ids.append(out["version"])
                        numbers.append(out["number"])
                    else:
                        failures.append((status, out))
                print(f"round {r + 1}: {args.n} uploads in {wall:.2f} s")
            conn = http.client.HTTPConnection(host, port, timeout=60)
            conn.request("GET", f"/api/units/{quote(UNIT, safe='')}", headers={"Authorization": f"Bearer {token}"})
            info = json.loads(conn.getresponse().read())
            conn.close()
            _, peak = peak_rss(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    stored = {v["id"] for v in info["versions"]}
    lost = [i for i in ids if i not in stored]
    print(f"uploads: {len(latencies)} (cpu cores: {os.cpu_count()})")
    print(f"latency  p50 {statistics.median(latencies):.3f} s   p95 {percentile(latencies, 95):.3f} s   "
          f"max {max(latencies):.3f} s   (target p95 ≤ 1.5 s)")
    print(f"answered 200: {len(ids)}/{len(latencies)}; distinct version ids: {len(set(ids))}; "
          f"missing from the unit's versions: {len(lost)}; current = newest: {info['current'] == max(stored)}")
    print(f"version numbers: {len(set(numbers))} distinct; with the warm-up's 1 they are 1..{len(stored)}: "
          f"{sorted([1, *numbers]) == list(range(1, len(stored) + 1))}")
    print(f"server memory: after the warm-up upload {rss_warm:.0f} MB (peak so far {peak_warm:.0f} MB); "
          f"peak (VmHWM) during the rounds {peak:.0f} MB" + ("" if was_reset else " (not reset: since the start)"))
    for status, out in failures[:5]:
        print(f"  failed: {status} {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
