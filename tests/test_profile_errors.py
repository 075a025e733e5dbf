"""Profiles, layouts and catalogues are checked by their schemas (issue 13, load/*.schema.json)
through the same located reader as unit files: a broken one ends `juesuan check` with exit code 2
and one Chinese message naming the file, the line and the key — in the file that wrote it, when a
profile inherits (继承) — never a traceback or 程序内部出错.

Each case writes its broken copy under a test- name into a profile folder of its own (``--profiles``,
searched before templates/ and read by the same reader)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import fastjsonschema
import pytest

from generator import layout as layout_module, model, ratios
from generator.errors import InputError
from generator.layout import LAYOUTS
from generator.load import schema
from generator.load.yaml_reader import read_yaml
from generator.profile import CATALOG_SCHEMAS, CATALOGS, PROFILES

from .conftest import EXAMPLES, run_cli
from .test_bad_input_corpus import EXCEPTIONS, english

UNIT = EXAMPLES / "xincailiao-2023.yaml"          # 模板: shanxi-2023
PROFILE = (PROFILES / "shanxi-2023.yaml").read_text(encoding="utf-8")
USER_FOLDER = "my-profiles"


@pytest.fixture
def templates(tmp_path):
    """write(folder, name, text) -> the path of <a user profile folder>/<folder>/<name>.yaml; the
    checks below run with ``--profiles`` that folder, so a broken copy is read through the same
    located reader as the built-in files without touching templates/."""
    root = tmp_path / USER_FOLDER

    def write(folder: str, name: str, text: str) -> Path:
        path = root / folder / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    return write


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def check_with_profile(tmp_path: Path, profile: str):
    unit = tmp_path / "unit.yaml"
    unit.write_text(replaced(UNIT.read_text(encoding="utf-8"), "模板: shanxi-2023", f"模板: {profile}"), encoding="utf-8")
    user = tmp_path / USER_FOLDER
    return run_cli("check", str(unit), *(("--profiles", str(user)) if user.is_dir() else ()))


def assert_one_message(proc, path: Path, line: int, *words: str) -> str:
    """Exit 2, one “错误：” line naming ``path``, ``第{line}行`` and ``words``; plain Chinese."""
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, err)
    errors = [x for x in err.splitlines() if x.startswith("错误：")]
    assert len(errors) == 1, err
    message = errors[0]
    assert f"{path}：第{line}行：" in message, err
    for w in words:
        assert w in message, (w, err)
    assert "程序内部出错" not in err and not EXCEPTIONS.search(err), err
    assert foreign(err.replace(str(path), "")) == [], err
    return message


def foreign(message: str) -> list[str]:
    """Latin words other than names of files and folders (“可用的版式：econ-basic、…”, templates/) and
    of the profile a message says to use (“山西省2024年度的版式是 shanxi-2023”)."""
    message = re.sub(r"可用的[^：]*：[^；。\n]*", "", message)
    message = re.sub(r"年度的版式是 [\w、-]+", "", message)
    return [w for w in english(message) if w not in ("templates", "catalogs", "layouts", "profiles")]


# ---------------------------------------------------------------- profiles

TABLE_04 = '  - {表: "04", 版式: fiscal, 标签: 公开04表, 标题: 财政拨款收入支出决算总表, 横向: true,'

# (id, old text of shanxi-2023.yaml, new text, the line's needle in the new text, words of the message)
PROFILE_CASES = [
    ("missing-key", TABLE_04, '  - {表: "04", 版式: fiscal, 标签: 公开04表, 横向: true,', '  - {表: "04"',
     ("表[3]", "缺少必填项“标题”")),
    ("wrong-type", "表内千分位: true ", "表内千分位: 是的 ", "表内千分位", ("表内千分位", "应为是/否，实际是“是的”")),
    ("unknown-key", "措辞目录: default", "措词目录: default", "措词目录", ("未知的键“措词目录”", "是否应为“措辞目录”")),
    ("table-number", '  - {表: "10", 版式: info', '  - {表: "11", 版式: info', '  - {表: "11"', ("表[9].表", "“11”", "表号 01–10")),
    ("unknown-setting", "版式: income,", "版式: income, 版式设置: {行次: false},", "版式设置", ("表[1].版式设置.行次", "未知的键“行次”", "栏次")),
    ("bad-yaml", "说明: 山西 2023 版：", "说明: [山西 2023 版：", "适用年度", ("YAML 语法错误", "方括号")),   # found on the next line
    ("missing-catalogue", "经济分类目录: jingji-2023", "经济分类目录: jingji-2033", "经济分类目录", ("找不到目录“jingji-2033”",)),
    ("missing-layout", "版式: fund,", "版式: fundx,", "版式: fundx", ("表[6].版式", "找不到表格版式“fundx”")),
    ("unknown-facts", "模板: s02_income.j2, 事实: 收入}", "模板: s02_income.j2, 事实: 收入情况}", "事实: 收入情况",
     ("情况说明提纲[1].事实", "“收入情况”", "收支总体")),
    ("fixed-class", "目录列出附件: false", "目录列出附件: false\n固定行类: [201, 299]", "固定行类",
     ("固定行类", "“299”", "不是功能分类类目录中的类编码")),
]


@pytest.mark.parametrize("case,old,new,needle,words", PROFILE_CASES, ids=[c[0] for c in PROFILE_CASES])
def test_a_broken_profile_is_named(tmp_path, templates, case, old, new, needle, words):
    name = f"test-broken-{case}"
    text = replaced(PROFILE, old, new)
    path = templates("profiles", name, text)
    assert_one_message(check_with_profile(tmp_path, name), path, line_of(text, needle), *words)


def test_an_inheriting_profile_names_its_own_line(tmp_path, templates):
    text = "# 一个只写不同之处的模板\n继承: shanxi-2023\n表内千分位: 1\n"
    path = templates("profiles", "test-broken-child", text)
    assert_one_message(check_with_profile(tmp_path, "test-broken-child"), path, 3, "表内千分位", "应为是/否")


def test_an_error_of_the_inherited_profile_names_the_inherited_file(tmp_path, templates):
    parent_text = replaced(PROFILE, TABLE_04, TABLE_04.replace("横向: true", "横向: 是的"))
    parent = templates("profiles", "test-broken-parent", parent_text)
    templates("profiles", "test-broken-child", "继承: test-broken-parent\n说明: 只改说明\n")
    assert_one_message(check_with_profile(tmp_path, "test-broken-child"), parent,
                       line_of(parent_text, '  - {表: "04"'), "表[3].横向", "应为是/否")


def test_a_key_missing_after_the_merge_names_the_profile_and_the_mapping(tmp_path, templates):
    parent_text = replaced(PROFILE, "  封面标题: ", "  封面: ")
    templates("profiles", "test-broken-parent", parent_text)
    child_text = "继承: test-broken-parent\n\n文字:\n  尾数说明: 无\n"
    child = templates("profiles", "test-broken-child", child_text)
    proc = check_with_profile(tmp_path, "test-broken-child")
    assert_one_message(proc, child, 3, "文字：缺少必填项“封面标题”")


def test_a_missing_inherited_profile_is_named_where_it_is_inherited(tmp_path, templates):
    path = templates("profiles", "test-broken-child", "说明: 找不到的上级\n继承: shanxi-2033\n")
    assert_one_message(check_with_profile(tmp_path, "test-broken-child"), path, 2, "继承", "找不到模板“shanxi-2033”")


def test_inheritance_in_a_circle_is_named(tmp_path, templates):
    path = templates("profiles", "test-broken-child", "继承: test-broken-child\n")
    assert_one_message(check_with_profile(tmp_path, "test-broken-child"), path, 1, "继承成环")


# ---------------------------------------------------------------- layouts

def layout_text(name: str) -> str:
    return (LAYOUTS / f"{name}.yaml").read_text(encoding="utf-8")


INCOME, SELF_EVAL, SUMMARY = "income", "self-eval-2023", "summary"

# (id, layout, old, new, needle, words)
LAYOUT_CASES = [
    ("missing-key", INCOME, "  - {标题: 经营收入, 取: 经营收入}", "  - {标题: 经营收入}", "  - {标题: 经营收入}",
     ("列[5]", "缺少必填项“取”")),
    ("wrong-type", INCOME, "栏次: true", "栏次: 是的", "栏次", ("栏次", "应为是/否，实际是“是的”")),
    ("unknown-key", INCOME, "合计行: 首", "合计列: 首", "合计列", ("未知的键“合计列”", "是否应为“合计行”")),
    ("nested-unknown-key", INCOME, "{标题: 科目名称, 取: 名称, 宽: 170}", "{标题: 科目名称, 取: 名称, 宽度: 170}", "宽度",
     ("列[0].下级[1].宽度", "未知的键“宽度”")),
    ("bad-kind", INCOME, "种类: 科目", "种类: 科目表", "种类", ("种类", "应为以下之一", "“科目表”")),
    ("bad-yaml", INCOME, "合计行: 首", "合计行: 首\n\t栏次: true", "\t栏次", ("Tab",)),
    ("self-eval-label", SELF_EVAL, "  项目名称: 项目名称\n", "", "标签:", ("标签", "缺少必填项“项目名称”")),
    ("self-eval-column", SELF_EVAL, "{键: 全年执行数, 标题: 全年执行数}", "{键: 全年支出数, 标题: 全年执行数}", "全年支出数",
     ("资金列[3].键", "应为以下之一", "“全年支出数”")),
    ("pair-side", SUMMARY, "  - 收入: {标签: 年初结转和结余", "  - 收人: {标签: 年初结转和结余", "收人",
     ("行[3].收人", "“收人”不是本表的一栏", "收入、支出")),
]


@pytest.mark.parametrize("case,layout,old,new,needle,words", LAYOUT_CASES, ids=[c[0] for c in LAYOUT_CASES])
def test_a_broken_layout_is_named(tmp_path, templates, case, layout, old, new, needle, words):
    name = f"test-broken-{case}"
    text = replaced(layout_text(layout), old, new)
    path = templates("layouts", name, text)
    using = ("自评表版式: self-eval-2023", f"自评表版式: {name}") if layout == SELF_EVAL else \
        (f"版式: {layout},", f"版式: {name},")
    templates("profiles", name, replaced(PROFILE, *using))
    assert_one_message(check_with_profile(tmp_path, name), path, line_of(text, needle), *words)


# ---------------------------------------------------------------- catalogues

JINGJI = (CATALOGS / "jingji-2023.yaml").read_text(encoding="utf-8")
LEI = (CATALOGS / "gongneng-lei-2022.yaml").read_text(encoding="utf-8")
SANGONG = (CATALOGS / "sangong.yaml").read_text(encoding="utf-8")

# (id, profile key, catalogue file, old, new, needle, words)
CATALOG_CASES = [
    ("missing-key", "经济分类目录", JINGJI, '{编码: "30102", 名称: "津贴补贴"}', '{编码: "30102"}', '{编码: "30102"}',
     ("科目[2]", "缺少必填项“名称”")),
    ("wrong-type", "经济分类目录", JINGJI, '人员经费款: ["301", "303"]', '人员经费款: "301"', "人员经费款",
     ("人员经费款", "应为列表", "“301”")),
    ("unknown-key", "经济分类目录", JINGJI, "科目:\n", "来源: 2023年度公开06表\n科目:\n", "来源", ("未知的键“来源”", "科目")),
    ("bad-code", "功能分类类目录", LEI, '{编码: "205", 名称: 教育支出}', '{编码: "2050", 名称: 教育支出}', '"2050"',
     ("类[4].编码", "“2050”", "3 位数字")),
    ("bad-yaml", "功能分类类目录", LEI, "旧名称:\n", "旧名称:\n  \"207\": [文化体育与传媒支出\n", '"207": [文化体育与传媒支出]',
     ("YAML 语法错误",)),                          # the parser stops on the next line
    ("sangong-role", "三公经费目录", SANGONG, "角色: 出国,", "角色: 出差,", "角色: 出差", ("项目[0].角色", "“出差”")),
    ("sangong-name", "三公经费目录", SANGONG, "{名称: 公务接待费,", "{名称: 公务.接待费,", "公务.接待费", ("项目[2].名称",)),
]


@pytest.mark.parametrize("case,key,original,old,new,needle,words", CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_a_broken_catalogue_is_named(tmp_path, templates, case, key, original, old, new, needle, words):
    name = f"test-broken-{case}"
    text = replaced(original, old, new)
    path = templates("catalogs", name, text)
    current = {"经济分类目录": "jingji-2023", "功能分类类目录": "gongneng-lei-2022", "三公经费目录": "sangong"}[key]
    templates("profiles", name, replaced(PROFILE, f"{key}: {current}", f"{key}: {name}"))
    assert_one_message(check_with_profile(tmp_path, name), path, line_of(text, needle), *words)


def test_a_sangong_catalogue_naming_an_item_twice_is_refused_at_the_profiles_line(tmp_path, templates):
    """Items, 小计 and 合计 are keys of one mapping in the unit's data, and a 角色 names one item."""
    name = "test-broken-sangong-twice"
    templates("catalogs", name, replaced(SANGONG, "{名称: 公务接待费, 角色: 接待,", "{名称: 合计, 角色: 出国,"))
    profile_text = replaced(PROFILE, "三公经费目录: sangong", f"三公经费目录: {name}")
    path = templates("profiles", name, profile_text)
    proc = check_with_profile(tmp_path, name)
    assert proc.returncode == 2, proc.stderr
    line = line_of(profile_text, "三公经费目录")
    for what in ("项目名称“合计”", "角色“出国”"):
        assert f"{path}：第{line}行：三公经费目录“{name}”中{what}出现了不止一次" in proc.stderr, proc.stderr


