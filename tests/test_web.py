"""The web workspace (issue 14): a real server process on a loopback port, a real SQLite
workspace in a temporary folder, requests over HTTP.

One server serves the whole module (``python -m generator.cli serve --data … --port 0``); accounts
and API tokens are made with ``juesuan user add/token`` beforehand, as a department would. Units:
潇河 (account 张三) and 新材料 (account 李四); 管理员 is the department's office. Tests that change a
unit's current version work on 新材料; 潇河 keeps the clean example.
"""
from __future__ import annotations

import asyncio
import hashlib
import http.client
import io
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from generator.web.store import RUNNING, STOPPED, Store

from .browsers import wait_for_line
from .conftest import EXAMPLES, ROOT
from tests.conftest import open_docx

XIAOHE = "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"
XINCAILIAO = "山西转型综合改革示范区新材料产业招商服务中心"
PASSWORDS = {"管理员": "admin-pass-1", "张三": "zhang-pass-1", "李四": "li-pass-123", "王五": "wang-pass-1"}
ITEM = '''  - 科目编码: "2010302"
    科目名称: 一般行政管理事务
    本年收入合计: 1.44
    财政拨款收入: 1.44
'''
START = 60


def cli(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "generator.cli", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- the server

class Server:
    def __init__(self, data: Path, *options: str, pythonpath: tuple[str, ...] = ()):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([*pythonpath, str(ROOT)]), PYTHONIOENCODING="utf-8",
                   PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--data", str(data), "--port", "0",
                                      *options],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     encoding="utf-8")
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._address()
        u = urlsplit(self.url)
        self.host, self.port = u.hostname, u.port

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)

    def _address(self) -> str:
        m = wait_for_line(self._queue, r"工作区地址：(http://127\.0\.0\.1:\d+/)\s*", START)
        if m:
            return m.group(1)
        self.proc.kill()
        self.proc.wait(timeout=30)
        pytest.fail(f"no address printed: {self.lines} {self.proc.stderr.read()}")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 180) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc.stderr.close()            # stdout: its reader thread ends with the pipe


