"""The web workspace in real browsers (issue 14): headless Chromium through Selenium, as
tests/test_preview.py drives it (Debian's chromium + chromium-driver), and headless Firefox ESR
through Marionette (tests/browsers.Firefox); both installed by setup.sh. The same steps run in
each browser, on a workspace of its own.

A unit user logs in, uploads a broken workbook, sees the finding linked to its table in the
preview, uploads the fixed workbook and downloads the PDF; the department's admin renders all
units and downloads the zip. The admin manages accounts and units through the /admin forms while
the account's user, in a second browser (cookies of its own), sees what each change does. Every
wait is bounded; all traffic goes to 127.0.0.1.

JUESUAN_SCREENSHOTS=folder: the account test saves full-page screenshots (PNG) of the pages there.
"""
from __future__ import annotations

import base64
import os
import re
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import (JavascriptException, NoSuchElementException,
                                        StaleElementReferenceException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from marionette_driver import errors as marionette_errors

from .conftest import EXAMPLES
from .browsers import CHROMEDRIVER, Firefox, chromium_options
from .test_web import ITEM, PASSWORDS, XIAOHE, XINCAILIAO, Server, cli, q

WAIT = 30
RENDER_WAIT = 300
SCREENSHOTS = os.environ.get("JUESUAN_SCREENSHOTS")
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


@pytest.fixture
def second_browser(tmp_path, engine):
    """Another person's browser (the same engine): a profile (cookies) of its own."""
    if engine == "firefox":
        driver = Firefox(tmp_path / "firefox", tmp_path / "downloads", WAIT)
    else:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chromium_options(tmp_path / "profile"))
        driver.set_page_load_timeout(WAIT)
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


def submit(driver, button, what: str) -> None:
    """Click a form's button (or a link) and wait for the page that answers: a document without
    the mark put on the clicked one, loaded."""
    driver.execute_script("document.juesuanClicked = true")
    button.click()

    def answered(d):
        try:
            return d.execute_script("return !document.juesuanClicked && document.readyState === 'complete'")
        except (WebDriverException, marionette_errors.MarionetteException):   # between the two documents
            return False

    wait_for(driver, answered, what)


def send_login(driver, name: str, password: str) -> None:
    """Fill in the login form of the page shown and send it."""
    field = driver.find_element(By.ID, "login-name")
    field.clear()                                   # a failed login leaves the name filled in
    field.send_keys(name)
    driver.find_element(By.ID, "login-password").send_keys(password)
    submit(driver, driver.find_element(By.ID, "login-submit"), "回答登录")


def login(driver, url: str, name: str, password: str | None = None) -> None:
    driver.get(url + "login")
    send_login(driver, name, password or PASSWORDS[name])
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
    # the script shows 已完成 as soon as the job ends, then reloads the page; the reloaded page says
    # done in its markup (data-job-status), and only that page's zip link is the one to click
    wait_for(browser, lambda d: d.find_element(By.ID, "job-status").text == "已完成", "完成批量生成", RENDER_WAIT)
    wait_for(browser, lambda d: d.execute_script(
        "var j = document.getElementById('job');"
        "return document.readyState === 'complete' && !!j && j.getAttribute('data-job-status') === 'done'"),
        "重新载入完成的任务")
    before = {p.name for p in downloads.iterdir()}
    browser.find_element(By.ID, "job-zip").click()
    archive = downloaded(downloads, ".zip", before)
    names = zipfile.ZipFile(archive).namelist()
    assert "batch-report.html" in names and f"{XINCAILIAO}2023年度部门决算公开.pdf" in names


def screenshot(driver, name: str) -> None:
    """The whole page as ``name``.png in $JUESUAN_SCREENSHOTS (nothing when that is not set)."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(driver, Firefox):
        (folder / f"{name}.png").write_bytes(driver.full_page_png())
        return
    width, height = driver.execute_script("var e = document.documentElement; return [e.scrollWidth, e.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    (folder / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


BROWSER_UNIT = "浏览器里建立的<b>单位&甲"          # markup in a name: shown as text, never as markup
USER, FIRST_PASSWORD, SECOND_PASSWORD = "周九", "zhou-pass-1", "zhou-pass-2"


def at(driver) -> str:
    """The page's path, decoded."""
    return unquote(urlsplit(driver.current_url).path)


def text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def page_text(driver) -> str:
    return driver.execute_script("return document.body.innerText")


def account_row(driver, name: str):
    return driver.find_element(By.CSS_SELECTOR, f'#account-list tr[data-account="{name}"]')