@pytest.mark.parametrize("file,schema_name,old,new,words", [
    ("ratios.yaml", "catalog-ratios", "    算法: 变动\n", "    算法: 增减\n", ("比率.三公经费变动率.算法", "“增减”")),
    ("ratios.yaml", "catalog-ratios", "{名称: 在职人员, 单位: 人}, ", "", ("比率.在职人员控制率.项", "应为 2 项，实际有 1 项")),
    ("ratios.yaml", "catalog-ratios", "资金: 年末结余}", "资金: 年底结余}", ("结转结余率.项[0].资金", "“年底结余”")),
    ("name-breaks.yaml", "catalog-name-breaks", "每行字数: 20", "每行字数: 二十", ("每行字数", "应为整数")),
])
def test_the_fixed_catalogues_are_checked(tmp_path, file, schema_name, old, new, words):
    """ratios.yaml and name-breaks.yaml are read by name (generator/ratios.py, compose/cover.py),
    through the same check."""
    text = replaced((CATALOGS / file).read_text(encoding="utf-8"), old, new)
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        schema.read_checked(path, schema_name, "目录", "比率")
    assert len(info.value.problems) == 1, info.value
    message = str(info.value.problems[0])
    assert message.startswith(f"{path}：第") and all(w in message for w in words), message
    assert foreign(message.replace(str(path), "")) == [], message


