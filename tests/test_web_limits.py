"""The web server's limits (issue 22): a chunked upload far over the size limit is refused
while it comes; idle connections that never finish their headers are dropped; a unit's stored
versions have a quota and the disk a margin; ids are ``[0-9]{1,18}``; unit names and uploaded file
names lose what only hides a difference.

Each test starts its own server (``juesuan serve --port 0``, the options it needs) on a workspace
in a temporary folder, as tests/test_web.py does.
"""
from __future__ import annotations

import http.client
import json
import resource
import select
import socket
import subprocess
import threading
import time
from pathlib import Path
from unittest import mock

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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server with the default options, shared by the tests that need no others."""
    data = tmp_path_factory.mktemp("workspace")
    tokens = make_workspace(data)
    server = Server(data)
    yield {"data": data, "server": server, "tokens": tokens}
    server.stop()


def upload(server: Server, token: str, unit: str, filename: str, data: bytes,
           fields: dict | None = None) -> tuple[int, dict]:
    body, ctype = multipart(filename, data, fields)
    status, _, raw = server.request("POST", f"/api/units/{q(unit)}/data", body, auth(token, {"Content-Type": ctype}))
    return status, json.loads(raw)


def auth(token: str, extra: dict | None = None) -> dict:
    return {"Authorization": f"Bearer {token}", **(extra or {})}


# ---------------------------------------------------------------- 1. a chunked upload far over the limit

def send_while_reading(server: Server, head: bytes, pieces, total: int) -> tuple[int, bytes, bytes]:
    """A request whose body (``pieces``, ``total`` bytes in all) one thread sends while another
    waits for the answer: (bytes of body the client had sent when the answer came, the answer's
    head, its body). A server that reads to the end answers only after all ``total`` bytes; one
    that closes the connection early makes the sender stop (its error is the expected end)."""
    sent = [0]
    answered = threading.Event()
    sock = socket.create_connection((server.host, server.port), timeout=120)

    def send() -> None:
        try:
            sock.sendall(head)
            for piece in pieces:
                if answered.is_set():
                    break
                sock.sendall(piece)
                sent[0] += len(piece)
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


def chunked(first: bytes, piece: bytes, total: int):
    """A chunked body: ``first``, then ``piece`` until ``total`` bytes, then the last chunk."""
    yield b"%x\r\n%s\r\n" % (len(first), first)
    for _ in range(total // len(piece)):
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def request_head(server: Server, method: str, path: str, headers: dict) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def flood(server: Server, token: str, total: int) -> tuple[int, bytes, bytes]:
    """A chunked upload of a ``total``-byte file to 潇河 (see send_while_reading)."""
    head = request_head(server, "POST", f"/api/units/{q(XIAOHE)}/data", auth(token, {
        "Content-Type": "multipart/form-data; boundary=B", "Transfer-Encoding": "chunked"}))
    first = '--B\r\nContent-Disposition: form-data; name="file"; filename="大.xlsx"\r\n\r\n'.encode()
    return send_while_reading(server, head, chunked(first, b"\0" * 65536, total), total)


def test_a_chunked_upload_far_over_the_limit_is_refused_when_the_limit_is_reached(served):
    server, token = served["server"], served["tokens"]["张三"]
    total = 256 * 1024 * 1024
    at_answer, head, body = flood(server, token, total)
    assert head.startswith(b"HTTP/1.1 413"), (head, body[:200])
    # the answer came when little more than the limit had been sent (on top: what the kernel's
    # buffers hold, and at most server.LINGER_BYTES read and dropped after the answer), not after
    # the whole body
    print(f"sent when the answer came: {at_answer / 2**20:.1f} MB of {total / 2**20:.0f} MB")
    assert at_answer < LIMIT + 32 * 1024 * 1024, at_answer
    assert b"connection: close" in head.lower()
    assert "文件过大" in json.loads(body)["error"]
    assert wait_until(lambda: leftovers(served) == []), leftovers(served)
    # and the server goes on answering
    status, _, raw = server.request("GET", f"/api/units/{q(XIAOHE)}", headers=auth(token))
    assert status == 200, raw


# ---------------------------------------------------------------- 2. idle connections

class LimitedServer(Server):
    """A server whose process may open only ``files`` files (soft and hard limit: it cannot raise
    them), as a server at the common limit of 1024 is, with fewer sockets needed to reach it."""

    def __init__(self, data: Path, files: int, *options: str, hard: int | None = None):
        popen = subprocess.Popen

        def limited(*args, **kwargs):
            limits = (files, hard or files)
            return popen(*args, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits), **kwargs)

        with mock.patch("subprocess.Popen", limited):
            super().__init__(data, *options)
        self.errors: list[str] = []     # its log, read as it comes (a full pipe would stop the server)
        threading.Thread(target=lambda: self.errors.extend(self.proc.stderr), daemon=True).start()


def get_login(server: Server) -> int | None:
    """The status of GET /login, None when no answer came within 10 s (a bound for a busy machine:
    the server answers at once or refuses at once)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("GET", "/login")
        r = conn.getresponse()
        r.read()
        return r.status
    except OSError:
        return None
    finally:
        conn.close()


