"""What the server tests share: reading a started server's output lines for its address, and the
headless Chromium the browser tests drive (tests/test_preview.py, tests/test_web_browser.py)."""
from __future__ import annotations

import gc
import queue
import re
import time
from pathlib import Path

from selenium import webdriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def wait_for_line(lines: "queue.Queue[str | None]", pattern: str, timeout: float) -> re.Match | None:
    """The first line (from a reader thread's queue; None = the process closed its output) that
    fully matches ``pattern``, within ``timeout`` seconds; None if none did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if line is None:
            return None
        m = re.fullmatch(pattern, line)
        if m:
            return m
    return None


def chromium_options(profile: Path, window: str = "1280,900") -> webdriver.ChromeOptions:
    """Headless Chromium that reaches only 127.0.0.1 (no network, no first-run noise)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                f"--window-size={window}", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    return opts


FIREFOX = "/usr/bin/firefox-esr"


class Firefox:
    """Headless Firefox ESR (Debian's firefox-esr, installed by setup.sh) driven through Marionette,
    Firefox's own remote protocol, with Mozilla's Python client: Debian packages no geckodriver, so
    Selenium cannot drive it here. It answers the few Selenium WebDriver calls the browser tests
    make (get, current_url, find_element(s), execute_script, page_source, refresh, quit), so one
    test body runs in both browsers; elements are Marionette's, whose text, get_attribute,
    get_property, send_keys and click match Selenium's.
    Downloads go to ``downloads`` without asking; the built-in PDF viewer is off so a PDF is saved."""

    def __init__(self, work: Path, downloads: Path, page_load_timeout: float):
        from marionette_driver.marionette import Marionette
        (work / "log").mkdir(parents=True, exist_ok=True)
        prefs = {
            "browser.download.folderList": 2,
            "browser.download.dir": str(downloads),
            "browser.download.useDownloadDir": True,
            "browser.download.always_ask_before_handling_new_types": False,
            "browser.download.manager.showWhenStarting": False,
            "browser.helperApps.neverAsk.saveToDisk": "application/pdf,application/zip,application/octet-stream",
            "pdfjs.disabled": True,
            "network.proxy.type": 0,
            "network.dns.disableIPv6": True,
        }
        self.marionette = Marionette(bin=FIREFOX, port=0, headless=True, prefs=prefs, workspace=str(work),
                                     gecko_log=str(work / "log" / "gecko.log"), startup_timeout=120)
        self.marionette.start_session()
        self.marionette.timeout.page_load = page_load_timeout

    def get(self, url: str) -> None:
        self.marionette.navigate(url)

    @property
    def current_url(self) -> str:
        return self.marionette.get_url()

    def find_element(self, by: str, value: str):
        return self.marionette.find_element(by, value)

    def find_elements(self, by: str, value: str) -> list:
        return self.marionette.find_elements(by, value)

    def execute_script(self, script: str, *args):
        return self.marionette.execute_script(script, script_args=list(args))

    @property
    def page_source(self) -> str:
        return self.marionette.page_source

    def refresh(self) -> None:
        self.marionette.refresh()

    def full_page_png(self) -> bytes:
        return self.marionette.screenshot(format="binary", full=True)

    def quit(self) -> None:
        """Ends Firefox and removes its profile now; the profile object's own clean-up, which would
        run again at interpreter exit (when it can no longer import what it needs), is then off."""
        instance = self.marionette.instance
        profile = instance.profile if instance else None
        self.marionette.cleanup()
        if profile is not None:
            profile.restore = False
        self.marionette = None
        gc.collect()