# ---------------------------------------------------------------- every shipped file follows its schema

def _shipped() -> list[tuple[Path, str]]:
    files = [(p, "layout") for p in sorted(LAYOUTS.glob("*.yaml"))]
    kinds = {"jingji": "catalog-jingji", "gongneng-lei": "catalog-gongneng-lei", "gongneng-kuan": "catalog-gongneng-kuan",
             "name-breaks": "catalog-name-breaks", "ratios": "catalog-ratios",
             "text-number-words": "catalog-text-number-words", "sangong": "catalog-sangong"}
    for p in sorted(CATALOGS.glob("*.yaml")):
        kind = next(v for k, v in kinds.items() if p.stem.startswith(k))
        files.append((p, kind))
    return files


@pytest.mark.parametrize("path,name", _shipped(), ids=lambda x: x.name if isinstance(x, Path) else x)
def test_every_shipped_file_follows_its_schema(path, name):
    data = read_yaml(path).data
    fast = schema.fast_validator(name)
    fast(data)                                           # the fast and the full validator agree
    assert list(schema.full_validator(name).iter_errors(data)) == []


def test_every_profile_follows_its_schema_after_inheritance():
    from generator.profile import _profile, available
    for name in available():
        loc = _profile(name)
        schema.fast_validator("profile")(loc.data)
        assert list(schema.full_validator("profile").iter_errors(loc.data)) == [], name


