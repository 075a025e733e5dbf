"""Official font names have open stand-ins (issue 11). scripts/setup.sh installs the faces and the
fontconfig aliases of scripts/fontconfig/64-juesuan-official-fonts.conf; here: every official name
resolves to its stand-in, each stand-in (with its fallbacks) covers every character of GB 2312, the
DOCX font table carries the hints Word and WPS use for a missing font, and LibreOffice's PDF of our
DOCX is set in the stand-ins, not in a Japanese or Latin face."""
from __future__ import annotations

import re
import subprocess
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "scripts" / "fontconfig" / "64-juesuan-official-fonts.conf"
OFFICIAL = ["仿宋_GB2312", "楷体_GB2312", "黑体", "方正小标宋简体", "宋体"]
LATIN_FONTS = [ROOT / "templates" / "fonts" / f"JuesuanLatin-{style}.ttf" for style in ("Regular", "Bold")]
EXAMPLE_KEYS = ["xiaohe", "xincailiao", "shehuigongzuo", "guihuaziyuan", "huitong", "xinnengyuan"]


def aliases() -> dict[str, list[str]]:
    tree = etree.parse(str(CONF))
    return {a.findtext("family"): [f.text for f in a.find("prefer").findall("family")]
            for a in tree.findall("alias")}


def gb2312() -> list[str]:
    chars = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


@lru_cache(maxsize=None)
def cmap_of(family: str) -> frozenset[int]:
    out = subprocess.run(["fc-match", "-f", "%{family[0]}|%{file}|%{index}", family],
                         capture_output=True, text=True, check=True).stdout
    name, path, index = out.split("|")
    assert name == family, f"{family} 未安装（fc-match 给出 {name}）"
    return frozenset(TTFont(path, fontNumber=int(index), lazy=True).getBestCmap())


def test_gb2312_has_its_characters():
    chars = gb2312()
    assert len(chars) == 7445 and sum("\u4e00" <= c <= "\u9fff" for c in chars) == 6763


@pytest.mark.parametrize("name", OFFICIAL)
def test_every_official_name_resolves_to_its_stand_in(name):
    table = aliases()
    assert name in table
    got = subprocess.run(["fc-match", "-f", "%{family[0]}", name], capture_output=True, text=True, check=True).stdout
    assert got == table[name][0]


def test_xiaobiaosong_stand_in_is_bold():
    got = subprocess.run(["fc-match", "-f", "%{family[0]} %{weight}", "方正小标宋简体"],
                         capture_output=True, text=True, check=True).stdout
    assert got == "Noto Serif CJK SC 200"      # fontconfig's FC_WEIGHT_BOLD


@pytest.mark.parametrize("name", sorted(aliases()))
def test_each_stand_in_covers_gb2312(name):
    faces = aliases()[name]
    missing = [c for c in gb2312() if not any(ord(c) in cmap_of(f) for f in faces)]
    assert not missing, f"{name}（{'、'.join(faces)}）缺字：{''.join(missing)}"
    first = [c for c in gb2312() if ord(c) not in cmap_of(faces[0])]
    assert len(first) <= 2, f"{faces[0]} 缺 {len(first)} 字：{''.join(first[:50])}"


def test_docx_font_table_names_fallbacks(rendered):
    xml = zipfile.ZipFile(rendered["xiaohe"]["docx"]).read("word/fontTable.xml")
    fonts = {f.get(f"{{{W}}}name"): f for f in etree.fromstring(xml)}
    for name in OFFICIAL:
        f = fonts[name]
        assert f.find(f"{{{W}}}altName") is not None, name
        assert f.find(f"{{{W}}}charset").get(f"{{{W}}}val") == "86", name        # GB2312
        assert re.fullmatch(r"[0-9A-F]{20}", f.find(f"{{{W}}}panose1").get(f"{{{W}}}val")), name


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def test_libreoffice_sets_the_docx_in_the_stand_ins(libreoffice_pdf):
    out = subprocess.run(["pdffonts", str(libreoffice_pdf("xiaohe"))], capture_output=True, text=True,
                         check=True).stdout
    names = [line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:]]
    assert any("UKai" in n for n in names), names                  # 楷体: （一）… headings
    assert any(n.startswith("NotoSansCJK") for n in names), names   # 黑体: 第一部分 …
    assert any(n.startswith("NotoSerifCJK") for n in names), names  # 仿宋 body, 小标宋
    cjk = [n for n in names if "CJK" in n or "UKai" in n]
    assert not [n for n in names if n.startswith(("DejaVuSans", "Droid"))], names
    assert len(cjk) >= 3


