"""scripts/compare_pages.py: a page of ours beside the official page, as one PNG (issue 24)."""
from __future__ import annotations

import re
import subprocess
import sys

from PIL import Image

from tests.conftest import ROOT, SEEDS

SCRIPT = ROOT / "scripts" / "compare_pages.py"
OFFICIAL = SEEDS / "pdf" / "shanghai-putuo-shehuigongzuo-2024-final-accounts.pdf"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _page_png(pdf, page, dpi, tmp_path, name):
    prefix = tmp_path / name
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page),
                    str(pdf), str(prefix)], check=True, timeout=120)
    with Image.open(prefix.with_suffix(".png")) as img:
        return img.size


def test_pages_side_by_side_found_by_title(rendered, tmp_path):
    ours = rendered["shehuigongzuo"]["pdf"]
    out = tmp_path / "cmp.png"
    proc = _run(ours, OFFICIAL, "--find", "收入支出决算总表", "--out", out, "--dpi", 40)
    assert proc.returncode == 0, proc.stderr
    # the 目录 lists the title too: the pages found are the table's, not the 目录's
    ours_page, official_page = (int(x) for x in re.findall(r"第 (\d+) 页", proc.stdout))
    texts = [subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(f), "-"], capture_output=True,
                            text=True).stdout for f, p in ((ours, ours_page), (OFFICIAL, official_page))]
    assert all("决算数" in t for t in texts), texts
    left = _page_png(ours, ours_page, 40, tmp_path, "l")
    right = _page_png(OFFICIAL, official_page, 40, tmp_path, "r")
    with Image.open(out) as img:
        assert img.format == "PNG"
        assert img.width == left[0] + 12 + right[0]
        assert img.height > max(left[1], right[1])          # a label row over the pages


def test_pages_by_number_and_refusal(rendered, tmp_path):
    ours = rendered["shehuigongzuo"]["pdf"]
    out = tmp_path / "p1.png"
    proc = _run(ours, 1, OFFICIAL, 1, "--out", out, "--dpi", 30)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    bad = _run(ours, 999, OFFICIAL, 1, "--out", tmp_path / "x.png")
    assert bad.returncode == 2 and "没有第 999 页" in bad.stderr
    assert not (tmp_path / "x.png").exists()