def test_a_fast_refusal_always_has_a_message():
    """A file the fast validator refuses gets at least one message from the full one."""
    loc = read_yaml(LAYOUTS / "info.yaml")
    loc.data["行"][0]["合计"] = "是"
    with pytest.raises(fastjsonschema.JsonSchemaException):
        schema.fast_validator("layout")(loc.data)
    with pytest.raises(InputError) as info:
        schema.validate(loc, "layout")
    assert [p.source.path for p in info.value.problems] == ["行[0].合计"]


def test_the_schemas_name_what_the_code_knows():
    """The enums of the schemas are the code's lists (a new kind or setting is added to both)."""
    layout = schema.schema("layout")
    assert layout["properties"]["种类"]["enum"] == list(layout_module.KINDS + layout_module.FORM_KINDS)
    assert layout["$defs"]["subject"]["properties"]["数据"]["enum"] == list(model.SUBJECT_TABLES)
    profile = schema.schema("profile")
    assert list(profile["$defs"]["table"]["properties"]["版式设置"]["properties"]) == list(layout_module.SETTINGS)
    assert set(profile["properties"]) >= set(CATALOG_SCHEMAS)
    from generator.derive.facts import SECTIONS
    assert profile["properties"]["情况说明提纲"]["items"]["properties"]["事实"]["enum"] == list(SECTIONS)
    ratio = schema.schema("catalog-ratios")["$defs"]
    assert ratio["ratio"]["properties"]["算法"]["enum"] == list(ratios.KINDS)
    assert ratio["part"]["properties"]["资金"]["enum"] == list(ratios.FUND_FIGURES)
    for name in ("unit", "profile", "layout", *(s for s, _ in CATALOG_SCHEMAS.values()), "catalog-name-breaks",
                 "catalog-ratios"):
        text = schema.schema_path(name).read_text(encoding="utf-8")
        json.loads(text)
        defs = schema.schema(name).get("$defs", {})
        assert all(k.isascii() for k in defs), (name, defs)   # fastjsonschema names its functions after them


