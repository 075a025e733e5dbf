"""Page layout as each region's published documents show it (issue 24), read from the PDF and from
LibreOffice's PDF of the DOCX page by page (pdftotext per page, pdfinfo page sizes):

- Shanghai (template and both Putuo reports): no page numbers in the footer, a 目录 without leaders
  and numbers (profile 页码, 目录页码); tables 01 and 06 each on one portrait page (横向, the 06
  版式设置 行高); 01 and 04 list the template's 24 支出 类 (固定行类); only the unit's 决算表 title above
  table 01 (部分页内标题); 第四部分 on a new page (部分另起页); 目录 "十一、其他重要事项说明" (目录标题).
- Shanxi (xiaohe 2022, xincailiao 2023): the 目录 on one page with its page numbers, 第五部分 附件 one
  entry (目录列出附件), as the seeds' 目录.
"""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import seed_text

SHANGHAI = ["shehuigongzuo", "guihuaziyuan"]
SHANXI = ["xiaohe", "xincailiao"]
WRITERS = ["pdf", "libreoffice"]


def pages(path: Path) -> list[tuple[str, bool]]:
    """(text without whitespace, portrait?) of every page."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(path)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info, re.M)]
    return [(re.sub(r"\s+", "", t), w < h) for t, (w, h) in zip(text, sizes)]


def raw_pages(path: Path) -> list[str]:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")


@pytest.fixture
def pdf_of(rendered, libreoffice_pdf):
    def get(key: str, writer: str) -> Path:
        return rendered[key]["pdf"] if writer == "pdf" else libreoffice_pdf(key)
    return get


def table_pages(all_pages, caption: str, note: str) -> list[tuple[str, bool]]:
    """The pages from the one that prints ``caption`` (after the 目录) through the one with ``note``."""
    toc_end = next(i for i, (t, _) in enumerate(all_pages) if t.startswith("第一部分"))
    start = next(i for i, (t, _) in enumerate(all_pages) if i >= toc_end and caption in t)
    end = next(i for i, (t, _) in enumerate(all_pages) if i >= start and note in t)
    return all_pages[start:end + 1]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("key", SHANGHAI)
def test_shanghai_tables_01_and_06_each_on_one_portrait_page(pdf_of, key, writer):
    all_pages = pages(pdf_of(key, writer))
    for caption, note, last in [
            ("收入支出决算总表", "注：本表反映部门本年度的总收支和年末结转结余情况。", "总计"),
            ("一般公共预算财政拨款基本支出决算表", "注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。", "公用经费合计")]:
        span = table_pages(all_pages, caption, note)
        assert len(span) == 1, (caption, [t[:60] for t, _ in span])
        text, portrait = span[0]
        assert portrait, caption
        assert last in text


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("key", SHANGHAI)
def test_shanghai_prints_no_page_numbers(pdf_of, key, writer):
    texts = raw_pages(pdf_of(key, writer))
    assert not [i for i, t in enumerate(texts, 1) if re.search(r"—\s*\d+\s*—", t)]
    first = next(i for i, t in enumerate(texts) if re.sub(r"\s+", "", t).startswith("第一部分"))
    toc = "\n".join(texts[1:first])
    assert "十一、其他重要事项说明" in toc
    assert not re.search(r"\.{3,}|…|\d+\s*$", toc, re.M), toc          # no leaders, no page numbers


def test_shanghai_docx_has_no_page_fields(rendered):
    with zipfile.ZipFile(rendered["shehuigongzuo"]["docx"]) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if re.fullmatch(r"word/(document|footer\d*)\.xml", n))
    assert "PAGEREF" not in xml and " PAGE " not in xml


@pytest.mark.parametrize("writer", WRITERS)
def test_shanghai_01_and_04_list_the_templates_24_classes(pdf_of, writer):
    all_pages = pages(pdf_of("guihuaziyuan", writer))
    template = seed_text("shanghai-2024-template.txt")
    assert "二十四、抗疫特别国债安排的支出" in template and "债务还本支出" not in template
    for caption, note in [("收入支出决算总表", "注：本表反映部门本年度的总收支和年末结转结余情况。"),
                          ("财政拨款收入支出决算总表", "注：本表反映部门本年度财政拨款总收支和结转结余情况。")]:
        text = "".join(t for t, _ in table_pages(all_pages, caption, note))
        assert "二十四、抗疫特别国债安排的支出" in text, caption
        assert "债务还本支出" not in text and "债务付息支出" not in text and "二十五、" not in text, caption


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("key", SHANGHAI)
def test_shanghai_part_titles_as_published(pdf_of, rendered, key, writer):
    all_pages = pages(pdf_of(key, writer))
    body = [t for t, _ in all_pages[2:]]
    first_table = next(t for t in body if "收入支出决算总表" in t)
    assert not first_table.startswith("第二部分") and re.match(r".+2024年度部门决算表收入支出决算总表", first_table)
    assert any(t.startswith("第四部分名词解释") for t in body)                # 第四部分 starts a page
    assert "十一、其他重要事项的情况说明" in "".join(body)                    # the heading keeps its words


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("key", SHANXI)
def test_shanxi_toc_on_one_page_with_its_page_numbers(pdf_of, key, writer):
    texts = raw_pages(pdf_of(key, writer))
    assert re.sub(r"\s+", "", texts[1]).startswith("目录")
    assert re.sub(r"\s+", "", texts[2]).startswith("第一部分")               # nothing spilled
    entries = [line.strip() for line in texts[1].splitlines()[1:] if line.strip()]
    assert entries[-1].startswith("第五部分") and all(re.search(r"\d+$", e) for e in entries), entries
    assert not any(e.startswith("附件") for e in entries)


def test_a_class_outside_the_fixed_rows_is_printed_when_the_unit_has_an_amount(tmp_path):
    """固定行类 names the rows always printed; a 类 the unit spent in is printed as well (catalogue order),
    so the rows of 01 and 04 still add up to their totals."""
    from .conftest import EXAMPLES, run_cli, user_profile
    root = user_profile(tmp_path / "profiles", "test-fixed-classes", "继承: shanghai-2024\n固定行类: [202]\n")
    unit = tmp_path / "unit.yaml"
    unit.write_text((EXAMPLES / "putuo-shehuigongzuo-2024.yaml").read_text(encoding="utf-8")
                    .replace("模板: shanghai-2024", "模板: test-fixed-classes"), encoding="utf-8")
    proc = run_cli("render", str(unit), "--format", "html", "--out", str(tmp_path / "out"), "--profiles", str(root))
    assert proc.returncode == 0, proc.stderr
    html = next((tmp_path / "out").glob("*.html")).read_text(encoding="utf-8")
    for key in ("t01", "t04"):
        table = html[html.index(f'id="{key}"'):]
        table = table[:table.index("</table>")]
        labels = re.findall(r"[一二三四五六七八九十]+、([^<]+支出)<", table)
        assert labels == ["一般公共服务支出", "外交支出", "社会保障和就业支出", "卫生健康支出", "住房保障支出"], (key, labels)
