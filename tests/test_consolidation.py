"""`juesuan consolidate` (issue 27): a department's data, the sum of its 本级 and 所属单位 with the
flows between them eliminated, checked cell by cell against the units it was made from."""
from __future__ import annotations

from decimal import Decimal

import pytest

from generator.load.yaml_reader import read_yaml

from .conftest import run_cli
from .consolidation_units import PARENT, make_group

FLOW = Decimal("5000.00")
SUBJECTS = ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表", "政府性基金预算财政拨款收入支出决算表",
            "国有资本经营预算财政拨款支出决算表", "经济分类支出明细")
# the flows between units of a department: (column, whose is taken out)
ELIMINATED = {"上级补助收入": "members", "上缴上级支出": "members", "对附属单位补助支出": "all", "附属单位上缴收入": "all"}


def _add_first(text: str, section: str, column: str, amount: Decimal) -> str:
    """``text`` (a unit file) with ``amount`` added to the first ``column`` figure of ``section``."""
    import re
    start = text.index(f"\n{section}:")
    m = re.compile(rf"{column}: ([\d.]+)").search(text, start)
    return text[:m.start(1)] + str(Decimal(m.group(1)) + amount) + text[m.end(1):]


def number(v) -> Decimal:
    return Decimal(str(v).replace(",", "")) if v not in (None, "") else Decimal(0)


@pytest.fixture(scope="module")
def department(tmp_path_factory):
    folder = tmp_path_factory.mktemp("consolidate")
    paths = make_group(folder / "units", 4, FLOW)
    (folder / "texts.yaml").write_text("概况:\n  职责: 负责示范区的管理工作。\n  机构设置: 内设三个科室。\n", encoding="utf-8")
    out = folder / "部门.yaml"
    proc = run_cli("consolidate", str(paths[0]), str(folder / "units"), "--name", "示范区某局",
                   "--texts", str(folder / "texts.yaml"), "--out", str(out))
    return {"paths": paths, "out": out, "proc": proc, "folder": folder}


