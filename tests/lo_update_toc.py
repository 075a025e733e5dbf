"""Open a DOCX in headless LibreOffice, update every field and index as a user's 工具 → 更新 → 全部更新
does, and print the 目录 paragraphs (styles "TOC 1" … / LibreOffice's "Contents 1" …), one entry per
line: the entry, a tab, its page number.

Runs under the system Python that carries LibreOffice's `uno` module (Debian package python3-uno,
installed by scripts/setup.sh), not under the project's .venv:

    /usr/bin/python3 tests/lo_update_toc.py report.docx
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(pipe: str, deadline: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(path: str) -> int:
    with tempfile.TemporaryDirectory(prefix="lo-toc-") as profile:
        pipe = f"juesuan_toc_{os.getpid()}"
        office = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo",
             f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ctx = _connect(pipe, time.monotonic() + 60)
            desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            url = uno.systemPathToFileUrl(os.path.abspath(path))
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
            doc.getTextFields().refresh()
            indexes = doc.getDocumentIndexes()
            for i in range(indexes.getCount()):
                indexes.getByIndex(i).update()
            doc.refresh()
            paragraphs = doc.getText().createEnumeration()
            while paragraphs.hasMoreElements():
                p = paragraphs.nextElement()
                if p.supportsService("com.sun.star.text.Paragraph") and \
                        p.ParaStyleName.replace(" ", "").lower().startswith(("toc", "contents")) and \
                        p.ParaStyleName.replace(" ", "").lower() not in ("tocheading", "contentsheading"):
                    print(p.getString())
            doc.close(True)
        finally:
            office.terminate()
            try:
                office.wait(30)
            except subprocess.TimeoutExpired:
                office.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
