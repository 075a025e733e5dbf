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