def fc_match(pattern: str, fmt: str) -> str:
    return subprocess.run(["fc-match", "-f", fmt, pattern], capture_output=True, text=True, check=True).stdout


def test_times_new_roman_has_its_metric_twin():
    """Times New Roman, the DOCX's Latin font (w:ascii), is drawn by LibreOffice as Liberation Serif
    (fonts-liberation2), not DejaVu Serif; its whole character set is kept for LibreOffice."""
    assert fc_match("Times New Roman", "%{family[0]}") in ("Times New Roman", "Liberation Serif")
    assert fc_match("Times New Roman:bold", "%{family[0]} %{weight}") in ("Times New Roman 200", "Liberation Serif 200")
    assert fc_match("Times New Roman", "%{charset}") != "20-7e"


def hhea_em(font: TTFont) -> tuple[float, float]:
    return font["hhea"].ascent / font["head"].unitsPerEm, -font["hhea"].descent / font["head"].unitsPerEm


@pytest.mark.parametrize("path", LATIN_FONTS, ids=lambda p: p.stem)
def test_pdf_latin_face_is_times_fitted_to_the_cjk_lines(path):
    """The PDF's face of digits and Latin letters (templates/fonts/, scripts/make_latin_font.py):
    Liberation Serif's glyphs and widths (Times New Roman's), printable ASCII only (curly quotes and
    full-width punctuation stay CJK), named "Juesuan Latin", with ascent − descent as the body face's
    (a cell of digits sits on the CJK baseline) and within every CJK stand-in's (no taller lines)."""
    font = TTFont(path)
    assert font["name"].getDebugName(1) == "Juesuan Latin"
    assert set(font.getBestCmap()) == set(range(0x21, 0x7F))
    style = path.stem.split("-")[1]
    twin = TTFont(subprocess.run(["fc-match", "-f", "%{file}", f"Liberation Serif:style={style}"],
                                 capture_output=True, text=True, check=True).stdout, lazy=True)
    widths = {c: font["hmtx"][g][0] for c, g in font.getBestCmap().items()}
    assert widths == {c: twin["hmtx"][twin.getBestCmap()[c]][0] for c in widths}
    ascent, descent = hhea_em(font)
    body = face_of("仿宋_GB2312")
    assert ascent - descent == pytest.approx(hhea_em(body)[0] - hhea_em(body)[1], abs=1e-3)
    for name in ("仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"):
        a, d = hhea_em(face_of(name))
        assert ascent <= a + 1e-3 and descent <= d + 1e-3, name


def face_of(family: str) -> TTFont:
    path, index = fc_match(family, "%{file}|%{index}").split("|")
    return TTFont(path, fontNumber=int(index), lazy=True)


def pdf_font_names(pdf: Path) -> list[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:]]


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_libreoffice_draws_digits_in_times_not_dejavu(libreoffice_pdf, key):
    """LibreOffice's PDF of each example's DOCX: Latin letters and digits in Liberation Serif (Times
    New Roman's stand-in), no DejaVu face anywhere (issue 24)."""
    names = pdf_font_names(libreoffice_pdf(key))
    assert not [n for n in names if "DejaVu" in n], names
    assert any(n.startswith(("LiberationSerif", "TimesNewRoman")) for n in names), names


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_pdf_draws_digits_in_times_as_the_docx(rendered, key):
    """The PDF sets digits and Latin letters in the same Times-like face as the DOCX in LibreOffice,
    and its CJK text in the CJK stand-ins; no DejaVu face."""
    names = pdf_font_names(rendered[key]["pdf"])
    assert not [n for n in names if "DejaVu" in n], names
    assert any(n.startswith("Juesuan-Latin") for n in names), names
    assert any(n.startswith("Noto-Serif-CJK-SC") for n in names), names
