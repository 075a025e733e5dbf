"""The web workspace in real browsers (issue 14): headless Chromium through Selenium, as
tests/test_preview.py drives it (Debian's chromium + chromium-driver), and headless Firefox ESR
through Marionette (tests/browsers.Firefox); both installed by setup.sh. The same steps run in
each browser, on a workspace of its own.

A unit user logs in, uploads a broken workbook, sees the finding linked to its table in the
preview, uploads the fixed workbook and downloads the PDF; the department's admin renders all
units and downloads the zip. Every wait is bounded; all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (JavascriptException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from marionette_driver import errors as marionette_errors

from .conftest import EXAMPLES
from .browsers import CHROMEDRIVER, Firefox, chromium_options
from .test_web import ITEM, PASSWORDS, XIAOHE, XINCAILIAO, Server, cli

WAIT = 30
RENDER_WAIT = 300
# what a wait retries on: the page is still changing under the test (either driver's words for it)
TRANSIENT = (StaleElementReferenceException, NoSuchElementException, JavascriptException,
             marionette_errors.StaleElementException, marionette_errors.NoSuchElementException,
             marionette_errors.JavascriptException)


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def site(tmp_path_factory, engine):
    data = tmp_path_factory.mktemp(f"workspace-{engine}")
    for name, role, units in (("管理员", "admin", []), ("李四", "unit", [XINCAILIAO]), ("张三", "unit", [XIAOHE])):
        extra = [a for u in units for a in ("--unit", u)]
        proc = cli("user", "add", name, "--role", role, *extra, "--data", str(data), "--password-stdin",
                   stdin=PASSWORDS[name] + "\n")
        assert proc.returncode == 0, proc.stderr
    server = Server(data)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    """新材料 as workbooks: "broken" (one 项 of 02表 off by 0.10, T02-ITEM) and "fixed"."""
    folder = tmp_path_factory.mktemp("workbooks")
    text = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    assert text.count(ITEM) == 1
    out = {}
    for key, body in (("broken", text.replace(ITEM, ITEM.replace("1.44", "1.54"), 1)), ("fixed", text)):
        source = folder / f"{key}.yaml"
        source.write_text(body, encoding="utf-8")
        out[key] = folder / f"新材料-{key}.xlsx"
        proc = cli("export", str(source), "--out", str(out[key]))
        assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def downloads(tmp_path_factory, engine) -> Path:
    return tmp_path_factory.mktemp(f"downloads-{engine}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads, engine):
    if engine == "firefox":
        driver = Firefox(tmp_path_factory.mktemp("firefox"), downloads, RENDER_WAIT)
        yield driver
        driver.quit()
        return
    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = chromium_options(profile)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False,
                                           "safebrowsing.enabled": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(RENDER_WAIT)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()


def wait_for(driver, condition, what: str, timeout: float = WAIT):
    return WebDriverWait(driver, timeout, poll_frequency=0.3, ignored_exceptions=TRANSIENT).until(
        condition, message=f"页面在 {timeout} 秒内没有{what}")


def downloaded(folder: Path, suffix: str, before: set[str], timeout: float = RENDER_WAIT) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == suffix and p.name not in before]
        if done and not any(p.suffix in (".crdownload", ".part") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.3)
    pytest.fail(f"no {suffix} downloaded in {timeout} s: {list(folder.iterdir())}")


def login(driver, url: str, name: str) -> None:
    driver.get(url + "login")
    driver.find_element(By.ID, "login-name").send_keys(name)
    driver.find_element(By.ID, "login-password").send_keys(PASSWORDS[name])
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, lambda d: "/login" not in d.current_url, "离开登录页")


def upload(driver, path: Path) -> None:
    """Upload through the form; wait for the page that reports this upload (not a former one's)."""
    before = driver.current_url
    driver.find_element(By.ID, "upload-file").send_keys(str(path))
    driver.find_element(By.ID, "upload-submit").click()
    wait_for(driver, lambda d: "notice=uploaded-" in d.current_url and d.current_url != before, "显示上传结果")


def test_unit_fixes_its_workbook_and_admin_renders_all(site, browser, workbooks, downloads):
    url = site.url
    # a unit user: broken workbook → the finding, linked to its table in the preview
    login(browser, url, "李四")
    wait_for(browser, lambda d: d.find_element(By.ID, "unit-name").text == XINCAILIAO, "进入本单位页面")
    upload(browser, workbooks["broken"])
    item = browser.find_element(By.CSS_SELECTOR, 'li.finding[data-rule="T02-ITEM"]')
    assert item.get_attribute("data-severity") == "错误"
    assert "!" in item.find_element(By.CSS_SELECTOR, ".source").text           # sheet!cell
    link = item.find_element(By.CSS_SELECTOR, "a.finding-link")
    assert "收入决算表" in link.text
    href = link.get_property("href")                                             # absolute
    assert href.endswith("/preview#t02")
    assert browser.find_elements(By.ID, "final-pdf") == []                       # errors: draft only
    unit_page = browser.current_url
    browser.get(href)
    wait_for(browser, lambda d: d.execute_script("var t = document.getElementById('t02');"
                                                 "return t && Math.abs(t.getBoundingClientRect().top) < 2"),
             "把 02 表滚到顶端")
    assert "仅供内部审核" in browser.execute_script("return document.body.innerText")

    # the fixed workbook: no error, the final PDF downloads
    browser.get(unit_page)
    upload(browser, workbooks["fixed"])
    notice = browser.find_element(By.ID, "notice").text
    assert browser.find_elements(By.CSS_SELECTOR, 'li.finding[data-severity="错误"]') == [], notice
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "final-pdf").click()
    pdf = downloaded(downloads, ".pdf", before)
    assert pdf.read_bytes().startswith(b"%PDF") and XINCAILIAO in pdf.name
    browser.find_element(By.CSS_SELECTOR, "header button.link").click()          # 退出
    wait_for(browser, lambda d: "/login" in d.current_url, "退出到登录页")

    # the department: render all, follow the progress, download the zip
    login(browser, url, "管理员")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-unit="{XINCAILIAO}"]'), "列出单位")
    browser.find_element(By.ID, "render-all").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "job-status").text == "已完成", "完成批量生成", RENDER_WAIT)
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "job-zip").click()
    archive = downloaded(downloads, ".zip", before)
    names = zipfile.ZipFile(archive).namelist()
    assert "batch-report.html" in names and f"{XINCAILIAO}2023年度部门决算公开.pdf" in names
