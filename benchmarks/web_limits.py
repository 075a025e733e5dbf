"""What hostile clients cost the web workspace (issue 22): prints figures, asserts nothing.

    .venv/bin/python benchmarks/web_limits.py [--flood-mb 1024] [--idle 1100] [--uploads 15] [--upload-mb 19]

Each part starts ``juesuan serve`` (default options) on a temporary workspace:

1. a chunked upload of ``--flood-mb`` MB (no Content-Length): how much the client had sent when
   the 413 came, how long that took, and the server process's peak memory (VmHWM);
2. ``--idle`` connections that never send their headers (half of them a partial request), the
   server started at an open-files limit of 1024 (soft and hard): the server's open files at most,
   how long a normal request then takes to be answered (503 while the connections are full), and
   how long until it is answered 200 (the header timeout dropped the idle ones);
3. ``--uploads`` unreadable files of ``--upload-mb`` MB each, one after another: seconds, the answers,
   and the bytes kept on disk for the unit afterwards (only the newest 5 unreadable ones keep their
   files; the unit quota, 200 MB by default, counts what is kept).
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
UNIT = "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"


def cli(data: Path, *args: str, stdin: str | None = None) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "generator.cli", *args, "--data", str(data)], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, check=True).stdout


def workspace(folder: Path) -> str:
    cli(folder, "user", "add", "张三", "--role", "unit", "--unit", UNIT, "--password-stdin", stdin="zhang-pass-1\n")
    return cli(folder, "user", "token", "张三").strip().splitlines()[-1]


class Server:
    def __init__(self, data: Path, *options: str, open_files: int | None = None):
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))) if open_files else None
        self.proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--data", str(data), "--port", "0",
                                      *options], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, preexec_fn=limit)
        for line in self.proc.stdout:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def files(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def peak_mb(self) -> float:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024

    def get(self, path: str, timeout: float = 5) -> int | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            return r.status
        except OSError:
            return None
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def flood(megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        token = workspace(Path(tmp))
        server = Server(Path(tmp))
        try:
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall((f"POST /api/units/{quote(UNIT, safe='')}/data HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n").encode())
            first = '--B\r\nContent-Disposition: form-data; name="file"; filename="大.xlsx"\r\n\r\n'.encode()
            piece = b"\0" * 65536
            frame = b"%x\r\n%s\r\n" % (len(piece), piece)
            sent, answered = [0], threading.Event()

            def send():
                try:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(first), first))
                    while sent[0] < megabytes * 1024 * 1024 and not answered.is_set():
                        sock.sendall(frame)
                        sent[0] += len(piece)
                    sock.sendall(b"0\r\n\r\n")
                except OSError:
                    pass

            start = time.perf_counter()
            threading.Thread(target=send, daemon=True).start()
            head = sock.recv(65536)
            at, seconds = sent[0], time.perf_counter() - start
            answered.set()
            sock.close()
            status = head.split(b"\r\n", 1)[0].decode()
            print(f"1. 分块上传 {megabytes} MB：{status}；回答到达时客户端已发送 {at / 2**20:.1f} MB，"
                  f"用时 {seconds:.2f} 秒；服务进程峰值内存 {server.peak_mb():.0f} MB")
        finally:
            server.stop()


def idle(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workspace(Path(tmp))
        server = Server(Path(tmp), open_files=1024)
        socks, most = [], 0
        try:
            for i in range(count):
                try:
                    s = socket.create_connection(("127.0.0.1", server.port), timeout=2)
                    if i % 2:
                        s.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    socks.append(s)
                except OSError:
                    pass
                if i % 100 == 0:
                    most = max(most, server.files())
            most = max(most, server.files())
            start = time.perf_counter()
            first = server.get("/login")
            first_s = time.perf_counter() - start
            status = first
            while status != 200 and time.perf_counter() - start < 120:
                time.sleep(0.5)
                most = max(most, server.files())
                status = server.get("/login")
            print(f"2. {len(socks)} 个不发完请求头的连接（打开文件数上限 1024）：服务进程打开的文件最多 {most} 个；"
                  f"随后的正常请求 {first_s:.2f} 秒得到 {first}，{time.perf_counter() - start:.1f} 秒后得到 {status}")
        finally:
            for s in socks:
                s.close()
            server.stop()


def unreadable(count: int, megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        token = workspace(Path(tmp))
        server = Server(Path(tmp))
        try:
            boundary = uuid.uuid4().hex
            statuses = []
            start = time.perf_counter()
            for i in range(count):
                body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="坏{i}.xlsx"\r\n\r\n'
                        .encode() + os.urandom(megabytes * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode())
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
                conn.request("POST", f"/api/units/{quote(UNIT, safe='')}/data", body,
                             {"Authorization": f"Bearer {token}",
                              "Content-Type": f"multipart/form-data; boundary={boundary}"})
                r = conn.getresponse()
                r.read()
                statuses.append(r.status)
                conn.close()
            seconds = time.perf_counter() - start
            kept = sum(p.stat().st_size for p in Path(tmp).glob("units/*/versions/*/*") if p.is_file())
            counts = {s: statuses.count(s) for s in sorted(set(statuses))}
            print(f"3. {count} 个 {megabytes} MB 的无法读取的文件：{seconds:.1f} 秒，回答 {counts}；"
                  f"之后磁盘上保存 {kept / 2**20:.0f} MB")
        finally:
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flood-mb", type=int, default=1024)
    ap.add_argument("--idle", type=int, default=1100)
    ap.add_argument("--uploads", type=int, default=15)
    ap.add_argument("--upload-mb", type=int, default=19)
    args = ap.parse_args()
    flood(args.flood_mb)
    idle(args.idle)
    unreadable(args.uploads, args.upload_mb)


if __name__ == "__main__":
    main()