def cells(row) -> list[str]:
    return [td.text for td in row.find_elements(By.CSS_SELECTOR, ":scope > td")]


def admin_did(driver, notice: str, message: str) -> None:
    """The admin page the form returned to: ?notice=… and its Chinese message above the accounts."""
    assert at(driver) == "/admin"
    assert parse_qs(urlsplit(driver.current_url).query)["notice"] == [notice], driver.current_url
    assert text(driver, "#account-notice") == message


def refused(driver, status: int, message: str) -> None:
    """The error page, its Chinese message."""
    assert text(driver, "h1") == f"无法完成（{status}）", page_text(driver)
    assert text(driver, "#error-message") == message


def open_details(row, summary: str):
    """Open the row's <details> titled ``summary``; its form."""
    details = next(d for d in row.find_elements(By.TAG_NAME, "details")
                   if d.find_element(By.TAG_NAME, "summary").text == summary)
    details.find_element(By.TAG_NAME, "summary").click()
    assert details.get_attribute("open") is not None
    return details.find_element(By.TAG_NAME, "form")


def test_admin_manages_an_account_and_its_user_sees_each_change(site, browser, second_browser):
    url, admin, user = site.url, browser, second_browser
    own_page = f"/units/{BROWSER_UNIT}"

    # the admin: a new unit, then a new unit account for it, through the forms at /admin
    login(admin, url, "管理员")
    assert at(admin) == "/admin"
    form = admin.find_element(By.ID, "unit-form")
    form.find_element(By.NAME, "name").send_keys(BROWSER_UNIT)
    submit(admin, form.find_element(By.TAG_NAME, "button"), "建立单位")
    admin_did(admin, "unit", "已建立单位。")
    link = admin.find_element(By.CSS_SELECTOR, f'#units tr[data-unit="{BROWSER_UNIT}"] a')
    assert link.text == BROWSER_UNIT and link.get_property("href") == f"{url}units/{q(BROWSER_UNIT)}"

    def create_account(password2: str) -> None:
        form = admin.find_element(By.ID, "account-form")
        form.find_element(By.NAME, "name").send_keys(USER)
        assert form.find_element(By.CSS_SELECTOR, "select[name=role] option:checked").text == "单位填报人员"
        form.find_element(By.NAME, "units").send_keys(BROWSER_UNIT)
        form.find_element(By.NAME, "password").send_keys(FIRST_PASSWORD)
        form.find_element(By.NAME, "password2").send_keys(password2)
        submit(admin, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "建立账号")

    create_account(FIRST_PASSWORD + "x")                      # mistyped the second time: refused, nothing made
    refused(admin, 400, "两次输入的密码不一样")
    admin.get(url + "admin")
    assert admin.find_elements(By.CSS_SELECTOR, f'tr[data-account="{USER}"]') == []
    create_account(FIRST_PASSWORD)
    admin_did(admin, "created", "已建立账号。")
    assert cells(account_row(admin, USER))[:4] == [USER, "单位填报人员", "正常", BROWSER_UNIT]

    # the user, in a browser of its own: its unit only
    login(user, url, USER, FIRST_PASSWORD)
    assert at(user) == own_page                        # one unit: straight to it
    assert text(user, "#unit-name") == BROWSER_UNIT
    assert text(user, "header .who") == f"{USER} · 单位填报人员"
    assert user.find_elements(By.CSS_SELECTOR, 'header a[href="/admin"]') == []
    for other in (XIAOHE, XINCAILIAO):
        assert other not in user.page_source
    screenshot(user, "user-unit")
    user.get(f"{url}units/{q(XIAOHE)}")                       # another unit's address, guessed
    refused(user, 404, "没有这个单位，或您无权查看")
    assert XIAOHE not in page_text(user)
    user.get(url + "admin")
    refused(user, 403, "只有部门财务（管理员）可以这样做")

    # the admin adds a second unit to the account: the user's page lists both
    form = open_details(account_row(admin, USER), "修改单位")
    units = form.find_element(By.NAME, "units")
    assert units.get_property("value") == BROWSER_UNIT + "\n"
    units.send_keys(Keys.CONTROL, Keys.END)
    units.send_keys(XIAOHE)
    screenshot(admin, "admin-accounts")
    submit(admin, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "保存单位")
    admin_did(admin, "units", "已修改账号的单位。")
    assert set(cells(account_row(admin, USER))[3].split("、")) == {BROWSER_UNIT, XIAOHE}
    user.get(url)
    assert text(user, "h1") == "我的单位"
    listed = user.find_elements(By.CSS_SELECTOR, "ul.units a")
    assert sorted(a.text for a in listed) == sorted([BROWSER_UNIT, XIAOHE])
    assert XINCAILIAO not in user.page_source
    screenshot(user, "user-units")
    submit(user, next(a for a in listed if a.text == XIAOHE), "打开单位")
    assert text(user, "#unit-name") == XIAOHE

    # the admin resets its password: the session ends, the old password is refused, the new one works
    form = open_details(account_row(admin, USER), "重设密码")
    form.find_element(By.NAME, "password").send_keys(SECOND_PASSWORD)
    form.find_element(By.NAME, "password2").send_keys(SECOND_PASSWORD)
    submit(admin, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "重设密码")
    admin_did(admin, "password", "已重设密码（该账号的会话已结束，API 令牌已作废）。")
    user.get(f"{url}units/{q(BROWSER_UNIT)}")
    assert at(user) == "/login"
    send_login(user, USER, FIRST_PASSWORD)
    assert text(user, "#login-message") == "用户名或密码不对"
    assert user.find_element(By.ID, "login-name").get_property("value") == USER          # kept for the retry
    assert user.find_element(By.ID, "login-password").get_property("value") == ""
    send_login(user, USER, SECOND_PASSWORD)
    assert at(user) == own_page                        # back where it was going

    # the admin disables it: the open session is refused, so is the right password; enabled, it logs in
    row = account_row(admin, USER)
    button = row.find_element(By.CSS_SELECTOR, "form.account-state button")
    assert button.text == "停用"
    submit(admin, button, "停用账号")
    admin_did(admin, "disabled", "已停用账号。")
    row = account_row(admin, USER)
    assert cells(row)[2] == "已停用" and "disabled" in row.get_attribute("class").split()
    assert row.find_element(By.CSS_SELECTOR, "form.account-state button").text == "启用"
    user.refresh()
    where = urlsplit(user.current_url)
    assert where.path == "/login" and parse_qs(where.query)["next"] == [own_page]
    assert BROWSER_UNIT not in page_text(user)
    send_login(user, USER, SECOND_PASSWORD)
    assert at(user) == "/login"
    assert text(user, "#login-message") == "这个账号已停用，请与部门财务联系"
    screenshot(user, "login-disabled")
    submit(admin, account_row(admin, USER).find_element(By.CSS_SELECTOR, "form.account-state button"), "启用账号")
    admin_did(admin, "enabled", "已启用账号。")
    assert cells(account_row(admin, USER))[2] == "正常"
    send_login(user, USER, SECOND_PASSWORD)
    assert at(user) == own_page
    assert text(user, "#unit-name") == BROWSER_UNIT

    # every change is in the audit log, said in Chinese (the role too, whether made here or by `juesuan user add`)
    audit = [cells(tr) for tr in admin.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")]
    actions = [row[2] for row in audit]
    for action in ("新建单位", "新建账号", "修改账号的单位", "重设密码", "停用账号", "启用账号"):
        assert action in actions, actions
    created = {row[4]: row[3] for row in audit if row[2] == "新建账号"}
    assert created[f"{USER}，单位填报人员"] == BROWSER_UNIT
    assert created["李四，单位填报人员"] == XINCAILIAO and "管理员，部门财务（管理员）" in created, created
    screenshot(admin, "admin")


def test_pages_need_nothing_old_office_browsers_lack():
    """The 360 and QQ browsers of many offices run old Chromium engines (360安全浏览器 13: Chromium
    78/86): no flexbox gap (84), :is/:where (88), inset and aspect-ratio (87/88), :has, clamp() (79)
    in the stylesheet; the script stays ES5."""
    static = Path(__file__).resolve().parents[1] / "templates" / "web" / "static"
    css = re.sub(r"/\*.*?\*/", "", (static / "app.css").read_text(encoding="utf-8"), flags=re.S)
    for pattern in (r"(?<![\w-])(row-|column-)?gap\s*:", r":(is|where|has)\(", r"(?<![\w-])inset\s*:",
                    r"aspect-ratio", r"clamp\("):
        assert not re.search(pattern, css), pattern
    js = (static / "app.js").read_text(encoding="utf-8")
    for pattern in (r"=>", r"\b(let|const|class|async|await)\s", r"`", r"\.\.\."):
        assert not re.search(pattern, js), pattern
