"""juesuan preview: the local server, the findings panel, and the page in a real browser.

The browser test starts ``python -m generator.preview`` as a subprocess and drives the Debian
Chromium (``chromium`` + ``chromium-driver``, installed by scripts/setup.sh) through Selenium,
headless. Every wait is bounded; all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import http.client
import io
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import (JavascriptException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from generator.check import ERROR, Finding
from generator.compose.document import Document
from generator.model import Source
from generator.pipeline import prepare
from generator.preview import (GOODBYE, PREVIEW_TEMPLATE, FindingView, Preview, finding_views,
                               templates_fingerprint)
from generator.write.html_writer import environment, report_context

from .browsers import CHROMEDRIVER, chromium_options, wait_for_line
from .conftest import EXAMPLES, ROOT

WAIT = 20                          # seconds for the page to follow a change of the file
START = 60                         # seconds for the server to print its address

NAME = "山西转型综合改革示范区新材料产业招商服务中心"
NEW_NAME = "山西转型综合改革示范区预览测试中心"
ITEM = '''  - 科目编码: "2010302"
    科目名称: 一般行政管理事务
    本年收入合计: 1.44
    财政拨款收入: 1.44
'''


# ---------------------------------------------------------------- the server as a subprocess

class Server:
    """``python -m generator.preview FILE --no-browser``; its stdout is read by a thread."""

    def __init__(self, path: Path, *extra: str):
        env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator.preview", str(path), "--no-browser", *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8")
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)
        self._queue.put(None)

    def url(self, timeout: float = START) -> str:
        m = wait_for_line(self._queue, r"预览地址：(http://127\.0\.0\.1:(\d+)/)\s*", timeout)
        if m:
            return m.group(1)
        self.stop(signal.SIGKILL)
        pytest.fail(f"no address printed: {self.lines} {self.proc.stderr.read()}")

    def stop(self, sig=signal.SIGINT, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout)
            raise

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def unit_copy(tmp_path) -> Path:
    """xincailiao without its 附件 forms (the published 企业扶持资金 form's 分值 add up to 95, a
    warning): a unit whose check finds nothing."""
    path = tmp_path / "unit.yaml"
    text = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    path.write_text(text.partition("\n附件:\n")[0] + "\n附件:\n  - 名称: 项目绩效自评表\n", encoding="utf-8")
    return path


@pytest.fixture
def server(unit_copy):
    s = Server(unit_copy)
    yield s
    s.close()


def get(url: str, path: str, host: str | None = None) -> tuple[int, dict, bytes]:
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


# ---------------------------------------------------------------- the browser

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = chromium_options(profile)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def js(driver, script: str, *args):
    return driver.execute_script(script, *args)


def wait_for(driver, condition, what: str, timeout: float = WAIT):
    """Poll ``condition(driver)`` until truthy; a page reloading meanwhile is no error."""
    return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=(
        StaleElementReferenceException, NoSuchElementException, JavascriptException,
    )).until(condition, message=f"页面在 {timeout} 秒内没有{what}")


def h1_texts(driver) -> list[str]:
    return js(driver, "return Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim())")


def panel(driver) -> str:
    return js(driver, "var p = document.getElementById('preview-panel'); return p ? p.innerText : ''")


def body_text(driver) -> str:
    return js(driver, "return document.body ? document.body.innerText : ''")


def test_preview_in_browser_follows_the_data_file(server, unit_copy, browser):
    url = server.url()
    original = unit_copy.read_text(encoding="utf-8")
    assert NAME in original and original.count(ITEM) == 1

    browser.get(url)
    assert "第三部分 情况说明" in h1_texts(browser)
    assert "5,987.71" in body_text(browser)
    assert "检查未发现问题" in panel(browser)
    assert js(browser, "return document.querySelectorAll('#preview-panel li.finding').length") == 0
    assert js(browser, "return document.querySelector('.cover-unit').textContent.replace(/\\n/g, '')") == NAME
    js(browser, "window.__sameDocument = true")

    # 1. a new name: the page reloads by itself and shows it
    unit_copy.write_text(original.replace(f"单位名称: {NAME}", f"单位名称: {NEW_NAME}", 1), encoding="utf-8")
    wait_for(browser, lambda d: js(d, "var c = document.querySelector('.cover-unit'); return c && c.textContent.replace(/\\n/g, '')")
             == NEW_NAME, "显示新的单位名称")
    assert js(browser, "return window.__sameDocument === undefined")     # reloaded, not patched
    assert "检查未发现问题" in panel(browser)

    # 2. one 项 of 02表 no longer adds up to its 款: a T02-ITEM error linking to the table
    unit_copy.write_text(original.replace(ITEM, ITEM.replace("1.44", "1.54"), 1), encoding="utf-8")
    item = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, '#preview-panel li.finding[data-rule="T02-ITEM"]'),
                    "显示 T02-ITEM")
    assert item.get_attribute("data-severity") == ERROR
    text = item.text
    assert "T02-ITEM" in text and "错误" in text and "1.44万元" in text and "1.54万元" in text
    link = item.find_element(By.CSS_SELECTOR, "a.finding-link")
    assert link.get_attribute("href") == url + "#t02"
    assert js(browser, "return arguments[0].getAttribute('href')", link) == "#t02"
    assert "收入决算表" in link.text
    assert "has-errors" in js(browser, "return document.getElementById('preview-panel').className")
    assert "检查未发现问题" not in panel(browser)
    assert js(browser, "return window.scrollY") == 0
    link.click()
    wait_for(browser, lambda d: js(d, "return location.hash") == "#t02", "跳到 #t02")
    top = wait_for(browser, lambda d: js(d, "var r = document.getElementById('t02').getBoundingClientRect();"
                                           "return Math.abs(r.top) < 2 ? [r.top] : null"), "把 02 表滚到顶端")
    assert js(browser, "return window.scrollY") > 0, top
    assert js(browser, "return document.querySelector('#t02 .caption').textContent") == "收入决算表"

    # 3. broken YAML: the problems instead of the report, and the page keeps polling
    broken = original.replace("年度: 2023", "年度: 2023\n  单位性质 事业单位: [", 1)
    unit_copy.write_text(broken, encoding="utf-8")
    wait_for(browser, lambda d: "YAML 语法错误" in panel(d), "显示 YAML 语法错误")
    assert "数据文件无法使用" in panel(browser)
    assert h1_texts(browser) == []
    assert "5,987.71" not in body_text(browser)

    # 4. fixed again: the report is back
    unit_copy.write_text(original, encoding="utf-8")
    wait_for(browser, lambda d: "第三部分 情况说明" in h1_texts(d), "恢复报告")
    wait_for(browser, lambda d: "检查未发现问题" in panel(d), "恢复“检查未发现问题”")
    assert "5,987.71" in body_text(browser)
    assert js(browser, "return document.querySelector('.cover-unit').textContent.replace(/\\n/g, '')") == NAME

    # Ctrl-C: a clean stop, exit 0, a goodbye line
    assert server.stop(signal.SIGINT) == 0
    assert server.lines[-1] == GOODBYE, server.lines
    assert "Traceback" not in server.proc.stderr.read()
    wait_for(browser, lambda d: "连接已断开" in js(d, "return document.getElementById('preview-status').textContent"),
             "提示与预览服务的连接已断开")
    assert "第三部分 情况说明" in h1_texts(browser)               # the last report stays readable


# ---------------------------------------------------------------- the server without a browser

def test_serves_only_the_page_and_the_version(server, unit_copy):
    url = server.url()
    assert urlsplit(url).hostname == "127.0.0.1"
    status, headers, body = get(url, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    html = body.decode("utf-8")
    assert "第三部分 情况说明" in html and "5,987.71" in html
    nonce = re.search(r"script-src 'nonce-([^']+)'", headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in html
    assert 'rel="stylesheet"' not in html                   # the stylesheet is inlined, nothing to fetch

    status, _, v1 = get(url, "/version")
    assert status == 200 and re.fullmatch(rb"[0-9a-f]{16}", v1)
    assert f'data-version="{v1.decode()}"' in html
    assert get(url, "/version")[2] == v1                   # stable while nothing changes
    time.sleep(0.05)
    unit_copy.write_text(unit_copy.read_text(encoding="utf-8") + "\n# 改动\n", encoding="utf-8")
    assert get(url, "/version")[2] != v1

    for path in ("/index.html", "/templates/html/report.css", "/report.css", "/../../etc/passwd",
                 "/%2e%2e/%2e%2e/etc/passwd", "/unit.yaml", str(unit_copy), "/version/", "/%76ersion",
                 "/?/../etc/passwd#", "/favicon.ico"):
        status, _, body = get(url, path)
        assert status == (200 if path.startswith("/?") else 404), (path, status)
        assert b"root:" not in body and (status == 200 or b"5987" not in body)
    port = urlsplit(url).port
    assert get(url, "/", host=f"evil.example:{port}")[0] == 400      # DNS rebinding
    assert get(url, "http://example.com/")[0] == 400                  # not a proxy
    assert get(url, "/", host=f"localhost:{port}")[0] == 200
    assert server.stop(signal.SIGINT) == 0
    assert server.lines[-1] == GOODBYE


def test_sigterm_also_stops_cleanly(server):
    server.url()
    assert server.stop(signal.SIGTERM) == 0
    assert server.lines[-1] == GOODBYE


def test_missing_file_and_busy_port_exit_2(tmp_path, unit_copy):
    proc = subprocess.run([sys.executable, "-m", "generator.preview", str(tmp_path / "none.yaml"), "--no-browser"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 2 and "文件不存在" in proc.stderr and "Traceback" not in proc.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "generator.preview", str(unit_copy), "--no-browser",
                               "--port", str(port)], cwd=ROOT, capture_output=True, text=True,
                              encoding="utf-8", timeout=60)
    assert proc.returncode == 2 and "无法在 127.0.0.1" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- in-process

def test_findings_link_to_the_table_or_section_they_concern(tmp_path):
    result = prepare(EXAMPLES / "xiaohe-2022.yaml")
    views = finding_views(result)
    assert views and all(v.href for v in views)
    headings = {h.anchor: h for h in result.document.headings(toc_only=False)}
    for v in views:                                      # 情况说明.预算绩效 → （四）预算绩效情况说明
        assert v.href[1:] in headings and "预算绩效" in headings[v.href[1:]].text == v.place

    path = tmp_path / "unit.yaml"
    path.write_text((EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
                    .replace(ITEM, ITEM.replace("1.44", "1.54"), 1), encoding="utf-8")
    result = prepare(path)
    by_rule = {v.rule: v for v in finding_views(result)}
    assert by_rule["T02-ITEM"].href == "#t02" and by_rule["T02-ITEM"].place == "公开02表 收入决算表"
    assert by_rule["T01-BALANCE"].href == "#t01"
    third = next(h for h in result.document.headings() if h.text == "第三部分 情况说明")
    fake = Finding("X-TEST", ERROR, "情况说明", "m", Source(str(path), 3, "情况说明.收入支出变动原因"))
    whole = Finding("X-UNIT", ERROR, "", "m", Source(str(path)))
    result.findings[:] = [fake, whole]
    v_text, v_whole = finding_views(result)
    assert v_text.href == f"#{third.anchor}"            # no heading names that key: the part
    assert v_whole.href == "" and v_whole.place == "全文"


def test_finding_messages_are_escaped():
    doc = Document(title="t", blocks=[])
    context = report_context(doc)
    evil = '<img src=x onerror="alert(1)">{{ 7*7 }}'
    context["preview"] = dict(version="0123456789abcdef", poll_ms=700, nonce="n0nce", file=evil,
                              findings=[FindingView(ERROR, "error", "R-1", evil, evil, '#t02" onclick="x', evil)],
                              counts="错误 1 个", problems=None, internal=None)
    html = environment().get_template(PREVIEW_TEMPLATE).render(context)
    assert "<img" not in html and "&lt;img src=x" in html and "{{ 7*7 }}" in html
    assert 'href="#t02&#34; onclick=&#34;x"' in html
    context["preview"].update(findings=[], problems=[evil])
    html = environment().get_template(PREVIEW_TEMPLATE).render(context)
    assert "<img" not in html and "数据文件无法使用（共 1 处）" in html


def test_version_follows_templates_and_last_years_file(tmp_path):
    templates = tmp_path / "templates"
    (templates / "html").mkdir(parents=True)
    (templates / "html" / "a.j2").write_text("a", encoding="utf-8")
    fp = templates_fingerprint(templates)
    (templates / "html" / ".a.j2.swp").write_text("swap", encoding="utf-8")   # editor droppings
    assert templates_fingerprint(templates) == fp
    (templates / "html" / "a.j2").write_text("ab", encoding="utf-8")
    assert templates_fingerprint(templates) != fp

    last = tmp_path / "last.yaml"
    last.write_text("x: 1\n", encoding="utf-8")
    unit = tmp_path / "unit.yaml"
    unit.write_text(f"上年数据文件: {last.name}\n", encoding="utf-8")          # unusable: a problems page
    preview = Preview(unit, templates=templates, out=io.StringIO())
    page = preview.page()
    assert "数据文件无法使用" in page.html and page.version == preview.version()
    assert preview.page() is page                                             # rendered once
    (templates / "html" / "a.j2").write_text("abc", encoding="utf-8")
    assert preview.version() != page.version
    page = preview.page()
    unit.write_text(f"上年数据文件: {last.name}\n# 改动\n", encoding="utf-8")
    assert preview.version() != page.version


def test_last_years_file_is_watched(tmp_path):
    """A unit naming 上年数据文件: changing that file changes the version."""
    xiaohe = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
    assert "上年数据文件" not in xiaohe
    unit = tmp_path / "unit.yaml"
    last = tmp_path / "last.yaml"
    shutil.copyfile(EXAMPLES / "xiaohe-2022.yaml", last)
    text = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^上年:.*?(?=^\S)", "", text)
    unit.write_text(text.replace("模板: shanxi-2023\n", f"模板: shanxi-2023\n上年数据文件: {last.name}\n", 1),
                    encoding="utf-8")
    preview = Preview(unit, out=io.StringIO())
    page = preview.page()
    assert preview.previous == last.resolve(), page.html[:2000]
    assert page.version == preview.version()
    os.utime(last, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert preview.version() != page.version
