"""Login flood benchmark of the web workspace (issue 22): guesses at once, then throttled attempts.

    .venv/bin/python benchmarks/login_flood.py [--at-once N] [--throttled M]

Starts ``juesuan serve`` on a temporary workspace with one account, then
1. sends N wrong guesses for that account at once (N connections, every request sent before any
   answer is read) and prints how many were verified (401) and how many refused unverified (429);
2. sends M more attempts one after another from the same address, half for the locked name and
   half with invented names (a new one each time), all refused, and prints their rate (attempts/s)
   and wall time, how many audit rows they wrote, and how many rows the limits' own tables gained.
A GET /login is timed the same way for comparison.
Prints numbers; asserts nothing.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
NAME, PASSWORD = "财务", "right-password-1"


def cli(*args: str, stdin: str | None = None) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, check=True).stdout


def start(data: Path) -> tuple[subprocess.Popen, str, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--data", str(data), "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        m = re.search(r"http://(127\.0\.0\.1):(\d+)/", line)
        if m:
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, m.group(1), int(m.group(2))
    raise SystemExit("服务没有启动")


def body(token: str, name: str, password: str) -> bytes:
    return urlencode({"csrf": token, "name": name, "password": password, "next": "/"}).encode()


HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def audit_rows(data: Path) -> int:
    with sqlite3.connect(data / "juesuan.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM audit WHERE action LIKE '登录%'").fetchone()[0]


def throttle_rows(data: Path) -> int:
    """Rows of the login limits' own tables (attempts counted, lock periods noted)."""
    with sqlite3.connect(data / "juesuan.sqlite3") as db:
        return sum(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("login_attempts", "login_locks"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--at-once", type=int, default=60)
    ap.add_argument("--throttled", type=int, default=3000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        cli("user", "add", NAME, "--role", "admin", "--data", str(data), "--password-stdin", stdin=PASSWORD + "\n")
        proc, host, port = start(data)
        try:
            token = "benchmark-login-csrf"
            headers = {**HEADERS, "Cookie": f"juesuan_login_csrf={token}"}
            conns = [http.client.HTTPConnection(host, port, timeout=600) for _ in range(args.at_once)]
            t0 = time.perf_counter()
            for c in conns:
                c.connect()
            for i, c in enumerate(conns):
                c.request("POST", "/login", body(token, NAME, f"wrong-{i}"), headers)
            statuses = []
            for c in conns:
                r = c.getresponse()
                r.read()
                statuses.append(r.status)
                c.close()
            print(f"{args.at_once} 次同时猜测：验证了 {statuses.count(401)} 次（401），未验证即拒绝 "
                  f"{statuses.count(429)} 次（429），其他 {len(statuses) - statuses.count(401) - statuses.count(429)}；"
                  f"{time.perf_counter() - t0:.2f} s")
            def send(method: str, path: str, data: bytes | None = None) -> int:
                # a connection each: on one kept-alive connection every answer waits ~40 ms (Nagle and
                # the delayed ACK), which would measure the client, not the server
                conn = http.client.HTTPConnection(host, port, timeout=600)
                try:
                    conn.request(method, path, data, headers if data else {})
                    r = conn.getresponse()
                    r.read()
                    return r.status
                finally:
                    conn.close()

            t0 = time.perf_counter()
            for _ in range(200):
                send("GET", "/login")
            print(f"对照：GET /login（不查数据库）{200 / (time.perf_counter() - t0):.0f} 次/秒")
            rows0, size0 = audit_rows(data), throttle_rows(data)
            refused = 0
            t0 = time.perf_counter()
            for i in range(args.throttled):
                name = NAME if i % 2 else f"<b>invented-{i}</b>" + "x" * 80
                refused += send("POST", "/login", body(token, name, "wrong")) == 429
            wall = time.perf_counter() - t0
            print(f"其后 {args.throttled} 次尝试（一半换用户名）：拒绝 {refused} 次，{wall:.2f} s，"
                  f"{args.throttled / wall:.0f} 次/秒；操作记录增加 {audit_rows(data) - rows0} 条，"
                  f"限制用的表增加 {throttle_rows(data) - size0} 行")
        finally:
            proc.send_signal(2)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