def multipart(filename: str, data: bytes, fields: dict | None = None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in (fields or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
              f"Content-Type: application/octet-stream\r\n\r\n".encode())
    out.write(data)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def pdf_text(pdf: bytes, folder: Path) -> str:
    """The PDF's text in reading order (pdftotext -raw), white space removed: the diagonal
    watermark then reads as one string."""
    path = folder / "report.pdf"
    path.write_bytes(pdf)
    raw = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", raw)


def q(name: str) -> str:
    return quote(name, safe="")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    for name, role, units in (("管理员", "admin", []), ("张三", "unit", [XIAOHE]), ("李四", "unit", [XINCAILIAO]),
                              ("王五", "unit", [XINCAILIAO])):
        extra = [a for u in units for a in ("--unit", u)]
        proc = cli("user", "add", name, "--role", role, *extra, "--data", str(data), "--password-stdin",
                   stdin=PASSWORDS[name] + "\n")
        assert proc.returncode == 0, proc.stderr
    tokens = {}
    for name in ("管理员", "张三", "李四"):
        proc = cli("user", "token", name, "--data", str(data))
        assert proc.returncode == 0, proc.stderr
        tokens[name] = proc.stdout.strip().splitlines()[-1]
        assert re.fullmatch(r"jst_[A-Za-z0-9_-]{40,}", tokens[name])
    server = Server(data)
    yield {"data": data, "server": server, "tokens": tokens}
    server.stop()


@pytest.fixture(scope="module")
def server(workspace) -> Server:
    return workspace["server"]


class Api:
    def __init__(self, server: Server, token: str):
        self.server, self.token = server, token

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def upload(self, unit: str, filename: str, data: bytes) -> tuple[int, dict]:
        body, ctype = multipart(filename, data)
        status, _, raw = self.server.request("POST", f"/api/units/{q(unit)}/data", body,
                                             self.headers({"Content-Type": ctype}))
        return status, json.loads(raw)

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return self.server.request("GET", path, headers=self.headers())

    def post(self, path: str, payload: dict | None = None) -> tuple[int, dict, bytes]:
        body = json.dumps(payload).encode() if payload is not None else b""
        return self.server.request("POST", path, body, self.headers({"Content-Type": "application/json"}))


@pytest.fixture(scope="module")
def admin(workspace, server) -> Api:
    return Api(server, workspace["tokens"]["管理员"])


@pytest.fixture(scope="module")
def zhang(workspace, server) -> Api:
    return Api(server, workspace["tokens"]["张三"])


@pytest.fixture(scope="module")
def li(workspace, server) -> Api:
    return Api(server, workspace["tokens"]["李四"])


def check_json(path: Path) -> list[dict]:
    """What `juesuan check FILE --format json` prints, run in the file's folder."""
    proc = cli("check", path.name, "--format", "json", cwd=path.parent)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def xiaohe_version(zhang) -> int:
    status, out = zhang.upload(XIAOHE, "xiaohe-2022.yaml", (EXAMPLES / "xiaohe-2022.yaml").read_bytes())
    assert status == 200, out
    return out["version"]


@pytest.fixture(scope="module")
def xincailiao_xlsx(tmp_path_factory) -> Path:
    """新材料 as a workbook (juesuan export), one 项 of 02表 not adding up to its 款 (T02-ITEM)."""
    folder = tmp_path_factory.mktemp("xlsx")
    text = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    assert text.count(ITEM) == 1
    source = folder / "新材料.yaml"
    source.write_text(text.replace(ITEM, ITEM.replace("1.44", "1.54"), 1), encoding="utf-8")
    out = folder / "新材料.xlsx"
    proc = cli("export", str(source), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


# ---------------------------------------------------------------- pages: a session

class Browser:
    """A session through the login form: cookies kept by hand."""

    def __init__(self, server: Server, source: str | None = None):
        self.server = server
        self.source = source                # the local address to connect from (127.0.0.x): another client
        self.cookies: dict[str, str] = {}

    def _cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        status, h, raw = self.server.request(method, path, body, {**self._cookie_header(), **(headers or {})})
        return status, h, raw

    def remember(self, headers: dict, raw_headers: list[str]) -> None:
        for line in raw_headers:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in line and "expires=Thu, 01 Jan 1970" not in line:
                self.cookies[name.strip()] = value.strip('"')
            else:
                self.cookies.pop(name.strip(), None)

    def fetch(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=180,
                                          source_address=(self.source, 0) if self.source else None)
        try:
            conn.request(method, path, body=body, headers={**self._cookie_header(), **(headers or {})})
            r = conn.getresponse()
            raw = r.read()
            self.remember({}, r.headers.get_all("Set-Cookie") or [])
            return r.status, {k.lower(): v for k, v in r.getheaders()}, raw, r.headers.get_all("Set-Cookie") or []
        finally:
            conn.close()

    def get(self, path: str):
        status, headers, raw, _ = self.fetch("GET", path.split("#")[0])      # a browser sends no fragment
        return status, headers, raw.decode("utf-8", "replace")

    def form(self, path: str, fields: dict):
        status, headers, raw, _ = self.fetch("POST", path, urlencode(fields).encode(),
                                             {"Content-Type": "application/x-www-form-urlencoded"})
        return status, headers, raw.decode("utf-8", "replace")

    def login(self, name: str, password: str | None = None, next: str = "/") -> tuple[int, list[str], str]:
        status, headers, page, cookies = self.login_answer(name, password, next)
        return status, cookies, page

    def login_answer(self, name: str, password: str | None = None, next: str = "/", headers: dict | None = None):
        """(status, headers, page, cookies) of the login form sent with ``next`` as the page sends it
        (and ``headers`` added to the form's request)."""
        status, _, page = self.get("/login")
        assert status == 200
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        status, headers, raw, cookies = self.fetch(
            "POST", "/login", urlencode({"csrf": token, "name": name, "password": password or PASSWORDS[name],
                                         "next": next}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        return status, headers, raw.decode("utf-8", "replace"), cookies

    def csrf(self, path: str) -> str:
        status, _, page = self.get(path)
        assert status == 200, page
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def logged_in(server: Server, name: str) -> Browser:
    b = Browser(server)
    status, cookies, page = b.login(name)
    assert status == 303, page
    return b


# ================================================================ the API

def test_api_without_a_valid_token_is_401(server, xiaohe_version):
    for headers in ({}, {"Authorization": "Bearer jst_not-a-token"}, {"Authorization": "Basic eDp5"}):
        for method, path in (("GET", f"/api/units/{q(XIAOHE)}/report.pdf"), ("POST", f"/api/units/{q(XIAOHE)}/data"),
                             ("POST", "/api/batch"), ("GET", "/api/batch/whatever"), ("GET", f"/api/units/{q(XIAOHE)}")):
            status, h, raw = server.request(method, path, b"" if method == "POST" else None, headers)
            assert status == 401, (method, path, headers, raw)
            assert "需要登录" in json.loads(raw)["error"]
            assert h.get("www-authenticate") == "Bearer"


def test_upload_yaml_findings_equal_check_json(zhang, xiaohe_version):
    status, out = zhang.upload(XIAOHE, "xiaohe-2022.yaml", (EXAMPLES / "xiaohe-2022.yaml").read_bytes())
    assert status == 200, out
    assert out["status"] == "checked" and out["current"] is True
    assert isinstance(out["version"], int) and out["version"] > xiaohe_version
    expected = check_json(EXAMPLES / "xiaohe-2022.yaml")
    assert expected, "the example has warnings: the comparison is not of two empty lists"
    assert out["findings"] == expected
    assert out["errors"] == 0 and out["warnings"] == sum(f["severity"] == "警告" for f in expected)


def test_upload_workbook_findings_equal_check_json(li, xincailiao_xlsx):
    status, out = li.upload(XINCAILIAO, xincailiao_xlsx.name, xincailiao_xlsx.read_bytes())
    assert status == 200, out
    expected = check_json(xincailiao_xlsx)
    item = next(f for f in expected if f["rule"] == "T02-ITEM")
    assert re.fullmatch(r"\S+![A-Z]+\d+", item["cell"]), item           # a sheet!cell location
    assert out["findings"] == expected


def test_bad_uploads_are_refused_in_chinese_and_never_become_current(li, zhang, xiaohe_version, tmp_path):
    status, before, _ = zhang.get(f"/api/units/{q(XIAOHE)}")
    current = json.loads(_)["current"]
    # broken YAML: kept as a version, the problem said, not current
    status, out = zhang.upload(XIAOHE, "坏.yaml", "单位名称: [\n".encode())
    assert status == 422 and out["status"] == "unreadable" and out["current"] is False
    assert any("YAML" in p for p in out["problems"]), out
    # not a workbook
    status, out = zhang.upload(XIAOHE, "表.xlsx", b"hello, this is text")
    assert status == 422 and any("不是 Excel 工作簿" in p for p in out["problems"]), out
    # a kind of file that is no unit data at all
    status, out = zhang.upload(XIAOHE, "说明.txt", b"text")
    assert status == 415 and "只接受" in out["error"]
    # another unit's data under this unit
    status, out = zhang.upload(XIAOHE, "xincailiao.yaml", (EXAMPLES / "xincailiao-2023.yaml").read_bytes())
    assert status == 422 and any("不是“" + XIAOHE in p for p in out["problems"]), out
    # a file naming another file (上年数据文件) is refused before that file is read
    text = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
    text = text.replace("年度: 2022\n", "年度: 2022\n上年数据文件: ../../../../juesuan.sqlite3\n", 1)
    status, out = zhang.upload(XIAOHE, "xiaohe.yaml", text.encode())
    assert status == 422 and any("不能引用其他文件" in p for p in out["problems"]), out
    status, _, raw = zhang.get(f"/api/units/{q(XIAOHE)}")
    info = json.loads(raw)
    assert info["current"] == current
    assert [v["status"] for v in info["versions"][:4]] == ["unreadable"] * 4   # kept all the same


def test_zip_bomb_is_refused(zhang, xiaohe_version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    assert len(buf.getvalue()) < 1024 * 1024
    status, out = zhang.upload(XIAOHE, "炸弹.xlsx", buf.getvalue())
    assert status == 422 and any("压缩炸弹" in p for p in out["problems"]), out


def test_oversized_upload_is_refused_with_a_chinese_message(zhang, server, xiaohe_version):
    big = b"PK\x03\x04" + b"\0" * (21 * 1024 * 1024)
    status, out = zhang.upload(XIAOHE, "大.xlsx", big)
    assert status == 413, out
    assert "文件过大" in out["error"] and "20 MB" in out["error"]
    # also a YAML over its own (smaller) limit
    status, out = zhang.upload(XIAOHE, "大.yaml", b"# " + b"x" * (6 * 1024 * 1024))
    assert status == 413 and "文件过大" in out["error"]


def leftovers(workspace) -> list[str]:
    """The files in the workspace's folder of uploads being received."""
    return sorted(p.name for p in (workspace["data"] / "tmp").iterdir())


def wait_until(what, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not what():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_uploads_leave_no_temporary_file_behind(workspace, server, zhang, xiaohe_version):
    """An upload is received into a temporary file of the workspace (never whole in memory) and
    renamed into its version's folder; on every other path the temporary file is removed."""
    assert leftovers(workspace) == []                # every upload of the tests before, refused or not
    data = (EXAMPLES / "xiaohe-2022.yaml").read_bytes()
    status, out = zhang.upload(XIAOHE, "xiaohe-2022.yaml", data)
    assert status == 200, out
    version = Store(workspace["data"]).version(out["version"])
    assert version.size == len(data) and version.sha256 == hashlib.sha256(data).hexdigest()
    unit = Store(workspace["data"]).unit(XIAOHE)
    assert (Store(workspace["data"]).version_dir(unit, version.id) / version.filename).read_bytes() == data
    # refusals once the whole file is in: another kind of file, empty, YAML over its limit, no CSRF token
    assert zhang.upload(XIAOHE, "说明.txt", data)[0] == 415
    assert zhang.upload(XIAOHE, "空.yaml", b"")[0] == 422
    assert zhang.upload(XIAOHE, "大.yaml", b"#" * (5 * 1024 * 1024 + 1))[0] == 413
    b = logged_in(server, "张三")
    body, ctype = multipart("xiaohe-2022.yaml", data, {"csrf": "forged"})
    assert b.fetch("POST", f"/units/{q(XIAOHE)}/upload", body, {"Content-Type": ctype})[0] == 403
    # a form that stops making sense after the file: a second file
    body, ctype = multipart("xiaohe-2022.yaml", data)
    boundary = ctype.split("boundary=")[1]
    body = body.replace(f"--{boundary}--".encode(), f'--{boundary}\r\nContent-Disposition: form-data; name="x"; '
                        f'filename="b.yaml"\r\n\r\nabc\r\n--{boundary}--'.encode())
    status, _, raw = server.request("POST", f"/api/units/{q(XIAOHE)}/data", body, zhang.headers({"Content-Type": ctype}))
    assert status == 400 and "上传的表单无法解析" in json.loads(raw)["error"]
    # over the limit while it comes, Content-Length not saying so (chunked)
    def chunks():
        yield '--B\r\nContent-Disposition: form-data; name="file"; filename="大.xlsx"\r\n\r\n'.encode()
        for _ in range(21):
            yield b"\0" * (1024 * 1024)
        yield b"\r\n--B--\r\n"
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    conn.request("POST", f"/api/units/{q(XIAOHE)}/data", body=chunks(), encode_chunked=True,
                 headers=zhang.headers({"Content-Type": "multipart/form-data; boundary=B"}))
    r = conn.getresponse()
    assert r.status == 413 and "文件过大" in json.loads(r.read())["error"]
    conn.close()
    assert leftovers(workspace) == []
    # the client goes away in the middle of the file
    head = (f"POST /api/units/{q(XIAOHE)}/data HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {zhang.token}\r\nContent-Type: multipart/form-data; boundary=B\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
            '--B\r\nContent-Disposition: form-data; name="file"; filename="半.xlsx"\r\n\r\n').encode()
    with socket.create_connection((server.host, server.port)) as sock:
        sock.sendall(head + b"PK" * (512 * 1024))
        assert wait_until(lambda: any(n.startswith(".upload.") for n in leftovers(workspace))), leftovers(workspace)
    assert wait_until(lambda: leftovers(workspace) == []), leftovers(workspace)


def test_other_units_objects_are_404(li, zhang, admin, server, xiaohe_version):
    for path in (f"/api/units/{q(XIAOHE)}/report.pdf", f"/api/units/{q(XIAOHE)}/report.docx?draft=1",
                 f"/api/units/{q(XIAOHE)}", f"/api/units/{q('没有这个单位')}/report.pdf"):
        status, _, raw = li.get(path)
        assert status == 404 and json.loads(raw)["error"] == "没有这个单位，或您无权查看", path
    status, out = li.upload(XIAOHE, "xiaohe.yaml", (EXAMPLES / "xiaohe-2022.yaml").read_bytes())
    assert status == 404
    # batches are the department's: a unit may not start one or see one
    status, _, raw = li.post("/api/batch")
    assert status == 403
    status, _, raw = admin.get(f"/api/units/{q(XIAOHE)}")
    assert status == 200 and json.loads(raw)["current"] is not None      # the admin sees every unit


def test_downloads_are_valid_pdf_and_docx(zhang, xiaohe_version, tmp_path):
    status, headers, pdf = zhang.get(f"/api/units/{q(XIAOHE)}/report.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf" and pdf.startswith(b"%PDF")
    assert quote(f"{XIAOHE}2022年度部门决算公开.pdf") in headers["content-disposition"]
    text = pdf_text(pdf, tmp_path)
    assert "潇河产业园" in text and "收入支出决算总表" in text
    assert "仅供内部审核" not in text and "草稿" not in text             # the final report has no marking
    status, headers, raw = zhang.get(f"/api/units/{q(XIAOHE)}/report.docx")
    assert status == 200 and raw.startswith(b"PK")
    d = open_docx(io.BytesIO(raw))
    assert any(XIAOHE in p.text for p in d.paragraphs)
    # the draft is named apart from the final: saved into one folder, neither overwrites the other
    status, headers, raw = zhang.get(f"/api/units/{q(XIAOHE)}/report.docx?draft=1")
    assert status == 200 and quote(f"{XIAOHE}2022年度部门决算公开-草稿.docx") in headers["content-disposition"]


def test_a_draft_stored_under_the_finals_name_is_downloaded_as_a_draft():
    from generator.web.common import _report_download_name
    assert _report_download_name("某单位2022年度部门决算公开.pdf", True) == "某单位2022年度部门决算公开-草稿.pdf"
    assert _report_download_name("某单位2022年度部门决算公开-草稿.pdf", True) == "某单位2022年度部门决算公开-草稿.pdf"
    assert _report_download_name("某单位2022年度部门决算公开.pdf", False) == "某单位2022年度部门决算公开.pdf"


def test_report_with_errors_is_draft_only(li, tmp_path):
    text = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    assert text.count(ITEM) == 1
    status, out = li.upload(XINCAILIAO, "有错.yaml", text.replace(ITEM, ITEM.replace("1.44", "1.54"), 1).encode())
    assert status == 200 and out["errors"] >= 1 and out["current"]
    assert any(f["rule"] == "T02-ITEM" for f in out["findings"])
    status, _, raw = li.get(f"/api/units/{q(XINCAILIAO)}/report.pdf")
    assert status == 409 and "草稿" in json.loads(raw)["error"]
    status, headers, pdf = li.get(f"/api/units/{q(XINCAILIAO)}/report.pdf?draft=1")
    assert status == 200 and pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert "草稿仅供内部审核" in text and "草稿（生成于" in text
    # its numbers did not pass the check: every page and the cover say so, and so does its name
    assert "未通过勾稽检查" in text and "数字不一致，不能公开" in text
    assert quote("2023年度部门决算公开-草稿-未通过检查.pdf") in headers["content-disposition"]


def test_two_uploads_at_once_both_kept_later_current(zhang, xiaohe_version):
    data = (EXAMPLES / "xiaohe-2022.yaml").read_bytes()
    results = []
    threads = [threading.Thread(target=lambda: results.append(zhang.upload(XIAOHE, "xiaohe-2022.yaml", data)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = sorted(out["version"] for status, out in results if status == 200)
    assert len(ids) == 2 and ids[0] != ids[1]
    status, _, raw = zhang.get(f"/api/units/{q(XIAOHE)}")
    info = json.loads(raw)
    assert info["current"] == ids[1]
    assert set(ids) <= {v["id"] for v in info["versions"]}


def test_batch_via_api_reaches_done(admin, zhang, li, xiaohe_version, server):
    status, _, raw = admin.post("/api/batch", {"units": [XIAOHE]})
    assert status == 202, raw
    job = json.loads(raw)["id"]
    deadline = time.monotonic() + 300
    while True:
        status, _, raw = admin.get(f"/api/batch/{job}")
        info = json.loads(raw)
        assert status == 200 and info["status"] in ("running", "done"), info
        if info["status"] == "done" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert info["status"] == "done" and info["total"] == 1 and info["done"] == 1 and info["progress"] == 1.0
    [result] = info["results"]
    assert result["unit"] == XIAOHE and result["status"] == "已生成"
    assert sorted(Path(o).suffix for o in result["outputs"]) == [".docx", ".pdf"]
    status, _, raw = zhang.get(f"/api/batch/{job}")
    assert status == 404                                  # a unit's account does not see jobs
    status, _, raw = admin.post("/api/batch", {"units": ["没有这个单位"]})
    assert status == 404 and "没有这些单位" in json.loads(raw)["error"]


# ================================================================ pages

def test_login_sets_a_safe_session_cookie_and_throttles(server):
    b = Browser(server)
    status, cookies, page = b.login("张三")
    assert status == 303
    session = next(c for c in cookies if c.startswith("juesuan_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
    status, _, page = b.get("/")
    assert status == 200 or status == 303
    # a login without the form's CSRF token is refused
    status, _, raw, _ = Browser(server).fetch("POST", "/login", urlencode({"name": "张三", "password": PASSWORDS["张三"]}).encode(),
                                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "CSRF" in raw.decode()
    # five wrong passwords lock the name: the right one is then refused too, in Chinese
    w = Browser(server)
    for _ in range(5):
        status, _, page = w.login("王五", "wrong-password")
        assert status == 401 and "用户名或密码不对" in page
        assert 'id="login-name" autocomplete="username" required value="王五"' in page   # kept; password not
    status, _, page = Browser(server).login('<b>"赵"</b>', "wrong-password")
    assert status == 401 and 'value="&lt;b&gt;&#34;赵&#34;&lt;/b&gt;"' in page            # escaped
    status, cookies, page = w.login("王五")
    assert status == 429 and "登录失败次数过多" in page
    assert not any(c.startswith("juesuan_session=") for c in cookies)


def test_pages_need_a_login(server):
    status, headers, _ = server.request("GET", f"/units/{q(XIAOHE)}")
    assert status == 303 and headers["location"].startswith("/login?next=")
    status, headers, _ = server.request("GET", "/admin")
    assert status == 303


def test_unit_page_cross_unit_404(server, xiaohe_version):
    li = logged_in(server, "李四")
    status, _, page = li.get(f"/units/{q(XIAOHE)}")
    assert status == 404 and "没有这个单位，或您无权查看" in page and XIAOHE not in page.replace("没有这个单位", "")
    for path in (f"/units/{q(XIAOHE)}/versions/{xiaohe_version}/file", f"/units/{q(XIAOHE)}/versions/{xiaohe_version}/preview",
                 f"/units/{q(XIAOHE)}/report.pdf?draft=1",
                 # another unit's version id under one's own unit
                 f"/units/{q(XINCAILIAO)}/versions/{xiaohe_version}/file",
                 f"/units/{q(XINCAILIAO)}/versions/{xiaohe_version}/preview", "/admin"):
        status, _, page = li.get(path)
        assert status in (403, 404), path
        assert status == 404 or path == "/admin"
    csrf = li.csrf(f"/units/{q(XINCAILIAO)}")
    status, _, page = li.form(f"/units/{q(XINCAILIAO)}/versions/{xiaohe_version}/restore", {"csrf": csrf})
    assert status == 404


def test_post_without_csrf_is_refused(server, li):
    b = logged_in(server, "李四")
    status, _, raw = li.get(f"/api/units/{q(XINCAILIAO)}")
    before = json.loads(raw)
    body, ctype = multipart("新材料.yaml", (EXAMPLES / "xincailiao-2023.yaml").read_bytes())
    status, _, raw, _ = b.fetch("POST", f"/units/{q(XINCAILIAO)}/upload", body, {"Content-Type": ctype})
    assert status == 403 and "CSRF" in raw.decode()
    body, ctype = multipart("新材料.yaml", (EXAMPLES / "xincailiao-2023.yaml").read_bytes(), {"csrf": "forged"})
    status, _, raw, _ = b.fetch("POST", f"/units/{q(XINCAILIAO)}/upload", body, {"Content-Type": ctype})
    assert status == 403
    # the session's cookie alone does not start a batch or restore a version either
    older = before["versions"][-1]["id"]
    status, _, _ = b.form(f"/units/{q(XINCAILIAO)}/versions/{older}/restore", {})
    assert status == 403
    status, _, raw = li.get(f"/api/units/{q(XINCAILIAO)}")
    assert json.loads(raw) == before


def test_upload_findings_and_restore_through_the_pages(server, li):
    b = logged_in(server, "李四")
    base = f"/units/{q(XINCAILIAO)}"
    good = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    for text, name in ((good, "新材料.yaml"), (good.replace(ITEM, ITEM.replace("1.44", "1.54"), 1), "<b>有错</b>.yaml")):
        body, ctype = multipart(name, text.encode(), {"csrf": b.csrf(base)})
        status, headers, raw, _ = b.fetch("POST", f"{base}/upload", body, {"Content-Type": ctype})
        assert status == 303, raw
    status, _, page = b.get(headers["location"])
    assert status == 200
    # the findings, grouped by table, linking to the place in the preview
    m = re.search(r'<li class="finding error" data-rule="T02-ITEM"[^>]*>(.*?)</li>', page, re.S)
    assert m, page
    link = re.search(r'<a class="finding-link" href="([^"]+)"', m.group(1)).group(1)
    status, _, raw = li.get(f"/api/units/{q(XINCAILIAO)}")
    info = json.loads(raw)
    current = info["current"]                           # URLs name a version by its (global) id …
    assert link == f"{base}/versions/{current}/preview#t02"
    number = next(v["number"] for v in info["versions"] if v["id"] == current)
    assert info["current_number"] == number             # … the page by its number within the unit
    assert re.search(r'id="current-version">(\d+)<', page).group(1) == str(number)
    assert "收入决算表" in page[page.index("<h4>"):]
    assert "&lt;b&gt;有错&lt;/b&gt;.yaml" in page and "<b>有错</b>" not in page      # user text escaped
    # the preview: the report's HTML with the draft marking, no script allowed
    status, headers, preview = b.get(link.split("#")[0])
    assert status == 200 and 'id="t02"' in preview and "仅供内部审核" in preview
    assert "script-src" not in headers["content-security-policy"] and "default-src 'none'" in headers["content-security-policy"]
    # restore the clean one
    status, _, raw = li.get(f"/api/units/{q(XINCAILIAO)}")
    versions = json.loads(raw)["versions"]
    clean = next(v for v in versions if v["status"] == "checked" and v["errors"] == 0 and v["id"] < current)
    status, headers, _ = b.form(f"{base}/versions/{clean['id']}/restore", {"csrf": b.csrf(base)})
    assert status == 303
    status, _, raw = li.get(f"/api/units/{q(XINCAILIAO)}")
    assert json.loads(raw)["current"] == clean["id"]
    status, _, page = b.get(headers["location"])
    assert re.search(r'id="current-version">(\d+)<', page).group(1) == str(clean["number"])
    assert f"已恢复：当前版本为 {clean['number']}。" in page
    assert 'data-rule="T02-ITEM"' not in page and 'id="final-pdf"' in page


def test_admin_page_lists_units_and_audit(server, xiaohe_version):
    b = logged_in(server, "管理员")
    status, _, page = b.get("/admin")
    assert status == 200
    assert f'data-unit="{XIAOHE}"' in page and f'data-unit="{XINCAILIAO}"' in page
    for action in ("登录", "上传", "下载"):
        assert f"<td>{action}</td>" in page, action
    status, _, page = b.get("/admin?filter=none")           # units without an upload: none here
    assert status == 200 and f'data-unit="{XIAOHE}"' not in page and f'data-unit="{XINCAILIAO}"' not in page
    status, _, page = b.get("/admin?q=" + quote("潇河"))
    assert f'data-unit="{XIAOHE}"' in page and f'data-unit="{XINCAILIAO}"' not in page


def test_admin_renders_all_and_downloads_the_zip(server, xiaohe_version):
    b = logged_in(server, "管理员")
    status, headers, _ = b.form("/admin/batch", {"csrf": b.csrf("/admin")})
    assert status == 303 and "job=" in headers["location"]
    job = re.search(r"job=([0-9a-f]+)", headers["location"]).group(1)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status, _, raw = b.get(f"/api/batch/{job}")          # the page polls the same with its cookie
        info = json.loads(raw)
        if info["status"] != "running":
            break
        time.sleep(1)
    assert info["status"] == "done", info
    status, headers, raw, _ = b.fetch("GET", f"/admin/jobs/{job}/reports.zip")
    assert status == 200 and headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    assert "batch-report.html" in names and "batch-report.csv" in names
    assert f"{XIAOHE}2022年度部门决算公开.pdf" in names


def test_blank_workbook_from_the_unit_page_has_the_profiles_sheets(server, tmp_path):
    import openpyxl

    from generator.profile import available, load_profile
    from generator.write.workbook import build_workbook
    b = logged_in(server, "张三")
    status, _, page = b.get(f"/units/{q(XIAOHE)}")
    for profile in available():
        path = f"/units/{q(XIAOHE)}/template.xlsx?profile={profile}"
        assert f'template.xlsx?profile={profile}"' in page, profile      # offered on the page
        status, headers, raw, _ = b.fetch("GET", path)
        assert status == 200 and headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (profile, raw[:200])
        assert quote(f"{XIAOHE}-空白工作簿-{profile}.xlsx") in headers["content-disposition"]
        (tmp_path / f"{profile}.xlsx").write_bytes(raw)
        sheets = openpyxl.load_workbook(tmp_path / f"{profile}.xlsx").sheetnames
        assert sheets == build_workbook(load_profile(profile)).sheetnames, profile
    status, _, page = b.get(f"/units/{q(XIAOHE)}/template.xlsx?profile=nonexistent")
    assert status == 404 and "没有版式" in page


def with_host(server: Server, host: str, path: str = "/login") -> tuple[int, str]:
    status, _, raw = server.request("GET", path, headers={"Host": host})
    return status, raw.decode("utf-8", "replace")


def test_host_header_allow_list(server, tmp_path):
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "LOCALHOST"):
        assert with_host(server, host)[0] == 200, host
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example", "not a host"):
        status, text = with_host(server, host)
        assert status == 400 and "不接受此主机名" in text, (host, text)
    status, _, raw = server.request("GET", f"/api/units/{q(XIAOHE)}", headers={"Host": "evil.example",
                                                                             "Authorization": "Bearer jst_x"})
    assert status == 400                                         # refused before anything else
    # --allowed-host adds names: exact, and subdomains with *.
    other = Server(tmp_path, "--allowed-host", "juesuan.example.cn", "--allowed-host", "*.bumen.local")
    try:
        for host in ("juesuan.example.cn", "juesuan.example.cn:8443", "a.bumen.local", f"127.0.0.1:{other.port}"):
            assert with_host(other, host)[0] == 200, host
        for host in ("example.cn", "evil.example"):
            assert with_host(other, host)[0] == 400, host
    finally:
        other.stop()
    for bad in ("a*b.example", "host.example:8000", "*example.cn", "a/b"):
        proc = cli("serve", "--data", str(tmp_path), "--allowed-host", bad)
        assert proc.returncode == 2 and "主机名不可用" in proc.stderr, (bad, proc.stderr)


# ================================================================ pages: accounts and units (admin)

NEW_UNIT = "新建的<i>测试单位&"


def account_id(page: str, name: str) -> str:
    row = re.search(rf'<tr data-account="{re.escape(name)}".*?</tr>', page, re.S).group(0)
    return re.search(r'/admin/accounts/(\d+)/state', row).group(1)


def new_account(b: Browser, name: str, password: str, units: str = "", role: str = "unit"):
    return b.form("/admin/accounts", {"csrf": b.csrf("/admin"), "name": name, "role": role, "units": units,
                                      "password": password, "password2": password})


def test_admin_creates_a_unit_account_that_sees_only_its_unit(server, workspace, xiaohe_version):
    b = logged_in(server, "管理员")
    status, headers, _ = new_account(b, "赵六", "zhao-pass-1", NEW_UNIT + "\n")
    assert status == 303, _
    status, _, page = b.get(headers["location"])
    assert "已建立账号" in page and 'data-account="赵六"' in page
    assert "新建的&lt;i&gt;测试单位&amp;" in page and "<i>测试" not in page        # escaped
    assert "<td>新建账号</td>" in page
    # refused in Chinese: passwords that differ, a password too short (the CLI's rule), a taken name
    status, _, page = b.form("/admin/accounts", {"csrf": b.csrf("/admin"), "name": "某人", "role": "unit",
                                                 "units": XIAOHE, "password": "long-enough-1", "password2": "other-one-1"})
    assert status == 400 and "两次输入的密码不一样" in page
    status, _, page = new_account(b, "某人", "short", XIAOHE)
    assert status == 400 and "密码太短" in page
    status, _, page = new_account(b, "赵六", "zhao-pass-1", XIAOHE)
    assert status == 400 and "已存在" in page
    # the new account logs in and sees its unit only
    z = Browser(server)
    status, _, _ = z.login("赵六", "zhao-pass-1")
    assert status == 303
    status, headers, _ = z.fetch("GET", "/")[:3]
    assert status == 303 and headers["location"] == f"/units/{q(NEW_UNIT)}"
    status, _, page = z.get(f"/units/{q(NEW_UNIT)}")
    assert status == 200
    status, _, page = z.get(f"/units/{q(XIAOHE)}")
    assert status == 404
    # its units changed: now 潇河 instead
    status, _, page = b.get("/admin")
    status, _, _ = b.form(f"/admin/accounts/{account_id(page, '赵六')}/units", {"csrf": b.csrf("/admin"), "units": XIAOHE})
    assert status == 303
    status, _, page = z.get(f"/units/{q(XIAOHE)}")
    assert status == 200
    status, _, page = z.get(f"/units/{q(NEW_UNIT)}")
    assert status == 404


def test_login_returns_to_the_page_asked_for_whatever_the_unit_name_holds(server, workspace):
    """The address a login returns to is the page first asked for, even for a unit name that
    holds what looks like an escape (%41), a query (?, &) or a fragment (#)."""
    b = logged_in(server, "管理员")
    for i, name in enumerate(("戊%41己单位", "庚?x=1&y#z单位")):
        status, _, page = new_account(b, f"跳转{i}", "jump-pass-1", name)
        assert status == 303, page
        asked = f"/units/{q(name)}"
        status, headers, _ = server.request("GET", asked)
        assert status == 303
        location = urlsplit(headers["location"])
        assert location.path == "/login"
        (next_page,) = parse_qs(location.query)["next"]
        assert next_page == f"/units/{name}"                       # the login form carries it decoded
        user = Browser(server)
        status, headers, page, _ = user.login_answer(f"跳转{i}", "jump-pass-1", next_page)
        assert status == 303 and headers["location"] == asked, headers.get("location")
        status, _, page = user.get(headers["location"])
        assert status == 200 and 'id="unit-name"' in page


def test_make_serve_demo_workspace(tmp_path):
    """`make serve`'s demo workspace: every example a unit with its account and one checked
    version; a second run changes nothing."""
    script = ROOT / "scripts" / "demo_workspace.py"
    examples = sorted((EXAMPLES).glob("*.yaml"))
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(script), str(tmp_path / "ws")], capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("单位填报：") == len(examples)
        store = Store(tmp_path / "ws")
        units = store.units()
        assert len(units) == len(examples)
        for unit in units:
            (version,) = store.versions(unit)
            assert version.number == 1 and version.status == "checked" and unit.current_version == version.id
            assert (store.version_dir(unit, version.id) / version.filename).is_file()
    assert list(store.tmp_dir.iterdir()) == []


def test_admin_creates_a_unit(server):
    b = logged_in(server, "管理员")
    status, headers, _ = b.form("/admin/units", {"csrf": b.csrf("/admin"), "name": "另一个新单位"})
    assert status == 303
    status, _, page = b.get(headers["location"])
    assert "已建立单位" in page and 'data-unit="另一个新单位"' in page and "<td>新建单位</td>" in page
    status, _, page = b.form("/admin/units", {"csrf": b.csrf("/admin"), "name": "有/斜杠"})
    assert status == 400 and "不可用" in page


def test_disabled_account_cannot_log_in_and_its_token_is_401(server, workspace):
    b = logged_in(server, "管理员")
    new_account(b, "钱七", "qian-pass-1", XINCAILIAO)
    proc = cli("user", "token", "钱七", "--data", str(workspace["data"]))
    token = proc.stdout.strip().splitlines()[-1]
    qian = Api(server, token)
    assert qian.get(f"/api/units/{q(XINCAILIAO)}")[0] == 200
    session = Browser(server)
    assert session.login("钱七", "qian-pass-1")[0] == 303
    status, _, page = b.get("/admin")
    target = account_id(page, "钱七")
    status, headers, _ = b.form(f"/admin/accounts/{target}/state", {"csrf": b.csrf("/admin"), "disabled": "1"})
    assert status == 303
    status, _, page = b.get(headers["location"])
    assert "已停用账号" in page and "<td>停用账号</td>" in page
    status, _, page = Browser(server).login("钱七", "qian-pass-1")
    assert status == 401 and "这个账号已停用" in page
    status, _, raw = qian.get(f"/api/units/{q(XINCAILIAO)}")
    assert status == 401 and "需要登录" in json.loads(raw)["error"]
    status, headers, _ = session.get(f"/units/{q(XINCAILIAO)}")          # the session it had is over too
    assert status == 303 and headers["location"].startswith("/login")
    # enabled again: both work
    status, _, _ = b.form(f"/admin/accounts/{target}/state", {"csrf": b.csrf("/admin"), "disabled": "0"})
    assert status == 303
    assert Browser(server).login("钱七", "qian-pass-1")[0] == 303
    assert qian.get(f"/api/units/{q(XINCAILIAO)}")[0] == 200
    # the admin cannot disable the account it is using
    status, _, page = b.get("/admin")
    status, _, page = b.form(f"/admin/accounts/{account_id_of(workspace, '管理员')}/state",
                             {"csrf": b.csrf("/admin"), "disabled": "1"})
    assert status == 409 and "不能停用自己" in page


def account_id_of(workspace, name: str) -> int:
    return Store(workspace["data"]).account_by_name(name).id


def test_reset_password(server, workspace):
    b = logged_in(server, "管理员")
    new_account(b, "孙八", "sun-pass-old", XINCAILIAO)
    old_session = Browser(server)
    assert old_session.login("孙八", "sun-pass-old")[0] == 303
    path = f"/admin/accounts/{account_id_of(workspace, '孙八')}/password"
    status, _, page = b.form(path, {"csrf": b.csrf("/admin"), "password": "sun-pass-new", "password2": "sun-pass-neW"})
    assert status == 400 and "两次输入的密码不一样" in page
    status, _, _ = b.form(path, {"csrf": b.csrf("/admin"), "password": "sun-pass-new", "password2": "sun-pass-new"})
    assert status == 303
    status, _, page = Browser(server).login("孙八", "sun-pass-old")
    assert status == 401 and "用户名或密码不对" in page
    assert Browser(server).login("孙八", "sun-pass-new")[0] == 303
    assert old_session.get(f"/units/{q(XINCAILIAO)}")[0] == 303       # logged out by the reset
    status, _, page = b.get("/admin")
    assert "<td>重设密码</td>" in page


def test_account_routes_refuse_without_csrf_and_are_404_for_units(server, workspace):
    admin_id = account_id_of(workspace, "管理员")
    fields = {"name": "不该建立", "role": "unit", "units": XIAOHE, "password": "long-enough-1",
              "password2": "long-enough-1", "disabled": "1"}
    paths = ["/admin/accounts", f"/admin/accounts/{admin_id}/units", f"/admin/accounts/{admin_id}/password",
             f"/admin/accounts/{account_id_of(workspace, '王五')}/state", "/admin/units",
             f"/admin/accounts/{account_id_of(workspace, '张三')}/tokens"]
    b = logged_in(server, "管理员")
    for path in paths:
        status, _, page = b.form(path, fields)
        assert status == 403 and "CSRF" in page, path
        status, _, page = b.form(path, {**fields, "csrf": "forged"})
        assert status == 403, path
    li = logged_in(server, "李四")
    csrf = li.csrf(f"/units/{q(XINCAILIAO)}")
    for path in paths:
        status, _, page = li.form(path, {**fields, "csrf": csrf})
        assert status == 404, path
    store = Store(workspace["data"])
    assert store.account_by_name("不该建立") is None and store.unit("不该建立") is None
    assert not store.account_by_name("王五").disabled
    assert Browser(server).login("管理员")[0] == 303                  # its password unchanged


# ================================================================ login throttling, proxies, API tokens

LOGIN_USERS = {"管理员": "admin-pass-1", "目标": "target-pass-1", "另一人": "other-pass-1"}


def make_workspace(data: Path, users: dict[str, str]) -> None:
    for name, password in users.items():
        role = ["--role", "admin"] if name == "管理员" else ["--role", "unit", "--unit", XIAOHE]
        proc = cli("user", "add", name, *role, "--data", str(data), "--password-stdin", stdin=password + "\n")
        assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    """A server of its own for the login tests (no --trusted-proxy): its failures and locks do
    not reach the module's server. Each test uses its own names or client addresses (127.0.0.x)."""
    data = tmp_path_factory.mktemp("login")
    make_workspace(data, LOGIN_USERS)
    server = Server(data)
    yield server, data
    server.stop()


def audit_rows(data: Path, action: str, **where: str) -> list[dict]:
    rows = Store(data).audit_log(100000)
    return [r for r in rows if r["action"] == action and all(r[k] == v for k, v in where.items())]


def login_form(b: Browser) -> str:
    """The login page's CSRF token (its cookie kept in ``b``)."""
    status, _, page = b.get("/login")
    assert status == 200
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_sixty_guesses_at_once_verify_at_most_the_allowance(login_server):
    """60 logins sent at once on 60 connections, the right password 46th: the attempt is counted
    before its password is verified, so 5 are verified (401) and the other 55 refused (429), the
    right one among them; the audit log has the 5 failures and one row for the lock."""
    server, data = login_server
    b = Browser(server)
    token = login_form(b)
    right = 45
    bodies = [urlencode({"csrf": token, "name": "目标", "next": "/",
                         "password": LOGIN_USERS["目标"] if i == right else f"wrong-guess-{i}"}).encode()
              for i in range(60)]
    conns = [http.client.HTTPConnection(server.host, server.port, timeout=300) for _ in bodies]
    try:
        for conn in conns:
            conn.connect()
        for conn, body in zip(conns, bodies):            # all sent before any answer is read
            conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                  "Cookie": f"juesuan_login_csrf={token}"})
        answers = []
        for conn in conns:
            r = conn.getresponse()
            answers.append((r.status, r.getheader("Set-Cookie") or "", r.read().decode("utf-8")))
    finally:
        for conn in conns:
            conn.close()
    statuses = [a[0] for a in answers]
    assert statuses.count(401) == 5 and statuses.count(429) == 55, statuses
    assert statuses[right] == 429 and "juesuan_session=" not in answers[right][1]
    assert all("登录失败次数过多，请 1 分钟后再试" in page for status, _, page in answers if status == 429)
    assert len(audit_rows(data, "登录失败", account="目标")) == 5
    assert len(audit_rows(data, "登录被限制", account="目标")) == 1
    assert audit_rows(data, "登录", account="目标") == []
    # the right password now: still refused, with Retry-After
    status, headers, page, cookies = Browser(server).login_answer("目标", LOGIN_USERS["目标"])
    assert status == 429 and 0 < int(headers["retry-after"]) <= 60
    assert len(audit_rows(data, "登录被限制", account="目标")) == 1          # the same lock period


def test_an_attackers_failures_do_not_lock_the_user_out_from_another_address(login_server):
    server, data = login_server
    attacker = Browser(server, source="127.0.0.2")
    statuses = [attacker.login("管理员", f"guess-{i}-wrong")[0] for i in range(12)]
    assert statuses == [401] * 5 + [429] * 7
    assert attacker.login("管理员", LOGIN_USERS["管理员"])[0] == 429       # the right one: not verified now
    # the admin, from its own address: not locked out
    admin = Browser(server, source="127.0.0.3")
    status, _, page = admin.login("管理员", LOGIN_USERS["管理员"])
    assert status == 303, page
    assert admin.get("/admin")[0] == 200
    assert {r["ip"] for r in audit_rows(data, "登录失败", account="管理员")} == {"127.0.0.2"}
    assert len(audit_rows(data, "登录被限制", account="管理员")) == 1


def test_one_address_is_limited_across_names_and_audited_once_per_lock(login_server):
    """30 failures from one address, each with another name, lock the address: the 31st attempt —
    even an existing account with its right password — is refused; 200 attempts more with
    invented names (script in them) write one audit row, not 200."""
    server, data = login_server
    b = Browser(server, source="127.0.0.4")
    assert [b.login(f"无此人{i}", "wrong-password")[0] for i in range(30)] == [401] * 30
    status, _, page = b.login("另一人", LOGIN_USERS["另一人"])
    assert status == 429 and "登录失败次数过多" in page
    for i in range(200):
        status, _, page = b.login(f"<script>alert({i})</script>", "wrong-password")
        assert status == 429
    refused = audit_rows(data, "登录被限制", ip="127.0.0.4")
    assert len(refused) == 1 and "此地址登录失败 30 次" in refused[0]["detail"]
    assert len(audit_rows(data, "登录失败", ip="127.0.0.4")) == 30
    # another address: the account logs in
    assert Browser(server, source="127.0.0.5").login("另一人", LOGIN_USERS["另一人"])[0] == 303


def test_login_delays_double_per_failure_up_to_the_cap(tmp_path):
    """The schedule of the locks (Store.reserve_login, with the clock given): 5 failures of a name
    from an address free, then 1, 2, 4 … minutes after the last failure, at most 30; a lock period
    is audited once; a success forgives the name's failures at that address."""
    from generator.web.store import LOGIN_DELAY_CAP, login_delay
    store = Store(tmp_path)
    t = 1000.0
    for _ in range(5):
        assert store.reserve_login("甲", "10.0.0.1", now=t).attempt is not None
    waits = []
    for _ in range(8):
        refused = store.reserve_login("甲", "10.0.0.1", now=t + 1)
        again = store.reserve_login("甲", "10.0.0.1", now=t + 2)
        assert refused.attempt is None and refused.scope == "pair" and refused.first and not again.first
        waits.append(refused.wait + 1)
        t += refused.wait + 1                        # the lock is over: one more attempt (failed)
        assert store.reserve_login("甲", "10.0.0.1", now=t).attempt is not None
    assert waits == [60, 120, 240, 480, 960, 1800, 1800, 1800]
    assert login_delay(100, 5) == LOGIN_DELAY_CAP
    # another address, and another name from this address, are not locked by these
    assert store.reserve_login("甲", "10.0.0.2", now=t).attempt is not None
    assert store.reserve_login("乙", "10.0.0.1", now=t).attempt is not None
    # a success forgives: the next failure starts from the allowance again
    store.login_succeeded("甲", "10.0.0.1")
    for _ in range(5):
        assert store.reserve_login("甲", "10.0.0.1", now=t).attempt is not None
    assert store.reserve_login("甲", "10.0.0.1", now=t).wait == 60


def test_proxy_headers_are_ignored_without_trusted_proxy(login_server):
    """A client (here from 127.0.0.1, the address Uvicorn trusts by default) cannot choose the
    address the lock and the audit log see, nor make the cookie Secure, by X-Forwarded-*."""
    server, data = login_server
    b = Browser(server)
    statuses = [b.login_answer("代理测试", "wrong-password", headers={"X-Forwarded-For": f"203.0.113.{i}"})[0]
                for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    assert {r["ip"] for r in audit_rows(data, "登录失败", account="代理测试")} == {"127.0.0.1"}
    status, _, _, cookies = Browser(server, source="127.0.0.6").login_answer(
        "另一人", LOGIN_USERS["另一人"], headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"})
    session = next(c for c in cookies if c.startswith("juesuan_session="))
    assert status == 303 and "secure" not in session.lower()
    assert audit_rows(data, "登录", account="另一人")[0]["ip"] == "127.0.0.6"


def test_trusted_proxy_gives_the_client_address_and_https(tmp_path):
    make_workspace(tmp_path, {"目标": LOGIN_USERS["目标"]})
    server = Server(tmp_path, "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "10.9.0.0/16")
    try:
        shown = wait_for_line(server._queue, r"信任的反向代理：(.*)（只采信它们的 X-Forwarded-For 与 X-Forwarded-Proto）\s*", 30)
        assert shown and shown.group(1) == "127.0.0.1、10.9.0.0/16"
        proxy = {"X-Forwarded-For": "203.0.113.5, 198.51.100.7, 10.9.8.7", "X-Forwarded-Proto": "https"}
        status, _, _, cookies = Browser(server).login_answer("目标", LOGIN_USERS["目标"], headers=proxy)
        session = next(c for c in cookies if c.startswith("juesuan_session="))
        assert status == 303 and "Secure" in session
        assert audit_rows(tmp_path, "登录", account="目标")[0]["ip"] == "198.51.100.7"   # past the trusted hops
        # the lock counts the client the proxy reports: another client behind it is not locked out
        for _ in range(6):
            Browser(server).login_answer("目标", "wrong-password", headers={"X-Forwarded-For": "198.51.100.66"})
        status, _, _, _ = Browser(server).login_answer("目标", "wrong-password", headers={"X-Forwarded-For": "198.51.100.66"})
        assert status == 429
        status, _, _, _ = Browser(server).login_answer("目标", LOGIN_USERS["目标"], headers={"X-Forwarded-For": "198.51.100.8"})
        assert status == 303
        # an IPv6 client is counted by its /64: another address of it does not start afresh
        for i in range(5):
            status, _, _, _ = Browser(server).login_answer("目标", "wrong-password", headers={"X-Forwarded-For": f"2001:db8::{i + 1}"})
            assert status == 401
        status, _, _, _ = Browser(server).login_answer("目标", LOGIN_USERS["目标"], headers={"X-Forwarded-For": "2001:db8::ff"})
        assert status == 429
        assert audit_rows(tmp_path, "登录被限制", account="目标")[0]["ip"] == "2001:db8::ff"
        status, _, _, _ = Browser(server).login_answer("目标", LOGIN_USERS["目标"], headers={"X-Forwarded-For": "2001:db8:0:1::1"})
        assert status == 303
        # a client that is not a trusted proxy: its headers are ignored
        status, _, _, cookies = Browser(server, source="127.0.0.2").login_answer("目标", LOGIN_USERS["目标"], headers=proxy)
        session = next(c for c in cookies if c.startswith("juesuan_session="))
        assert status == 303 and "secure" not in session.lower()
        assert audit_rows(tmp_path, "登录", account="目标")[0]["ip"] == "127.0.0.2"
    finally:
        server.stop()
    proc = cli("serve", "--data", str(tmp_path), "--trusted-proxy", "反向代理")
    assert proc.returncode == 2 and "代理地址不可用：反向代理" in proc.stderr


def test_audit_log_page_pages_and_filters(login_server):
    server, data = login_server
    store = Store(data)
    for i in range(250):
        store.audit("分页人", "上传", "分页单位<b>", f"版本 {i}")
    store.audit("<i>别人</i>", "上传", "分页单位<b>", "不是分页人的")
    admin = Browser(server, source="127.0.0.9")
    assert admin.login("管理员", LOGIN_USERS["管理员"])[0] == 303
    status, _, page = admin.get("/admin")
    assert 'href="/admin/log"' in page
    status, _, page = admin.get("/admin/log?" + urlencode({"account": "分页人", "unit": "分页单位<b>"}))
    assert status == 200 and "共 250 条，第 1/3 页" in page
    assert page.count("<td>分页人</td>") == 100 and "<td>版本 249</td>" in page and "&lt;b&gt;" in page
    assert 'value="分页单位&lt;b&gt;"' in page and "分页单位<b>" not in page
    next_link = re.search(r'id="log-next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_link).query) == {"account": ["分页人"], "unit": ["分页单位<b>"], "page": ["2"]}
    status, _, page = admin.get(next_link)
    assert "第 2/3 页" in page and "<td>版本 149</td>" in page and 'id="log-prev"' in page
    status, _, page = admin.get("/admin/log?" + urlencode({"account": "分页人", "page": "3"}))
    assert page.count("<td>分页人</td>") == 50 and 'id="log-next"' not in page
    for bad in ("99", "abc", "-1", "1" * 30):        # out of range or not a number: a page that exists
        status, _, page = admin.get("/admin/log?" + urlencode({"account": "分页人", "page": bad}))
        assert status == 200 and "<td>分页人</td>" in page
    status, _, page = admin.get("/admin/log?" + urlencode({"account": "<i>别人", "action": "上传"}))
    assert "共 1 条" in page and "<td>&lt;i&gt;别人&lt;/i&gt;</td>" in page and "<i>别人" not in page
    assert '<option value="上传" selected>' in page
    status, _, page = admin.get("/admin/log?" + urlencode({"action": "登录"}))
    assert "共 0 条" not in page and "<td>上传</td>" not in page
    # a unit account may not read it
    unit_user = Browser(server, source="127.0.0.9")
    assert unit_user.login("另一人", LOGIN_USERS["另一人"])[0] == 303
    assert unit_user.get("/admin/log")[0] == 403


def test_password_reset_and_revoke_end_the_accounts_api_tokens(server, workspace):
    data = workspace["data"]
    b = logged_in(server, "管理员")
    assert new_account(b, "周九", "zhou-pass-1", XINCAILIAO)[0] == 303

    def new_token() -> Api:
        proc = cli("user", "token", "周九", "--data", str(data))
        assert proc.returncode == 0, proc.stderr
        api = Api(server, proc.stdout.strip().splitlines()[-1])
        assert api.get(f"/api/units/{q(XINCAILIAO)}")[0] == 200
        return api

    def refused(api: Api) -> bool:
        status, _, raw = api.get(f"/api/units/{q(XINCAILIAO)}")
        return status == 401 and "需要登录" in json.loads(raw)["error"]

    # a password reset on the admin page
    first, second = new_token(), new_token()
    target = account_id_of(workspace, "周九")
    status, headers, _ = b.form(f"/admin/accounts/{target}/password",
                                {"csrf": b.csrf("/admin"), "password": "zhou-pass-2", "password2": "zhou-pass-2"})
    assert status == 303
    status, _, page = b.get(headers["location"])
    assert "API 令牌已作废" in page and "周九（会话结束，API 令牌 2 个作废）" in page
    assert refused(first) and refused(second)
    # juesuan user token --revoke
    third = new_token()
    proc = cli("user", "token", "周九", "--revoke", "--data", str(data))
    assert proc.returncode == 0 and proc.stdout.strip() == "已作废 周九 的全部 API 令牌（1 个）" and "jst_" not in proc.stdout
    assert refused(third)
    proc = cli("user", "token", "周九", "--revoke", "--data", str(data))
    assert proc.returncode == 0 and proc.stdout.strip() == "周九 没有 API 令牌，无需作废"
    proc = cli("user", "token", "没有的人", "--revoke", "--data", str(data))
    assert proc.returncode == 2 and "没有用户" in proc.stderr
    # the admin page's button (CSRF checked)
    fourth = new_token()
    status, _, page = b.get("/admin")
    row = re.search(r'<tr data-account="周九".*?</tr>', page, re.S).group(0)
    assert f'action="/admin/accounts/{target}/tokens"' in row and "作废 API 令牌（1 个）" in row
    status, _, page = b.form(f"/admin/accounts/{target}/tokens", {})
    assert status == 403 and not refused(fourth)
    status, headers, _ = b.form(f"/admin/accounts/{target}/tokens", {"csrf": b.csrf("/admin")})
    assert status == 303 and refused(fourth)
    status, _, page = b.get(headers["location"])
    assert "已作废该账号的全部 API 令牌" in page and "<td>作废 API 令牌</td>" in page
    assert [r["detail"] for r in Store(data).audit_log(20) if r["action"] == "作废 API 令牌"][:3] == [
        "周九：1 个", "周九：0 个", "周九：1 个"]                              # the page's, then the command's two
    assert Browser(server).login("周九", "zhou-pass-2")[0] == 303         # the account itself still works


# ================================================================ version numbers

def test_version_numbers_count_within_each_unit(server, admin, zhang, xiaohe_version):
    """A unit's first upload is its 版本 1 however many other units' uploads came before; the
    API's "version" stays the global id (its URLs), "number" is the number within the unit;
    uploads at once get distinct consecutive numbers."""
    example = EXAMPLES / "putuo-guihuaziyuan-2024.yaml"
    unit = example_unit(example)
    b = logged_in(server, "管理员")
    status, _, _ = b.form("/admin/units", {"csrf": b.csrf("/admin"), "name": unit})
    assert status == 303
    status, first = admin.upload(unit, example.name, example.read_bytes())
    assert status == 200, first
    assert first["number"] == 1 and first["version"] > xiaohe_version           # the global id goes on
    status, _, raw = admin.get(f"/api/units/{q(unit)}")
    info = json.loads(raw)
    assert info["current"] == first["version"] and info["current_number"] == 1
    assert [(v["id"], v["number"]) for v in info["versions"]] == [(first["version"], 1)]
    status, _, page = b.get(f"/units/{q(unit)}")
    assert status == 200 and re.search(r'id="current-version">1<', page), page
    assert f'data-version="{first["version"]}" data-number="1" class="current">\n  <td>1（当前）</td>' in page
    assert f'{q(unit)}/versions/{first["version"]}/preview"' in page                # links by id
    status, headers, _, _ = b.fetch("GET", f"/units/{q(unit)}/versions/{first['version']}/file")
    assert status == 200 and quote("-版本1.yaml") in headers["content-disposition"]
    # four uploads at once: numbers 2–5, each once
    data = example.read_bytes()
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(admin.upload(unit, example.name, data)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [200] * 4, results
    assert sorted(out["number"] for _, out in results) == [2, 3, 4, 5]
    by_id = sorted((out["version"], out["number"]) for _, out in results)
    assert [n for _, n in by_id] == [2, 3, 4, 5]                     # in the order of the ids
    status, _, raw = admin.get(f"/api/units/{q(unit)}")
    info = json.loads(raw)
    assert [v["number"] for v in info["versions"]] == [5, 4, 3, 2, 1]
    assert info["current"] == by_id[-1][0] and info["current_number"] == 5
    # the admin's table and the audit log say numbers too
    status, _, page = b.get("/admin")
    row = re.search(rf'<tr data-unit="{re.escape(unit)}">.*?</tr>', page, re.S).group(0)
    assert '<td class="current-version">5</td>' in row
    assert f"<td>{unit}</td><td>版本 1：{example.name}（" in page
    assert f"<td>{unit}</td><td>版本 1 的上传文件</td>" in page
    # the other unit's numbers are its own
    status, _, raw = zhang.get(f"/api/units/{q(XIAOHE)}")
    numbers = [v["number"] for v in json.loads(raw)["versions"]]
    assert numbers == list(range(len(numbers), 0, -1))


OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    dir TEXT NOT NULL UNIQUE,
    current_version INTEGER,
    claim INTEGER NOT NULL DEFAULT 0,       -- the highest version id that has claimed "current"
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'unit')),
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_units (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, unit_id)
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    filename TEXT NOT NULL,                 -- the stored file's name (made safe)
    original_name TEXT NOT NULL,            -- as uploaded (shown escaped, never used as a path)
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts(id),
    account_name TEXT NOT NULL,
    uploaded TEXT NOT NULL,
    status TEXT NOT NULL,
    errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    infos INTEGER NOT NULL DEFAULT 0,
    result TEXT                             -- JSON: findings, views, problems (work.check_upload)
);
CREATE INDEX IF NOT EXISTS versions_unit ON versions(unit_id, id);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    account_id INTEGER,
    account_name TEXT NOT NULL,
    created TEXT NOT NULL,
    finished TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    units TEXT NOT NULL,                    -- JSON list of unit names
    results TEXT,                           -- JSON list, one object per unit
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
"""
"""The schema of the workspace before versions had numbers (commit 9a86495), as such a database is."""


def old_version(db, unit_id: int) -> None:
    db.execute("INSERT INTO versions (unit_id, filename, original_name, size, sha256, account_name, uploaded, status)"
               " VALUES (?, 'a.yaml', 'a.yaml', 1, 'x', '甲', '2024-01-01 00:00:00', 'checked')", (unit_id,))


def test_a_workspace_from_before_version_numbers_is_numbered_when_opened(tmp_path):
    import sqlite3
    db = sqlite3.connect(tmp_path / "juesuan.sqlite3", isolation_level=None)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO units (id, name, dir, created) VALUES (1, '甲单位', 'a', ''), (2, '乙单位', 'b', '')")
    db.execute("INSERT INTO accounts (id, name, role, created) VALUES (1, '甲', 'admin', '')")
    for unit_id in (1, 2, 1, 1, 2, 1):
        old_version(db, unit_id)
    db.close()
    store = Store(tmp_path)
    a, b = store.unit("甲单位"), store.unit("乙单位")
    assert [(v.id, v.number) for v in store.versions(a)] == [(6, 4), (4, 3), (3, 2), (1, 1)]
    assert [(v.id, v.number) for v in store.versions(b)] == [(5, 2), (2, 1)]
    account = store.account_by_name("甲")
    for unit, number in ((a, 5), (b, 3)):
        source = store.tmp_dir / "新.yaml"
        source.write_bytes(b"x: 1\n")
        version = store.add_version(unit, account, "新.yaml", "新.yaml", source, 5, "0" * 64)
        assert version.number == number and not source.exists()
        assert (store.version_dir(unit, version.id) / "新.yaml").read_bytes() == b"x: 1\n"
    assert Store(tmp_path).version(8).number == 3                        # opened again: nothing changes
    with sqlite3.connect(tmp_path / "juesuan.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError):                       # UNIQUE (unit_id, number)
            db.execute("UPDATE versions SET number = 1 WHERE id = 6")
        old_version(db, 2)               # as a server of the earlier code would, still running: no number
    store = Store(tmp_path)
    assert [v.number for v in store.versions(b)] == [4, 3, 2, 1]


# ================================================================ without a server

def form_body(parts: list[tuple[str, str | None, bytes]], boundary: str = "Bd") -> bytes:
    """A multipart body of (name, file name or None, content) parts."""
    out = io.BytesIO()
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def form_cases() -> list[tuple[str, str, bytes]]:
    mp = "multipart/form-data; boundary=Bd"
    tricky = bytes(random.Random(3).randrange(256) for _ in range(600_000)) + b"\r\n--B\r\n--Bd-" * 50
    return [
        ("file and field", mp, form_body([("csrf", None, b"tok"), ("file", "数据 2024.yaml", b"a: 1\n")])),
        ("file first", mp, form_body([("file", "x.xlsx", b"PK\x03\x04"), ("csrf", None, "校验".encode())])),
        ("bytes like the boundary", mp, form_body([("file", "x.xlsx", tricky), ("csrf", None, b"t")])),
        ("empty file", mp, form_body([("file", "e.yaml", b"")])),
        ("no file", mp, form_body([("csrf", None, b"tok")])),
        ("empty file name", mp, form_body([("file", "", b"abc")])),
        ("file is a text field", mp, form_body([("file", None, b"abc")])),
        ("text field named file after it", mp, form_body([("file", "a.yaml", b"abc"), ("file", None, b"x")])),
        ("another file", mp, form_body([("file", "a.yaml", b"abc"), ("other", "b.yaml", b"x")])),
        ("21 fields", mp, form_body([("file", "a.yaml", b"abc")] + [(f"f{i}", None, b"v") for i in range(21)])),
        ("20 fields", mp, form_body([("file", "a.yaml", b"abc")] + [(f"f{i}", None, b"v") for i in range(20)])),
        ("part without a name", mp, form_body([("file", "a.yaml", b"abc")]).replace(b'name="file"; ', b"")),
        ("no boundary", "multipart/form-data", form_body([("file", "a.yaml", b"abc")])),
        ("not a form", "multipart/form-data; boundary=Bd", b"this is no form at all"),
        ("broken header", mp, form_body([("file", "a.yaml", b"abc")]).replace(b"Content-Disposition:", b"Content Disposition:")),
        ("cut short", mp, form_body([("file", "a.yaml", b"abc" * 1000)])[:2000]),
        ("urlencoded", "application/x-www-form-urlencoded", b"csrf=tok&file=x"),
        ("no content type", "", b"whatever"),
        ("charset gbk", "multipart/form-data; boundary=Bd; charset=gbk",
         form_body([("file", "x.yaml", b"a")]).replace(b'filename="x.yaml"', 'filename="数据.yaml"'.encode("gbk"))),
        ("quoted name", mp, form_body([("file", 'a\\"b.yaml', b"abc")])),
    ]


async def read_as_starlette(content_type: str, body: bytes):
    from starlette.datastructures import UploadFile
    from starlette.requests import Request

    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode())] if content_type else []
    try:
        form = await Request({"type": "http", "method": "POST", "headers": headers}, receive).form(
            max_files=1, max_fields=20)
    except Exception:
        return ("unreadable",)
    field = form.get("file")
    if not isinstance(field, UploadFile) or not field.filename:
        return ("no file",)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return ("file", field.filename, await field.read(), fields)


async def read_as_workspace(content_type: str, body: bytes, folder: Path, rng: random.Random):
    from generator.web import uploads
    upload = uploads.Upload(content_type or None, folder)
    try:
        at = 0
        while at < len(body):                                    # chunks of any size, as a network gives them
            n = rng.choice((1, 7, 100, 4096, 65536, 300_000))
            await upload.feed(body[at:at + n])
            at += n
        try:
            await upload.finish()
        except uploads.FormError:
            return ("unreadable",)
        if not upload.filename:
            return ("no file",)
        data = upload.path.read_bytes()
        assert upload.size == len(data) and upload.sha256 == hashlib.sha256(data).hexdigest()
        return ("file", upload.filename, data, {k: v for k, v in upload.fields.items() if k != "file"})
    finally:
        upload.remove()


def test_uploads_are_read_as_starlettes_form_reads_them(tmp_path):
    """web.uploads reads a body in chunks into a temporary file: what it finds (the file, its
    name, the text fields, or that the form is unreadable) is what Request.form(max_files=1,
    max_fields=20) found when the body was held in memory; it leaves no file behind."""
    rng = random.Random(14)
    for name, content_type, body in form_cases():
        expected = asyncio.run(read_as_starlette(content_type, body))
        for _ in range(3):
            got = asyncio.run(read_as_workspace(content_type, body, tmp_path, rng))
            assert got == expected, name
        assert list(tmp_path.iterdir()) == [], name


def test_upload_text_fields_are_bounded(tmp_path):
    from generator.web import uploads
    body = form_body([("file", "a.yaml", b"abc"), ("note", None, b"x" * (uploads.FIELDS_BYTES + 1))])
    got = asyncio.run(read_as_workspace("multipart/form-data; boundary=Bd", body, tmp_path, random.Random(1)))
    assert got == ("unreadable",)
    assert list(tmp_path.iterdir()) == []


def test_a_restart_marks_running_jobs_interrupted(tmp_path):
    store = Store(tmp_path)
    acc = store.add_account("甲", "admin", None, [])
    store.add_job("j1", "batch", acc, ["某单位"])
    assert store.job("j1")["status"] == RUNNING
    assert Store(tmp_path).mark_unfinished() == 1
    job = Store(tmp_path).job("j1")
    assert job["status"] == STOPPED and "继续" in job["message"]


def example_unit(path: Path) -> str:
    return re.search(r"^单位名称: (.+)$", path.read_text(encoding="utf-8"), re.M).group(1).strip()


def batch_status(api: Api, job: str) -> dict:
    status, _, raw = api.get(f"/api/batch/{job}")
    assert status == 200, raw
    return json.loads(raw)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_server_killed_during_a_batch_marks_it_interrupted_and_the_rerun_resumes(tmp_path, how):
    """A real server with one batch worker, the example units uploaded; stopped (SIGTERM) or killed
    (SIGKILL: no cleanup at all) once a unit is rendered and the job still running; restarted on the
    same folder: the job says interrupted, and the batch run again skips what was rendered and
    renders the rest. Three of the examples (one of each kind of document): enough to kill the job
    between two of them."""
    examples = sorted(EXAMPLES.glob("*.yaml"))[::2]
    units = [example_unit(p) for p in examples]
    extra = [a for u in units for a in ("--unit", u)]
    for name, role, more in (("管理员", "admin", []), ("填报", "unit", extra)):
        proc = cli("user", "add", name, "--role", role, *more, "--data", str(tmp_path), "--password-stdin",
                   stdin="long-enough-1\n")
        assert proc.returncode == 0, proc.stderr
    token = cli("user", "token", "管理员", "--data", str(tmp_path)).stdout.strip().splitlines()[-1]
    server = Server(tmp_path, "--jobs", "1")
    try:
        api = Api(server, token)
        for path, unit in zip(examples, units):
            status, out = api.upload(unit, path.name, path.read_bytes())
            assert status == 200, out
        status, _, raw = api.post("/api/batch")
        assert status == 202, raw
        job = json.loads(raw)["id"]
        info, deadline = batch_status(api, job), time.monotonic() + 600      # a bound, not a measure
        while info["status"] == "running" and info["done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            info = batch_status(api, job)
        assert info["status"] == "running" and 1 <= info["done"] < len(units), info
        server.proc.send_signal(how)
        assert server.proc.wait(timeout=120) is not None
    finally:
        server.stop()
    assert Store(tmp_path).job(job)["status"] == RUNNING          # as the killed server left it
    server = Server(tmp_path, "--jobs", "1")
    try:
        api = Api(server, token)
        info = batch_status(api, job)
        assert info["status"] == STOPPED and "继续" in info["message"], info
        b = logged_in_as(server, "管理员", "long-enough-1")
        status, _, page = b.get(f"/admin?job={job}")
        assert 'id="job-status">已中断<' in page
        status, _, raw = api.post("/api/batch")
        assert status == 202, raw
        again = json.loads(raw)["id"]
        info, deadline = batch_status(api, again), time.monotonic() + 600
        while info["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            info = batch_status(api, again)
    finally:
        server.stop()
    assert info["status"] == "done", info
    statuses = {r["unit"]: r["status"] for r in info["results"]}
    assert sorted(statuses) == sorted(units)
    skipped = [u for u, st in statuses.items() if st == "已跳过（未变化）"]
    assert skipped, statuses                                        # what was rendered before the kill
    assert all(st == "已生成" for u, st in statuses.items() if u not in skipped), statuses


def logged_in_as(server: Server, name: str, password: str) -> Browser:
    b = Browser(server)
    status, _, page = b.login(name, password)
    assert status == 303, page
    return b


def test_check_of_an_upload_in_every_profile(tmp_path):
    """work.check_upload (what the check workers run) on each example: findings as check JSON,
    a link for each finding that concerns a table, the draft preview written; and the cwd kept."""
    from generator.web import work
    cwd = os.getcwd()
    for example in sorted(EXAMPLES.glob("*.yaml")):
        folder = tmp_path / example.stem
        folder.mkdir()
        (folder / example.name).write_bytes(example.read_bytes())
        name = re.search(r"^单位名称: (.+)$", example.read_text(encoding="utf-8"), re.M).group(1).strip()
        result = work.check_upload(str(folder), example.name, name)
        assert result["status"] == "checked", (example.name, result)
        assert result["findings"] == check_json(folder / example.name), example.name
        assert len(result["views"]) == len(result["findings"])
        preview = (folder / work.PREVIEW_NAME).read_text(encoding="utf-8")
        assert "仅供内部审核" in preview
        for f, v in zip(result["findings"], result["views"]):
            if f'id="t{f["table"]}"' in preview:             # a table the report prints
                assert v["href"] == f"#t{f['table']}", (example.name, f, v)
            if v["href"]:
                assert f'id="{v["href"][1:]}"' in preview, (example.name, v)
        assert os.getcwd() == cwd


def test_check_does_not_load_the_web_stack():
    code = ("import sys; from generator.cli import build_parser; build_parser('check'); build_parser('batch');"
            "print(sorted(m for m in ('starlette', 'uvicorn', 'argon2', 'generator.web.app', 'generator.web.store')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True).stdout
    assert out.strip() == "[]"


def test_user_commands_refuse_bad_input(tmp_path):
    proc = cli("user", "add", "某人", "--role", "unit", "--data", str(tmp_path), "--password-stdin", stdin="long-enough\n")
    assert proc.returncode == 2 and "--unit" in proc.stderr
    proc = cli("user", "add", "某人", "--role", "admin", "--data", str(tmp_path), "--password-stdin", stdin="short\n")
    assert proc.returncode == 2 and "密码太短" in proc.stderr
    proc = cli("user", "token", "没有的人", "--data", str(tmp_path))
    assert proc.returncode == 2 and "没有用户" in proc.stderr


def test_the_admin_checks_a_published_report_and_nothing_is_kept(server, workspace):
    """/admin/reports: any published PDF, read and checked as `juesuan audit` does (in a check
    worker), its findings grouped by table with the page; a unit's account may not; only PDFs."""
    from .conftest import SEEDS
    b = logged_in(server, "管理员")
    status, _, page = b.get("/admin")
    assert 'href="/admin/reports"' in page
    csrf = b.csrf("/admin/reports")
    pdf = (SEEDS / "pdf" / "shanghai-putuo-guihuaziyuan-2024-final-accounts.pdf").read_bytes()
    body, ctype = multipart("规划资源局2024年度部门决算.pdf", pdf, {"csrf": csrf})
    status, _, raw, _ = b.fetch("POST", "/admin/reports", body, {"Content-Type": ctype})
    page = raw.decode("utf-8")
    assert status == 200, page
    assert "上海市普陀区规划和自然资源局 2024年度（版式 shanghai-2024）" in page
    assert page.count('data-rule="P-PRINTED"') == 4 and "第7页“收入支出决算总表”" in page
    assert "<h4>收入支出决算总表</h4>" in page
    body, ctype = multipart("unit.yaml", (EXAMPLES / "xiaohe-2022.yaml").read_bytes(), {"csrf": csrf})
    status, _, raw, _ = b.fetch("POST", "/admin/reports", body, {"Content-Type": ctype})
    assert status == 415 and "只检查已公开的报告" in raw.decode("utf-8")
    body, ctype = multipart("scan.pdf", b"%PDF-1.4 no text here", {"csrf": csrf})
    status, _, raw, _ = b.fetch("POST", "/admin/reports", body, {"Content-Type": ctype})
    assert status == 422 and 'id="report-problems"' in raw.decode("utf-8")
    assert list((workspace["data"] / "tmp").glob("audit-*")) == []          # read, then removed
    z = logged_in(server, "张三")
    assert z.get("/admin/reports")[0] == 403
    log = b.get("/admin/log")[2]
    assert "检查已公开报告" in log and "规划资源局2024年度部门决算.pdf" in log


def test_a_unit_uploads_last_years_published_report_as_its_last_year(server, workspace, zhang, rendered, tmp_path):
    """A .pdf uploaded to a unit: last year's published report. It becomes a new version of the current
    data with the report beside it; the 上年 figures come from its tables (when the data gives none),
    it goes on with the next data upload, and a report of the wrong year is refused like a bad file."""
    text = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8").replace("年度: 2022", "年度: 2023", 1)
    text = re.sub(r"^上年:\n(?:[ #].*\n|\n)*", "", text, count=1, flags=re.M)
    status, out = zhang.upload(XIAOHE, "潇河-2023.yaml", text.encode("utf-8"))
    assert status == 200, out
    status, out = zhang.upload(XIAOHE, "潇河2022年度部门决算.pdf", rendered["xiaohe"]["pdf"].read_bytes())
    assert status == 200 and out["status"] == "checked", out

    def keys(findings):
        return {(f["rule"], f["table"], f["row"], f["column"], f["expected"], f["actual"]) for f in findings}
    with_last_year = keys(out["findings"])
    # what `juesuan check` finds in the same data naming the same report as its 上年数据文件 (in this process)
    from generator.check.report import to_json
    from generator.pipeline import load_and_check
    (tmp_path / "last.pdf").write_bytes(rendered["xiaohe"]["pdf"].read_bytes())
    (tmp_path / "this.yaml").write_text(text + "\n上年数据文件: last.pdf\n", encoding="utf-8")
    checked = json.loads(to_json([("this.yaml", load_and_check(tmp_path / "this.yaml")[1])]))
    assert with_last_year == keys(checked)
    folders = sorted(workspace["data"].rglob("上年报告.pdf"))
    assert len(folders) == 1
    b = logged_in(server, "张三")
    page = b.get(f"/units/{q(XIAOHE)}")[2]
    assert "上年数取自上传的上年已公开报告" in page and "潇河2022年度部门决算.pdf" in page
    # the next data upload keeps the report
    status, out = zhang.upload(XIAOHE, "潇河-2023.yaml", text.encode("utf-8"))
    assert status == 200 and keys(out["findings"]) == with_last_year, out
    assert len(sorted(workspace["data"].rglob("上年报告.pdf"))) == 2
    # the wrong year: refused, the current version stays
    current = json.loads(zhang.get(f"/api/units/{q(XIAOHE)}")[2])["current"]
    status, out = zhang.upload(XIAOHE, "新材料2023.pdf", rendered["xincailiao"]["pdf"].read_bytes())
    assert status == 422 and out["status"] != "checked", out
    assert any("应为2022年度的报告" in p for p in out["problems"]), out["problems"]
    assert json.loads(zhang.get(f"/api/units/{q(XIAOHE)}")[2])["current"] == current


def test_the_admin_consolidates_units_into_the_departments_own_unit(server, workspace, admin, tmp_path):
    """/admin/consolidate: the 本级 and 所属单位 chosen among the units' current versions, added up as
    `juesuan consolidate` does; the result is a new version of the department's own unit (created),
    checked there like any upload. Units that cannot be added up: the page says why, nothing stored."""
    from decimal import Decimal
    from .consolidation_units import PARENT, make_group
    paths = make_group(tmp_path / "units", 2, Decimal("5000.00"))
    b = logged_in(server, "管理员")
    csrf = b.csrf("/admin")
    names = []
    for path in paths:
        name = PARENT if path == paths[0] else "示范区某中心001"
        status, _, page = b.form("/admin/units", {"csrf": csrf, "name": name})
        assert status == 303, page
        status, out = admin.upload(name, path.name, path.read_bytes())
        assert status == 200 and out["status"] == "checked", out
        names.append(name)
    page = b.get("/admin")[2]
    assert 'href="/admin/consolidate"' in page
    csrf = b.csrf("/admin/consolidate")
    body = urlencode([("csrf", csrf), ("name", "示范区某局"), ("own", PARENT), ("units", PARENT),
                      ("units", "示范区某中心001")]).encode()
    status, headers, raw, _ = b.fetch("POST", "/admin/consolidate", body,
                                      {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, raw.decode("utf-8")
    assert headers["location"].startswith(f"/units/{q('示范区某局')}?notice=uploaded-1")
    unit = json.loads(admin.get(f"/api/units/{q('示范区某局')}")[2])
    assert unit["versions"][0]["status"] == "checked" and unit["current"] == unit["versions"][0]["id"]
    assert unit["versions"][0]["file"].startswith("部门汇总：2 个单位")
    page = b.get(f"/units/{q('示范区某局')}")[2]
    assert "部门汇总：2 个单位（本级 示范区某局（本级））" in page
    # a unit of another year (潇河's current version is of 2023): refused, said, nothing stored
    body = urlencode([("csrf", csrf), ("name", "示范区某局"), ("own", PARENT), ("units", XIAOHE)]).encode()
    status, _, raw, _ = b.fetch("POST", "/admin/consolidate", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 422 and "同一年度" in raw.decode("utf-8"), raw.decode("utf-8")
    assert len(json.loads(admin.get(f"/api/units/{q('示范区某局')}")[2])["versions"]) == 1
    assert list((workspace["data"] / "tmp").glob("consolidate-*")) == []         # stored, or removed
    assert list((workspace["data"] / "tmp").glob("data-*")) == []
    z = logged_in(server, "张三")
    assert z.get("/admin/consolidate")[0] == 403