def test_idle_connections_are_dropped_and_the_server_keeps_answering(tmp_path):
    """300 connections that never finish their headers, at an open-files limit of 256: the ones
    over --max-connections get 503 at once, the others are closed after --header-timeout (408 for
    those that sent part of a request), and a normal request is answered throughout (503 while
    the connections are full, then 200). Uvicorn alone keeps them all and answers nobody."""
    data = tmp_path / "workspace"
    make_workspace(data)
    server = LimitedServer(data, 256, "--header-timeout", "2", "--max-connections", "30", "--keep-alive-timeout", "1")
    idle: list[socket.socket] = []
    try:
        assert get_login(server) == 200
        for i in range(300):
            try:
                sock = socket.create_connection((server.host, server.port), timeout=2)
            except OSError:
                continue
            if i % 2:                    # half of them start a request and never finish its headers
                try:
                    sock.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                except OSError:
                    pass
            idle.append(sock)
        assert len(idle) > 250
        statuses = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            statuses.append(get_login(server))
            if statuses[-1] == 200:
                break
            time.sleep(0.2)
        assert statuses[-1] == 200, statuses
        assert set(statuses) <= {200, 503}, statuses
        # every idle connection was closed by the server: 503 (over the limit), 408 (part of a
        # request came) or nothing
        answers = {}
        deadline = time.monotonic() + 30
        waiting = {s: b"" for s in idle}
        while waiting and time.monotonic() < deadline:
            ready, _, _ = select.select(list(waiting)[:500], [], [], 1)
            for s in ready:
                try:
                    more = s.recv(65536)
                except OSError:
                    more = b""
                if more:
                    waiting[s] += more
                else:
                    answers[s] = waiting.pop(s)
        assert not waiting, f"{len(waiting)} idle connections still open"
        firsts = {a.split(b"\r\n", 1)[0] for a in answers.values()}
        assert firsts <= {b"", b"HTTP/1.1 503 Service Unavailable", b"HTTP/1.1 408 Request Timeout"}, firsts
        assert b"HTTP/1.1 408 Request Timeout" in firsts and b"HTTP/1.1 503 Service Unavailable" in firsts
        assert "同时连接数上限" not in "\n".join(server.lines)     # 30 fits in 256 open files
        assert not any("Too many open files" in line for line in server.errors), server.errors[-5:]
        assert get_login(server) == 200
    finally:
        for s in idle:
            s.close()
        server.stop()


