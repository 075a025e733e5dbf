"""What the server tests share: reading a started server's output lines for its address, and the
headless Chromium the browser tests drive (tests/test_preview.py, tests/test_web_browser.py)."""
from __future__ import annotations

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
