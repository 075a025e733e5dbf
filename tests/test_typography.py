"""正文排版 (issue 11): a profile may ask for GB/T 9704 body type — 三号 (16 pt) on a fixed 28 pt
line pitch — and the PDF and the DOCX both follow it; the seed profiles keep their own look."""
from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from docx.enum.text import WD_LINE_SPACING
from docx.shared import Pt

from tests.conftest import EXAMPLES, open_docx, profiles_from, run_cli, user_profile

OPENING = "潇河产业园事业服务中心的主要职责"      # first body paragraph of 第一部分 (xiaohe)


def _unit_with_profile(tmp_path: Path, name: str, body: str) -> Path:
    """A copy of xiaohe on profile ``name`` (shanxi-2022 and ``body``), which is written into the
    folder ``tmp_path/profiles-of-test`` (run with ``--profiles`` that folder)."""
    user_profile(tmp_path / "profiles-of-test", name, f"继承: shanxi-2022\n{body}")
    unit = tmp_path / "unit.yaml"
    unit.write_text((EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
                    .replace("模板: shanxi-2022", f"模板: {name}"), encoding="utf-8")
    return unit


def _body_lines(pdf: Path) -> list[tuple[float, float]]:
    """(yMin, height) of the first four lines of the first body paragraph of 第一部分."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-l", "6", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    lines = [(float(a), float(b), re.sub(r"<[^>]+>|\s", "", body)) for a, b, body in
             re.findall(r'<line xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">(.*?)</line>', out, flags=re.S)]
    start = next((i for i, (_, _, text) in enumerate(lines) if text.startswith(OPENING)), None)
    assert start is not None, f"没找到正文段落：{OPENING}"
    return [(a, b - a) for a, b, _ in lines[start:start + 4]]


@pytest.fixture(scope="module")
def gbt9704(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("typo")
    name = "test-gbt9704-body"
    unit = _unit_with_profile(tmp, name, "正文排版: {字号: 16, 行距: 28}\n")
    proc = run_cli("render", str(unit), "--format", "docx,pdf", "--out", str(tmp / "out"),
                   "--profiles", str(tmp / "profiles-of-test"))
    assert proc.returncode == 0, proc.stderr
    return {p.suffix[1:]: p for p in (tmp / "out").iterdir()}


def test_pdf_body_is_16pt_on_a_28pt_pitch(gbt9704, rendered):
    lines = _body_lines(gbt9704["pdf"])
    assert len(lines) >= 3
    pitches = [b[0] - a[0] for a, b in zip(lines, lines[1:])]
    assert all(abs(p - 28) < 0.2 for p in pitches), pitches
    default = _body_lines(rendered["xiaohe"]["pdf"])           # the seed profile: 14 pt × 1.6
    assert all(abs(b[0] - a[0] - 22.4) < 0.2 for a, b in zip(default, default[1:]))
    assert min(h for _, h in lines) > min(h for _, h in default) * 1.1   # larger glyphs


def test_docx_styles_follow_the_profile(gbt9704, rendered):
    styles = open_docx(str(gbt9704["docx"])).styles
    for name in ("Body Text", "Plain Text", "Subheading", "Heading 3"):
        fmt = styles[name]
        assert fmt.font.size == Pt(16), name
        assert fmt.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY, name
        assert fmt.paragraph_format.line_spacing == Pt(28), name
    assert styles["Heading 2"].paragraph_format.line_spacing == Pt(28)
    assert styles["Heading 2"].font.size == Pt(16)
    seed = open_docx(str(rendered["xiaohe"]["docx"])).styles["Body Text"]
    assert seed.font.size == Pt(14) and seed.paragraph_format.line_spacing_rule != WD_LINE_SPACING.EXACTLY


@pytest.mark.parametrize("body,expected", [
    ("正文排版: {字号: 三号}\n", "正文排版.字号 应为 9–22 之间的磅数（步长 0.5），实际是“三号”"),
    ("正文排版: {字号: 16.3}\n", "正文排版.字号 应为 9–22 之间的磅数（步长 0.5），实际是“16.3”"),
    ("正文排版: {字号: 16, 行距: 12}\n", "正文排版.行距（12 磅）不能小于字号（16 磅）"),
    ("正文排版: {字体: 仿宋}\n", "正文排版只能写 字号、行距，不能写“字体”"),
    ("正文排版: 三号\n", "正文排版应写成 {字号: 16, 行距: 28}（单位：磅）"),
])
def test_bad_typography_is_named(tmp_path, body, expected):
    name = "test-gbt9704-bad"
    unit = _unit_with_profile(tmp_path, name, body)
    proc = run_cli("check", str(unit), "--profiles", str(tmp_path / "profiles-of-test"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert expected in proc.stderr and f"{name}.yaml" in proc.stderr, proc.stderr


def test_half_points_are_accepted(tmp_path):
    """YAML reads 10.5 as a decimal number: a half-point size and a fractional pitch are kept."""
    from generator.profile import load_profile
    name = "test-gbt9704-half"
    root = user_profile(tmp_path, name, "继承: shanxi-2022\n正文排版: {字号: 10.5, 行距: 18.5}\n")
    with profiles_from(root):
        typography = load_profile(name).typography
    assert (typography.body_size, typography.line_pitch) == (Decimal("10.5"), Decimal("18.5"))
