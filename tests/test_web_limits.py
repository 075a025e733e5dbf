"""The web server's limits (issue 22): a chunked upload far over the size limit is refused
while it comes; idle connections that never finish their headers are dropped; a unit's stored
versions have a quota and the disk a margin; ids are ``[0-9]{1,18}``; unit names and uploaded file
names lose what only hides a difference.

Each test starts its own server (``juesuan serve --port 0``, the options it needs) on a workspace
in a temporary folder, as tests/test_web.py does.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLES
from .test_web import PASSWORDS, Server, cli, leftovers, multipart, q, wait_until

XIAOHE = "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"
LIMIT = 20 * 1024 * 1024 + 256 * 1024          # load.excel_reader.MAX_FILE_BYTES + app.REQUEST_SLACK


def make_workspace(data: Path) -> dict:
    """管理员 (admin) and 张三 (unit 潇河), each with an API token."""
    for name, role, units in (("管理员", "admin", []), ("张三", "unit", [XIAOHE])):
        extra = [a for u in units for a in ("--unit", u)]
        proc = cli("user", "add", name, "--role", role, *extra, "--data", str(data), "--password-stdin",
                   stdin=PASSWORDS[name] + "\n")
        assert proc.returncode == 0, proc.stderr
    tokens = {}
    for name in ("管理员", "张三"):
        proc = cli("user", "token", name, "--data", str(data))
        assert proc.returncode == 0, proc.stderr
        tokens[name] = proc.stdout.strip().splitlines()[-1]
    return tokens


@pytest.fixture
def served(tmp_path, request):
    """A server on a fresh workspace; options from ``@pytest.mark.parametrize('served', [[...]], indirect=True)``."""
    data = tmp_path / "workspace"
    tokens = make_workspace(data)
    server = Server(data, *getattr(request, "param", []))
    yield {"data": data, "server": server, "tokens": tokens}
    server.stop()


def auth(token: str, extra: dict | None = None) -> dict:
    return {"Authorization": f"Bearer {token}", **(extra or {})}


# ---------------------------------------------------------------- 1. a chunked upload far over the limit

def flood(server: Server, token: str, total: int) -> tuple[int, bytes, int]:
    """A chunked upload of a ``total``-byte file, sent by one thread while another waits for the
    answer: (bytes of body the client had sent when the answer came, the answer's head, its body).
    A server that reads to the end answers only after all ``total`` bytes."""
    head = (f"POST /api/units/{q(XIAOHE)}/data HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=B\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    first = '--B\r\nContent-Disposition: form-data; name="file"; filename="大.xlsx"\r\n\r\n'.encode()
    piece = b"\0" * (64 * 1024)
    sent = [0]
    answered = threading.Event()
    sock = socket.create_connection((server.host, server.port), timeout=120)

    def send() -> None:
        try:
            sock.sendall(head + b"%x\r\n%s\r\n" % (len(first), first))
            while sent[0] < total and not answered.is_set():
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent[0] += len(piece)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass                        # the server closed the connection: what it should do

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer, at_answer = b"", None
    try:
        while True:
            more = sock.recv(65536)
            if at_answer is None:
                at_answer = sent[0]
                answered.set()
            if not more:
                break
            answer += more
    finally:
        answered.set()
        sender.join(60)
        sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return at_answer, head, body


def test_a_chunked_upload_far_over_the_limit_is_refused_when_the_limit_is_reached(served):
    server, token = served["server"], served["tokens"]["张三"]
    total = 256 * 1024 * 1024
    at_answer, head, body = flood(server, token, total)
    assert head.startswith(b"HTTP/1.1 413"), (head, body[:200])
    # the answer came when little more than the limit had been sent (what the kernel's buffers
    # hold on top), not after the whole body
    print(f"sent when the answer came: {at_answer / 2**20:.1f} MB of {total / 2**20:.0f} MB")
    assert at_answer < LIMIT + 32 * 1024 * 1024, at_answer
    assert b"connection: close" in head.lower()
    assert "文件过大" in json.loads(body)["error"]
    assert wait_until(lambda: leftovers(served) == []), leftovers(served)
    # and the server goes on answering
    status, _, raw = server.request("GET", f"/api/units/{q(XIAOHE)}", headers=auth(token))
    assert status == 200, raw