def test_every_table_is_the_sum_of_its_units_with_the_flows_taken_out(department):
    proc = department["proc"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "已汇总" in proc.stdout
    data = read_yaml(department["out"]).data
    units = [read_yaml(p).data for p in department["paths"]]
    compared = 0
    for table in SUBJECTS:
        got = {str(r["科目编码"]): r for r in data.get(table) or []}
        expected: dict[tuple[str, str], Decimal] = {}
        for k, unit in enumerate(units):
            for row in unit.get(table) or []:
                for column, value in row.items():
                    if column in ("科目编码", "科目名称") or not isinstance(value, (Decimal, int, str)):
                        continue
                    if ELIMINATED.get(column) == "all" or (ELIMINATED.get(column) == "members" and k > 0):
                        continue
                    key = (str(row["科目编码"]), column)
                    expected[key] = expected.get(key, Decimal(0)) + number(value)
        for (code, column), value in expected.items():
            assert number(got.get(code, {}).get(column)) == value, (table, code, column)
            compared += 1
        for code, row in got.items():             # and nothing else
            for column in row:
                if column not in ("科目编码", "科目名称"):
                    assert (code, column) in expected, (table, code, column)
    assert compared >= 20
    # the flows: the 本级 paid 5000 to unit 1, who received it; neither is the department's
    assert not any(r.get("对附属单位补助支出") or r.get("上级补助收入") for t in ("收入决算表", "支出决算表")
                   for r in data[t])
    text = department["out"].read_text(encoding="utf-8")
    assert "抵消的单位间往来：上级补助收入 5000.00元；对附属单位补助支出 5000.00元" in text
    # the figures beside the tables, added up
    for part in ("预算数", "决算数"):
        for item, v in data["三公经费"][part].items():
            assert number(v) == sum(number(u["三公经费"][part].get(item)) for u in units), (part, item)
    assert number(data["相关信息统计"]["政府采购"]["服务"]) == sum(
        number(u["相关信息统计"]["政府采购"]["服务"]) for u in units)
    assert data["年初预算"]["一般公共预算财政拨款支出"]["201"] == sum(
        number(u["年初预算"]["一般公共预算财政拨款支出"]["201"]) for u in units)
    # 上年: the units' figures added up, but not the totals that hold last year's internal flows
    assert number(data["上年"]["财政拨款收入总计"]) == sum(number(u["上年"]["财政拨款收入总计"]) for u in units)
    assert "收入总计" not in data["上年"] and "上年数不写这两项" in text
    # the department's own texts and the units it is made of
    assert data["报告类型"] == "部门决算" and data["单位名称"] == "示范区某局"
    assert data["概况"]["职责"] == "负责示范区的管理工作。"
    assert [m["单位名称"] for m in data["概况"]["单位构成"]][0] == PARENT
    assert len(data["概况"]["单位构成"]) == 4


def test_the_department_checks_and_renders(department, tmp_path):
    from generator.pipeline import render
    result = render(department["out"], tmp_path, ("html",))
    assert not result.errors
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert "示范区某局" in html and "负责示范区的管理工作。" in html


def test_flows_that_do_not_match_are_a_warning_naming_both(tmp_path):
    paths = make_group(tmp_path / "units", 2, FLOW)
    child = paths[1].read_text(encoding="utf-8").replace("上级补助收入: 5000.00", "上级补助收入: 4000.00", 1)
    paths[1].write_text(_add_first(child, "支出决算表", "项目支出", Decimal(-1000)), encoding="utf-8")
    proc = run_cli("consolidate", *map(str, paths), "--name", "某局", "--out", str(tmp_path / "d.yaml"))
    # written, and checked: the 1000 paid but not received leaves the department's 收支 unbalanced
    assert proc.returncode == 1 and (tmp_path / "d.yaml").exists(), proc.stdout + proc.stderr
    assert "检查：1 个错误" in proc.stdout
    assert "单位间往来对不上" in proc.stderr and PARENT in proc.stderr and "示范区某中心001 4000.00" in proc.stderr
    assert "相差 1000.00元" in proc.stderr


def test_units_that_cannot_be_added_up_are_refused_plainly(tmp_path):
    paths = make_group(tmp_path / "units", 3)
    out = tmp_path / "d.yaml"

    def consolidate(*files, force=False):
        return run_cli("consolidate", *map(str, files), "--name", "某局", "--out", str(out), *(["--force"] if force else []))
    other_year = tmp_path / "other-year.yaml"
    other_year.write_text(paths[2].read_text(encoding="utf-8").replace("年度: 2022", "年度: 2023", 1), encoding="utf-8")
    proc = consolidate(paths[0], paths[1], other_year)
    assert proc.returncode == 2 and "同一年度" in proc.stderr and "other-year.yaml" in proc.stderr, proc.stderr
    other_profile = tmp_path / "other-profile.yaml"
    other_profile.write_text(paths[2].read_text(encoding="utf-8").replace("模板: shanxi-2022", "模板: shanxi-2023", 1),
                             encoding="utf-8")
    proc = consolidate(paths[0], paths[1], other_profile)
    assert proc.returncode == 2 and "同一版式" in proc.stderr, proc.stderr
    twice = tmp_path / "twice.yaml"
    twice.write_bytes(paths[1].read_bytes())
    proc = consolidate(paths[0], paths[1], twice)
    assert proc.returncode == 2 and "同一个单位" in proc.stderr and "twice.yaml" in proc.stderr, proc.stderr
    failing = tmp_path / "failing.yaml"
    failing.write_text(_add_first(paths[2].read_text(encoding="utf-8"), "经济分类支出明细", "基本支出", Decimal(100)),
                       encoding="utf-8")
    proc = consolidate(paths[0], paths[1], failing)
    assert proc.returncode == 1 and "failing.yaml" in proc.stderr and "--force" in proc.stderr, proc.stderr
    assert not out.exists() and "Traceback" not in proc.stderr
    proc = consolidate(paths[0], paths[1], failing, force=True)
    assert proc.returncode in (0, 1) and out.exists(), proc.stderr
    assert "--force" in out.read_text(encoding="utf-8") and "failing.yaml" in out.read_text(encoding="utf-8")
    texts = tmp_path / "texts.yaml"
    texts.write_text("单位名称: 别的\n", encoding="utf-8")
    proc = run_cli("consolidate", *map(str, paths), "--name", "某局", "--texts", str(texts), "--out",
                   str(tmp_path / "e.yaml"))
    assert proc.returncode == 2 and "部门文字文件只写" in proc.stderr and "texts.yaml" in proc.stderr, proc.stderr