def open_files_limit(pid: int) -> tuple[int, int]:
    line = next(x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if x.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_the_open_files_limit_is_raised_or_the_connections_fitted_to_it(tmp_path):
    data = tmp_path / "workspace"
    make_workspace(data)
    server = LimitedServer(data, 256, hard=4096)        # the soft limit can be raised: it is
    try:
        assert open_files_limit(server.proc.pid) == (4096, 4096)
        assert wait_until(lambda: any(line.startswith("接受的主机名") for line in server.lines))
        assert not any("同时连接数上限" in line for line in server.lines), server.lines
    finally:
        server.stop()
    server = LimitedServer(data, 256)                   # it cannot: fewer connections, said at start
    try:
        assert open_files_limit(server.proc.pid) == (256, 256)
        assert wait_until(lambda: any("打开文件数上限为 256，同时连接数上限由 500 减为 32" in line
                                      for line in server.lines)), server.lines
        assert get_login(server) == 200
    finally:
        server.stop()


def test_an_upload_that_stops_arriving_is_dropped_after_the_body_timeout(tmp_path):
    data = tmp_path / "workspace"
    tokens = make_workspace(data)
    server = Server(data, "--body-timeout", "1")
    try:
        head = request_head(server, "POST", f"/api/units/{q(XIAOHE)}/data", auth(tokens["张三"], {
            "Content-Type": "multipart/form-data; boundary=B", "Content-Length": str(1024 * 1024)}))
        part = '--B\r\nContent-Disposition: form-data; name="file"; filename="慢.xlsx"\r\n\r\nPK'.encode()
        with socket.create_connection((server.host, server.port), timeout=60) as sock:
            sock.sendall(head + part)
            assert wait_until(lambda: any(n.startswith(".upload.") for n in leftovers({"data": data})))
            sock.settimeout(30)
            assert sock.recv(65536) == b""          # closed by the server, not by the client
        assert wait_until(lambda: leftovers({"data": data}) == []), leftovers({"data": data})
        assert get_login(server) == 200
    finally:
        server.stop()


# ---------------------------------------------------------------- 4. ids and JSON bodies

def test_only_ascii_digits_up_to_18_are_ids(served):
    server, tokens = served["server"], served["tokens"]
    status, out = upload(server, tokens["张三"], XIAOHE, "xiaohe-2022.yaml", (EXAMPLES / "xiaohe-2022.yaml").read_bytes())
    assert status == 200, out
    vid = str(out["version"])
    unit = f"/units/{q(XIAOHE)}/versions"
    assert server.request("GET", f"{unit}/{vid}/file", headers=auth(tokens["张三"]))[0] == 200
    # 20 digits (past SQLite's 64-bit integer), the same id in other digits or with a sign or "_"
    for bad in ("9" * 20, "1" + "0" * 19, "0" * 17 + vid + "0", "\u0661" if vid == "1" else "\u0660" + vid,
                "+" + vid, vid + "_0", "%20" + vid):
        bad = q(bad) if "%" not in bad else bad
        for method, path in (("GET", f"{unit}/{bad}/file"), ("GET", f"{unit}/{bad}/preview"),
                             ("POST", f"{unit}/{bad}/restore")):
            status, _, raw = server.request(method, path, b"" if method == "POST" else None, auth(tokens["张三"]))
            assert status == 404, (method, path, status, raw[:300])
            assert "没有这个版本" in raw.decode()
        for what in ("units", "password", "state"):
            status, _, raw = server.request("POST", f"/admin/accounts/{bad}/{what}", b"",
                                            auth(tokens["管理员"], {"Content-Type": "application/x-www-form-urlencoded"}))
            assert status == 404, (what, bad, status, raw[:300])
            assert "没有这个账号" in raw.decode()
        for path in (f"/api/batch/{bad}", f"/admin/jobs/{bad}/report.csv"):
            status, _, raw = server.request("GET", path, headers=auth(tokens["管理员"]))
            assert status == 404, (path, status, raw[:300])


def test_batch_json_body_nested_deep_or_too_large_is_refused_in_chinese(served):
    server, token = served["server"], served["tokens"]["管理员"]
    headers = auth(token, {"Content-Type": "application/json"})
    for body in (b"[" * 100_000, b'{"units": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        status, _, raw = server.request("POST", "/api/batch", body, headers)
        assert status == 400, (status, raw[:300])
        assert "嵌套过深" in json.loads(raw)["error"]
    # over the size limit, declared or chunked: refused before the rest is read, the connection closed
    total = 128 * 1024 * 1024
    for extra in ({"Content-Length": str(total)}, {"Transfer-Encoding": "chunked"}):
        head = request_head(server, "POST", "/api/batch", {**headers, **extra})
        pieces = chunked(b" ", b" " * 65536, total) if "Transfer-Encoding" in extra else iter([b" " * 65536] * 1024)
        at_answer, answer, body = send_while_reading(server, head, pieces, total)
        assert answer.startswith(b"HTTP/1.1 413") and b"connection: close" in answer.lower(), (extra, answer)
        assert "请求过大" in json.loads(body)["error"]
        assert at_answer < 48 * 1024 * 1024, (extra, at_answer)
    status, _, raw = server.request("GET", "/api/batch/0", headers=auth(token))
    assert status == 404


# ---------------------------------------------------------------- 3. storage: quota, free disk, unreadable uploads

def padded_yaml(size: int) -> bytes:
    """潇河's example, a comment making it ``size`` bytes."""
    data = (EXAMPLES / "xiaohe-2022.yaml").read_bytes()
    return data + b"\n#" + b"x" * (size - len(data) - 2)


def versions(server: Server, token: str) -> list[dict]:
    status, _, raw = server.request("GET", f"/api/units/{q(XIAOHE)}", headers=auth(token))
    assert status == 200, raw
    return json.loads(raw)["versions"]


def test_a_units_uploads_have_a_quota(tmp_path):
    data = tmp_path / "workspace"
    tokens = make_workspace(data)
    token = tokens["张三"]
    server = Server(data, "--unit-quota-mb", "1")
    try:
        kb = 1024
        assert upload(server, token, XIAOHE, "a.yaml", padded_yaml(600 * kb))[0] == 200
        status, out = upload(server, token, XIAOHE, "b.yaml", padded_yaml(500 * kb))
        assert status == 413, out
        assert "本单位保存的上传文件已有 0.6 MB，加上这个文件（0.5 MB）超过上限 1.0 MB" in out["error"], out
        assert "--unit-quota-mb" in out["error"]
        assert upload(server, token, XIAOHE, "c.yaml", padded_yaml(300 * kb))[0] == 200
        assert [v["file"] for v in versions(server, token)] == ["c.yaml", "a.yaml"]
        assert leftovers({"data": data}) == []
    finally:
        server.stop()
    server = Server(data, "--unit-quota-mb", "0")       # no quota: more goes in
    try:
        assert upload(server, token, XIAOHE, "d.yaml", padded_yaml(300 * kb))[0] == 200
    finally:
        server.stop()
    server = Server(data, "--unit-quota-mb", "1")       # now over it: refused before the body is read
    try:
        at_answer, head, body = flood(server, token, 256 * 1024 * 1024)
        assert head.startswith(b"HTTP/1.1 413") and b"connection: close" in head.lower(), head
        assert at_answer < 48 * 1024 * 1024, at_answer     # the kernel's buffers, what a lingering close drops
        assert "超过上限 1.0 MB" in json.loads(body)["error"]
        assert len(versions(server, token)) == 3 and leftovers({"data": data}) == []
    finally:
        server.stop()


def test_no_upload_is_taken_when_the_disk_is_short_of_its_margin(tmp_path):
    data = tmp_path / "workspace"
    tokens = make_workspace(data)
    server = Server(data, "--min-free-disk-mb", str(10 ** 12))
    try:
        status, out = upload(server, tokens["张三"], XIAOHE, "xiaohe-2022.yaml", padded_yaml(100 * 1024))
        assert status == 507, out
        assert "服务器磁盘空间不足" in out["error"] and "--min-free-disk-mb" in out["error"], out
        assert versions(server, tokens["张三"]) == [] and leftovers({"data": data}) == []
    finally:
        server.stop()


def test_only_the_newest_unreadable_uploads_keep_their_files(served):
    server, token, data = served["server"], served["tokens"]["张三"], served["data"]
    status, good = upload(server, token, XIAOHE, "xiaohe-2022.yaml", (EXAMPLES / "xiaohe-2022.yaml").read_bytes())
    assert status == 200, good
    bad = []
    for i in range(8):
        status, out = upload(server, token, XIAOHE, f"坏{i}.xlsx", b"not a workbook %d" % i + b"\0" * 100_000)
        assert status == 422 and out["status"] == "unreadable", out
        bad.append(out["version"])
    listed = {v["id"]: v for v in versions(server, token)}
    assert [listed[i]["status"] for i in bad] == ["removed"] * 3 + ["unreadable"] * 5
    assert listed[good["version"]]["status"] == "checked"
    folders = data / "units"
    for i in bad:
        exists = any(p.name == str(i) for p in folders.glob("*/versions/*"))
        assert exists == (listed[i]["status"] == "unreadable"), i
    status, _, raw = server.request("GET", f"/units/{q(XIAOHE)}/versions/{bad[0]}/file", headers=auth(token))
    assert status == 404 and "文件已删除" in raw.decode()
    status, _, raw = server.request("GET", f"/units/{q(XIAOHE)}/versions/{bad[-1]}/file", headers=auth(token))
    assert status == 200
    status, _, raw = server.request("GET", f"/api/units/{q(XIAOHE)}", headers=auth(token))
    assert json.loads(raw)["current"] == good["version"]
    status, _, raw = server.request("GET", f"/units/{q(XIAOHE)}", headers=auth(token))
    page = raw.decode()
    assert status == 200 and page.count("无法使用（文件已删除）") == 3, page
    assert f"/versions/{bad[0]}/file" not in page and f"/versions/{bad[-1]}/file" in page


# ---------------------------------------------------------------- 5. names

def admin_post(server: Server, token: str, path: str, fields: dict) -> tuple[int, str]:
    from urllib.parse import urlencode
    status, _, raw = server.request("POST", path, urlencode(fields).encode(),
                                    auth(token, {"Content-Type": "application/x-www-form-urlencoded"}))
    return status, raw.decode()


def unit_names(data: Path) -> list[str]:
    from generator.web.store import Store
    return sorted(u.name for u in Store(data).units())


def test_unit_names_hiding_a_difference_are_refused_or_the_same_unit(served):
    server, tokens, data = served["server"], served["tokens"], served["data"]
    before = unit_names(data)
    refused = [".", "..", " .. ", "．．", XIAOHE + "\u200b", "\u202e" + XIAOHE, XIAOHE[:5] + "\u2066" + XIAOHE[5:],
               "\ufeff新单位", "新\u200d单位"]
    for name in refused:
        status, page = admin_post(server, tokens["管理员"], "/admin/units", {"name": name})
        assert status == 400, (name, status, page[:300])
        assert "不可用" in page or "看不见的字符" in page, (name, page)
        proc = cli("user", "add", "赵六", "--role", "unit", "--unit", name, "--data", str(data), "--password-stdin",
                   stdin="zhao-pass-1\n")
        assert proc.returncode == 2 and ("不可用" in proc.stderr or "看不见的字符" in proc.stderr), (name, proc.stderr)
    assert "U+200B" in admin_post(server, tokens["管理员"], "/admin/units", {"name": XIAOHE + "\u200b"})[1]
    assert unit_names(data) == before
    # names equal after NFKC are one unit: created once, an account's unit is that one
    status, page = admin_post(server, tokens["管理员"], "/admin/units", {"name": "ＡＢＣ测试中心"})
    assert status == 303, page
    status, page = admin_post(server, tokens["管理员"], "/admin/units", {"name": "ABC测试中心"})
    assert status == 303, page
    assert unit_names(data) == sorted(before + ["ＡＢＣ测试中心"])
    proc = cli("user", "add", "赵六", "--role", "unit", "--unit", "ABC测试中心", "--data", str(data), "--password-stdin",
               stdin="zhao-pass-1\n")
    assert proc.returncode == 0, proc.stderr
    token = cli("user", "token", "赵六", "--data", str(data)).stdout.strip().splitlines()[-1]
    status, _, raw = server.request("GET", f"/api/units/{q('ＡＢＣ测试中心')}", headers=auth(token))
    assert status == 200, raw
    assert unit_names(data) == sorted(before + ["ＡＢＣ测试中心"])
    # an upload whose 单位名称 differs only so is that unit's data
    text = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
    assert text.count(f"单位名称: {XIAOHE}\n") == 1
    for written in ("ABC测试中心", "ＡＢＣ测试\u200b中心"):
        status, out = upload(server, token, "ＡＢＣ测试中心", "abc.yaml",
                             text.replace(f"单位名称: {XIAOHE}\n", f"单位名称: {written}\n").encode())
        assert status == 200 and out["status"] == "checked", out


def test_uploaded_file_names_lose_invisible_characters(served):
    server, token, data = served["server"], served["tokens"]["张三"], served["data"]
    sent = "\u202e潇河\u200b数据\u2067（第二稿）\u2069\ufeff.yaml"
    status, out = upload(server, token, XIAOHE, sent, (EXAMPLES / "xiaohe-2022.yaml").read_bytes())
    assert status == 200, out
    listed = next(v for v in versions(server, token) if v["id"] == out["version"])
    assert listed["file"] == "潇河数据（第二稿）.yaml"
    stored = [p.name for p in data.glob(f"units/*/versions/{out['version']}/*.yaml")]
    assert stored == ["潇河数据（第二稿）.yaml"]
    status, _, raw = server.request("GET", f"/units/{q(XIAOHE)}", headers=auth(token))
    assert "潇河数据（第二稿）.yaml" in raw.decode() and "\u202e" not in raw.decode()


def test_serve_refuses_unusable_limits(tmp_path):
    for option, value, said in (("--header-timeout", "0", "秒数"), ("--body-timeout", "nan", "秒数"),
                                ("--keep-alive-timeout", "-1", "正整数"), ("--max-connections", "0", "正整数"),
                                ("--unit-quota-mb", "-5", "MB"), ("--min-free-disk-mb", "1.5", "MB")):
        proc = cli("serve", "--data", str(tmp_path / "ws"), option, value)
        assert proc.returncode == 2 and option in proc.stderr and said in proc.stderr, (option, proc.stderr)
