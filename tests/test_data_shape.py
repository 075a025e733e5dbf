"""The unit's data shape is declared once, in load/unit.schema.json; everything else that knows a key
of it is checked against it here: the workbook's rows (load/workbook_spec.py: every 项目 of the
key–value sheets and every column of the form sheets, with its kind), the table layouts' input cells
(`输入:` of templates/layouts, with each profile's 三公经费目录), and the model's lists of columns and
kinds. A key added to one and not the other fails here, with its name."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import model
from generator.layout import load_layout
from generator.load import workbook_spec as spec
from generator.profile import available, load_profile

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "generator/load/unit.schema.json").read_text(encoding="utf-8"))
KIND_DEFS = {spec.MONEY: {"money", "number"}, spec.COUNT: {"count"}, spec.TEXT: {"text", "string"},
             spec.LONGTEXT: {"text", "string"}, spec.YEAR: {"integer"}, spec.CHOICE: {"enum", "string"},
             spec.BOOL: {"boolean"}, spec.PAIRS: {"object"}}


def _deref(node: dict) -> dict:
    while "$ref" in node:
        node = {**SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _kind(node: dict) -> set[str]:
    """What a leaf schema holds, in the words KIND_DEFS uses."""
    refs = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
    node = _deref(node)
    types = node.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    return refs | types | ({"enum"} if "enum" in node else set()) | \
        ({"money"} if node.get("pattern", "").startswith("^\\s*-?[0-9]") else set())


def at(path: tuple[str, ...], node: dict | None = None) -> dict | None:
    """The schema of the value at ``path`` (list items are entered through, as the forms' rows are)."""
    node = _deref(node if node is not None else SCHEMA)
    for key in path:
        while True:
            node = _deref(node)
            if "items" in node:
                node = node["items"]
            elif "allOf" in node:
                merged: dict = {"properties": {}}
                for part in node["allOf"]:
                    part = _deref(part)
                    merged["properties"].update(part.get("properties", {}))
                    merged.update({k: v for k, v in part.items() if k != "properties"})
                node = merged
            else:
                break
        props = node.get("properties", {})
        if key in props and props[key] is not True:
            node = props[key]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return _deref(node) if "$ref" not in node else node


def _workbook_fields():
    profile = load_profile(available()[0])
    rows = [(f, ()) for f in spec.UNIT_FIELDS]
    for name in available():
        p = load_profile(name)
        rows += [(f, ()) for f in spec.last_fields(p.sangong) + spec.word_fields(p.sangong) + spec.info_fields(p.vehicle_kinds)]
    for form in spec.FORM_SHEETS:
        rows += [(f, ("附件", form.key)) for f in form.fields]
        for _, key, columns in form.lists:
            rows += [(spec.Field(spec.column_path(c), c[1], ""), ("附件", form.key, key)) for c in columns]
    assert profile
    return rows


@pytest.mark.parametrize("field,prefix", _workbook_fields(), ids=lambda x: "／".join(x.path) if hasattr(x, "path") else "")
def test_every_workbook_row_is_a_key_of_the_unit_data_of_its_kind(field, prefix):
    node = at(prefix + field.path)
    assert node is not None, f"工作簿的项目“{'／'.join(prefix + field.path)}”不是 unit.schema.json 中的键"
    assert _kind(node) & KIND_DEFS[field.kind], (field.path, field.kind, _kind(node))
    if field.kind == spec.CHOICE and field.choices and "enum" in node:
        assert set(field.choices) <= set(node["enum"]), (field.path, field.choices, node["enum"])


def _leaves(node: dict, path: tuple) -> list[tuple]:
    node = _deref(node)
    props = node.get("properties")
    if not props:
        return [path]
    return [leaf for k, v in props.items() for leaf in _leaves(v, path + (k,))]


@pytest.mark.parametrize("section,sheet_rows", [
    (("上年",), lambda: spec.last_fields(load_profile("shanxi-2023").sangong)),
    (("情况说明",), lambda: spec.word_fields(load_profile("shanxi-2023").sangong)),
    (("相关信息统计",), lambda: spec.info_fields(load_profile("shanxi-2023").vehicle_kinds)),
], ids=["上年", "情况说明", "相关信息统计"])
def test_every_key_of_a_key_value_section_has_its_row_in_the_workbook(section, sheet_rows):
    """What a YAML file can say, a workbook can say: no key of these sections is YAML-only (their
    mappings by code — 按类、类说明 — and lists have sheets of their own)."""
    own_sheet = {("上年", "一般公共预算财政拨款支出按类"), ("情况说明", "类说明"), ("情况说明", "名词解释补充")}
    rows = {f.path for f in sheet_rows()}
    leaves = [p for p in _leaves(SCHEMA["properties"][section[0]], section) if p[:2] not in own_sheet]
    missing = [p for p in leaves if p not in rows and not any(r[:len(p)] == p for r in rows)]
    assert missing == [], missing


def _layout_inputs(name: str, classes: list[tuple[str, str]]) -> list[str]:
    """The data paths the workbook's cells of a layout fill (单行, 清单 and 对照 name whole paths;
    a 科目 table's columns are keys of its rows, checked with the model's lists below)."""
    layout = load_layout(name)
    paths: list = []
    if layout.kind == "单行":
        paths = [c.input for c in layout.leaves()]
    elif layout.kind == "清单":
        paths = [r.input for r in layout.list_rows({}, lambda t: t) if getattr(r, "input", None)]
    elif layout.kind == "对照":
        paths = [cell for row in layout.pair_grid(classes, lambda t: t, "input") for _, _, cell in row
                 if isinstance(cell, str)]
    flat = [q for p in paths for q in (p if isinstance(p, (list, tuple)) else [p]) if q]
    return flat


def test_every_layout_input_cell_is_a_key_of_the_unit_data():
    """`输入:` of every table layout (the workbook's table sheets) names a key of the unit's data; a
    三公 input names an item, 小计 or 合计 of some profile's 三公经费目录."""
    sangong_keys = {k for name in available() for k in load_profile(name).sangong.keys}
    classes = load_profile("shanxi-2023").classes
    checked, bad = 0, []
    for name in sorted(p.stem for p in (ROOT / "templates" / "layouts").glob("*.yaml")):
        for path in _layout_inputs(name, classes):
            parts = tuple(path.split("."))
            checked += 1
            if at(parts) is None or (parts[0] == "三公经费" and parts[-1] not in sangong_keys):
                bad.append((name, path))
    assert bad == [] and checked > 60, (bad, checked)


def test_the_models_lists_are_the_schemas_keys():
    info = SCHEMA["properties"]["相关信息统计"]["properties"]
    assert list(_deref(info["车辆"])["properties"]) == ["车辆数合计"]      # the kinds: each profile's 车辆类别名称
    for name in available():
        kinds = load_profile(name).vehicle_kinds
        assert kinds and all(at(("相关信息统计", "车辆", k)) == {"$ref": "#/$defs/count"} for k in kinds), name
    assert list(_deref(info["政府采购"])["properties"]) == [*model.PURCHASE_KINDS, "合计"]
    assert list(_deref(SCHEMA["$defs"]["kinds"])["properties"]) == model.FISCAL_KINDS
    for table, columns in model.SUBJECT_TABLES.items():
        own = [k for k in _row_properties(table) if k not in ("科目编码", "科目名称")]
        assert own == [*([model.TOTAL_COLUMN[table]] if model.TOTAL_COLUMN[table] not in columns else []), *columns] \
            or sorted(own) == sorted(set(columns) | {model.TOTAL_COLUMN[table]}), (table, own, columns)


def _row_properties(table: str) -> list[str]:
    node = _deref(SCHEMA["properties"][table])
    item = node["items"]
    props: dict = {}
    for part in item.get("allOf", [item]):
        props.update(_deref(part).get("properties", {}))
    return list(props)