# ---------------------------------------------------------------- which profile serves a year (issue 25)

def test_profiles_say_their_region_and_years():
    from generator.profile import choices, load_profile
    assert choices() == ["shanghai-2024（上海市 部门决算公开（2024年度起））",
                         "shanxi-2022（山西省 部门决算公开（2022年度及以前））",
                         "shanxi-2023（山西省 部门决算公开（2023年度起））"]
    assert load_profile("shanxi-2023").serves(2024) and not load_profile("shanxi-2022").serves(2024)
    assert load_profile("shanxi-2022").serves(2021)          # huitong's 2021 form is printed by it


def test_a_name_for_a_year_without_its_own_profile_is_told_which_serves_it(tmp_path):
    proc = check_with_profile(tmp_path, "shanxi-2024")
    assert proc.returncode == 2, proc.stderr
    assert "找不到模板“shanxi-2024”" in proc.stderr and "山西省2024年度的版式是 shanxi-2023" in proc.stderr, proc.stderr


def test_a_unit_on_a_profile_of_other_years_is_warned_with_the_one_to_use(tmp_path):
    unit = tmp_path / "unit.yaml"
    text = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
    unit.write_text(replaced(text, "年度: 2022", "年度: 2024"), encoding="utf-8")
    proc = run_cli("check", str(unit), "--format", "json")
    found = [f for f in json.loads(proc.stdout) if f["rule"] == "U-PROFILE-YEAR"]
    assert len(found) == 1, proc.stdout
    assert "shanxi-2023" in found[0]["message"] and "2024年度" in found[0]["message"], found


def test_template_chooses_the_profile_by_region_and_year(tmp_path):
    """A clerk knows the region and the year, not the profile's name."""
    out = tmp_path / "a.xlsx"
    proc = run_cli("template", "--region", "山西省", "--year", "2024", "--out", str(out))
    assert proc.returncode == 0 and out.is_file(), proc.stderr
    assert "山西省2024年度的版式是 shanxi-2023" in proc.stdout, proc.stdout
    proc = run_cli("template", "--region", "山西省", "--year", "2021", "--out", str(tmp_path / "b.xlsx"))
    assert proc.returncode == 0 and "shanxi-2022" in proc.stdout, proc.stdout
    for args, words in ((("--region", "陕西省", "--year", "2024"), "没有地区“陕西省”的模板（有：上海市、山西省）"),
                        (("--region", "上海市", "--year", "2023"), "上海市没有2023年度的模板"),
                        (("--year", "2024"), "--year 要与 --region 一起用")):
        proc = run_cli("template", *args, "--out", str(tmp_path / "c.xlsx"))
        assert proc.returncode == 2 and words in proc.stderr and not (tmp_path / "c.xlsx").exists(), proc.stderr
