#!/usr/bin/env python3
"""Put a page of our report beside a page of the official document, as one PNG.

    scripts/compare_pages.py OURS PAGE OFFICIAL PAGE --out cmp.png [--dpi 60]
    scripts/compare_pages.py OURS OFFICIAL --find "收入支出决算总表" --out cmp.png

OURS is a PDF, or a DOCX (laid out by LibreOffice: soffice --headless --convert-to pdf,
as the DOCX looks when opened); OFFICIAL is a PDF (e.g. ../shared/seeds/pdf/*.pdf).
PAGE numbers count from 1 in the file. With --find, the page of each document is the
first one whose text (pdftotext, spaces removed) holds the given text; 目录 pages
(text starting with 目录, or with three dotted-leader lines) count only when no other
page matches. --skip N takes the match after the first N, in both documents.

Each half gets a label over it (file name and page). Pages are drawn by pdftoppm at
--dpi (60 by default) and put side by side with Pillow (a WeasyPrint dependency).
Exit code 2 when a file or page cannot be read or the text is found in neither.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

LABEL_HEIGHT = 28
GAP = 12
TIMEOUT = 180

LABEL_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


class Refused(Exception):
    """A file or page this script cannot use; said in Chinese, exit code 2."""


def as_pdf(path: Path, workdir: Path) -> Path:
    """The PDF of PATH: itself, or the DOCX converted by LibreOffice into WORKDIR."""
    if not path.is_file():
        raise Refused(f"{path}：文件不存在")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return path
    if suffix != ".docx":
        raise Refused(f"{path}：应为 .pdf 或 .docx 文件")
    outdir = workdir / "lo"
    outdir.mkdir(exist_ok=True)
    # a profile of its own, so a running LibreOffice does not swallow the conversion
    profile = (workdir / "lo-profile").resolve().as_uri()
    cmd = ["soffice", f"-env:UserInstallation={profile}", "--headless",
           "--convert-to", "pdf", "--outdir", str(outdir), str(path)]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=TIMEOUT, check=False)
    pdf = outdir / (path.stem + ".pdf")
    if not pdf.is_file():
        raise Refused(f"{path}：LibreOffice 未能转换为 PDF")
    return pdf


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                         timeout=TIMEOUT, check=False).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    if not m:
        raise Refused(f"{pdf}：无法读取 PDF 页数")
    return int(m.group(1))


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, form feed between pages)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, timeout=TIMEOUT, check=False).stdout
    return out.split("\f")[: page_count(pdf)]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_page(pdf: Path, needle: str, skip: int = 0) -> int:
    """The 1-based page holding NEEDLE (after SKIP earlier matches), 目录 pages last."""
    want = squeeze(needle)
    texts = page_texts(pdf)
    hits = [i + 1 for i, t in enumerate(texts) if want in squeeze(t)]
    if not hits:
        raise Refused(f"{pdf}：找不到“{needle}”")
    body = [p for p in hits if not is_toc(texts[p - 1])]
    hits = body or hits
    if skip >= len(hits):
        raise Refused(f"{pdf}：“{needle}”只出现在 {len(hits)} 页")
    return hits[skip]


def is_toc(text: str) -> bool:
    """A 目录 page: the title 目录 and several dotted-leader or numbered entry lines."""
    if "目录" not in squeeze(text):
        return False
    entries = re.findall(r"(\.{4,}|…{2,}).*$", text, re.M)
    return len(entries) >= 3 or squeeze(text).startswith("目录")


def render_page(pdf: Path, page: int, dpi: int, workdir: Path, tag: str) -> Image.Image:
    pages = page_count(pdf)
    if not 1 <= page <= pages:
        raise Refused(f"{pdf}：没有第 {page} 页（共 {pages} 页）")
    prefix = workdir / tag
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page),
                    "-l", str(page), str(pdf), str(prefix)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=TIMEOUT, check=False)
    png = prefix.with_suffix(".png")
    if not png.is_file():
        raise Refused(f"{pdf}：第 {page} 页无法绘制")
    with Image.open(png) as img:
        return img.convert("RGB")


def label_font(size: int):
    for path in LABEL_FONTS:
        if os.path.exists(path):
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default()


def fit_label(draw, text: str, font, width: int) -> str:
    """TEXT, cut in the middle with "…" until it fits WIDTH pixels (the page number stays)."""
    if draw.textlength(text, font=font) <= width:
        return text
    head, tail = text[: len(text) // 2], text[len(text) // 2:]
    while head and tail and draw.textlength(head + "…" + tail, font=font) > width:
        head, tail = head[:-1], tail[1:]
    return head + "…" + tail


def side_by_side(left: Image.Image, right: Image.Image,
                 left_label: str, right_label: str) -> Image.Image:
    """LEFT and RIGHT on a white sheet, GAP apart, each under its label."""
    width = left.width + GAP + right.width
    height = LABEL_HEIGHT + max(left.height, right.height)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = label_font(LABEL_HEIGHT - 10)
    for x, img, text in ((0, left, left_label), (left.width + GAP, right, right_label)):
        text = fit_label(draw, text, font, img.width - 8)
        draw.text((x + 4, 4), text, fill="black", font=font)
        sheet.paste(img, (x, LABEL_HEIGHT))
        draw.rectangle([x, LABEL_HEIGHT, x + img.width - 1, LABEL_HEIGHT + img.height - 1],
                       outline="#999999")
    return sheet


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="把我们的某一页与官方文件的某一页并排画成一张 PNG。",
        usage="%(prog)s OURS PAGE OFFICIAL PAGE --out X.png | OURS OFFICIAL --find 文字 --out X.png")
    ap.add_argument("args", nargs="+", help="OURS PAGE OFFICIAL PAGE，或与 --find 同用时 OURS OFFICIAL")
    ap.add_argument("--find", help="按文字（标题、表名）找两份文件中的页")
    ap.add_argument("--skip", type=int, default=0, help="--find 时跳过前 N 处")
    ap.add_argument("--out", required=True, help="输出的 PNG")
    ap.add_argument("--dpi", type=int, default=60)
    ns = ap.parse_args(argv)
    if ns.find is not None:
        if len(ns.args) != 2:
            ap.error("与 --find 同用时应给出两个文件：OURS OFFICIAL")
        ns.ours, ns.official = map(Path, ns.args)
        ns.our_page = ns.official_page = None
    else:
        if len(ns.args) != 4:
            ap.error("应给出 OURS PAGE OFFICIAL PAGE")
        try:
            ns.our_page, ns.official_page = int(ns.args[1]), int(ns.args[3])
        except ValueError:
            ap.error("页码应为整数")
        ns.ours, ns.official = Path(ns.args[0]), Path(ns.args[2])
    if not 10 <= ns.dpi <= 300:
        ap.error("--dpi 应在 10 到 300 之间")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse(sys.argv[1:] if argv is None else argv)
    try:
        with tempfile.TemporaryDirectory(prefix="compare-pages-") as tmp:
            work = Path(tmp)
            ours = as_pdf(ns.ours, work)
            official = as_pdf(ns.official, work)
            our_page, official_page = ns.our_page, ns.official_page
            if ns.find is not None:
                our_page = find_page(ours, ns.find, ns.skip)
                official_page = find_page(official, ns.find, ns.skip)
            left = render_page(ours, our_page, ns.dpi, work, "ours")
            right = render_page(official, official_page, ns.dpi, work, "official")
            kind = "（LibreOffice）" if ns.ours.suffix.lower() == ".docx" else ""
            sheet = side_by_side(left, right, f"我们：{ns.ours.name}{kind} 第 {our_page} 页",
                                 f"官方：{ns.official.name} 第 {official_page} 页")
            out = Path(ns.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            part = out.with_name(out.name + ".part")
            sheet.save(part, format="PNG")
            os.replace(part, out)
    except Refused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except subprocess.TimeoutExpired as exc:
        print(f"错误：{exc.cmd[0]} 超时", file=sys.stderr)
        return 2
    print(f"{out}：我们第 {our_page} 页 | 官方第 {official_page} 页")
    return 0


if __name__ == "__main__":
    sys.exit(main())
