"""Drafts (issue 5): `--draft` puts a diagonal watermark on every page of the PDF and in the
header of every DOCX section, and the cover says 草稿 with the time; a final never has either."""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest

from .conftest import EXAMPLES, run_cli
from tests.conftest import open_docx


def pages(pdf) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                           text=True, check=True).stdout).group(1))
    return [re.sub(r"\s+", "", subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), "-raw", str(pdf), "-"],
                                                capture_output=True, text=True, check=True).stdout)
            for i in range(1, n + 1)]


def docx_headers(path) -> tuple[list[str], list[str]]:
    """(header XML parts, rIds referenced by each sectPr of the body)."""
    with zipfile.ZipFile(path) as z:
        headers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/header")]
        body = z.read("word/document.xml").decode()
    sects = re.findall(r"<w:sectPr.*?</w:sectPr>", body, flags=re.S)
    return headers, sects


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    out = tmp_path_factory.mktemp("draft")
    proc = run_cli("render", str(EXAMPLES / "xincailiao-2023.yaml"), "--format", "docx,pdf", "--out", str(out),
                   "--draft", "内部征求意见稿")
    assert proc.returncode == 0, proc.stderr
    return {p.suffix[1:]: p for p in out.iterdir()}


def test_draft_pdf_every_page_has_the_watermark(draft):
    texts = pages(draft["pdf"])
    assert len(texts) > 10
    assert all("内部征求意见稿" in t for t in texts)
    assert "草稿（生成于" in texts[0]


def test_final_pdf_has_no_watermark_and_no_draft_cover(rendered):
    for key in ("xiaohe", "xincailiao"):
        texts = pages(rendered[key]["pdf"])
        assert not any("仅供内部审核" in t or "草稿" in t for t in texts)


def test_draft_docx_every_section_has_the_watermark_header(draft, tmp_path, libreoffice_pdf):
    headers, sects = docx_headers(draft["docx"])
    mark = [h for h in headers if 'string="内部征求意见稿"' in h]
    assert len(mark) == 1 and "v:textpath" in mark[0]
    assert sects and all("<w:headerReference" in s for s in sects)
    d = open_docx(str(draft["docx"]))
    assert any(p.text.startswith("草稿（生成于") for p in d.paragraphs[:5])
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(draft["docx"])], capture_output=True, text=True,
                          timeout=240)
    lo_draft = tmp_path / (draft["docx"].stem + ".pdf")
    assert proc.returncode == 0 and lo_draft.exists()
    # as LibreOffice draws them: every page of the draft differs from the same page of the final
    # by a watermark's worth of pixels (the diagonal text; the pages are otherwise the same)
    from PIL import Image, ImageChops
    ours, final = _page_images(lo_draft, tmp_path / "d"), _page_images(libreoffice_pdf("xincailiao"), tmp_path / "f")
    assert len(ours) == len(final) > 10
    changed = [sum(ImageChops.difference(Image.open(a).convert("L"), Image.open(b).convert("L")).histogram()[9:])
               for a, b in zip(ours, final)]
    assert min(changed) >= 300, changed


def _page_images(pdf, prefix) -> list:
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def test_final_docx_has_no_watermark(rendered):
    headers, sects = docx_headers(rendered["xiaohe"]["docx"])
    assert not any("textpath" in h for h in headers)
    assert not any("<w:headerReference" in s for s in sects)


def test_default_watermark_text(tmp_path):
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(tmp_path), "--draft")
    assert proc.returncode == 0, proc.stderr
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert "仅供内部审核" in html and "草稿（生成于" in html


def test_batch_draft_and_final_are_different_outputs(tmp_path):
    src = tmp_path / "units"
    src.mkdir()
    (src / "u.yaml").write_text((EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("batch", str(src), "--out", str(out), "--format", "html", "--jobs", "1", "--draft")
    assert proc.returncode == 0, proc.stderr
    [page] = [p for p in out.glob("*.html") if p.name != "batch-report.html"]
    assert page.name.endswith("-草稿.html") and "仅供内部审核" in page.read_text(encoding="utf-8")
    # the final is not "unchanged": the draft option is part of the content hash; it has a name of
    # its own (issue 22), so the draft stays beside it
    proc = run_cli("batch", str(src), "--out", str(out), "--format", "html", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    final = out / page.name.replace("-草稿.html", ".html")
    assert "仅供内部审核" not in final.read_text(encoding="utf-8") and "仅供内部审核" in page.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the review marking on its own

@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """A report under internal review but not a draft: the marking in the page header only."""
    out = tmp_path_factory.mktemp("marked")
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "docx,pdf", "--out", str(out),
                   "--mark", "--mark-style", "header")
    assert proc.returncode == 0, proc.stderr
    return {p.suffix[1:]: p for p in out.iterdir()}


def test_mark_without_draft_puts_the_marking_in_every_page_header(marked):
    texts = pages(marked["pdf"])
    assert len(texts) > 10 and not any("草稿" in t for t in texts)
    for n in range(1, len(texts) + 1):
        layout = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(marked["pdf"]), "-"],
                                capture_output=True, text=True, check=True).stdout
        first = next(line for line in layout.splitlines() if line.strip())
        assert first.strip().endswith("仅供内部审核"), f"第{n}页页眉：{first!r}"


def test_mark_header_in_every_docx_section_without_watermark(marked):
    headers, sects = docx_headers(marked["docx"])
    mark = [h for h in headers if "仅供内部审核" in h]
    assert len(mark) == 1 and "v:textpath" not in mark[0] and 'w:jc w:val="right"' in mark[0]
    assert sects and all("<w:headerReference" in s for s in sects)
    d = open_docx(str(marked["docx"]))
    assert not any(p.text.startswith("草稿") for p in d.paragraphs[:5])


def test_draft_without_marking(tmp_path):
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(tmp_path),
                   "--draft", "--mark-style", "none")
    assert proc.returncode == 0, proc.stderr
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert "草稿（生成于" in html and "仅供内部审核" not in html


def test_draft_with_both_markings_and_its_own_text(tmp_path):
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(tmp_path),
                   "--draft", "--mark", "征求意见稿", "--mark-style", "both")
    assert proc.returncode == 0, proc.stderr
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert 'class="watermark"' in html and 'class="marking-header"' in html
    assert html.count("征求意见稿") == 2 and "仅供内部审核" not in html and "草稿（生成于" in html
