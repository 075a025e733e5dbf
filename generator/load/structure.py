"""The structure check of a unit file: its plain values against ``unit.schema.json`` (JSON Schema
2020-12) through ``load/schema.py``, which checks every file the program reads (profiles, layouts,
catalogues too) and words every error as a Chinese message at its key path (写错的键 with the
nearest known key, 缺少必填项, 类型、枚举、格式不对). Only the unit schema's own words are here.
Used by ``unit_loader`` for every file and by ``excel_reader``, which reports what it finds
together with its own problems."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jsonschema

from .schema import required_key, validate
from .yaml_reader import Located

SCHEMA = "unit"      # load/unit.schema.json (load/schema.py)


def _unit_message(error: jsonschema.ValidationError, path: tuple) -> tuple[tuple, str] | None:
    """The unit schema's own words (load/schema.py words the rest): which top-level keys a file of
    attachments alone may leave out, and what a 科目编码 or an amount looks like."""
    v, inst = error.validator, error.instance
    if v == "required" and not path and required_key(error) in ("报告类型", "单位性质", "金额单位"):
        return path, f"缺少必填项“{required_key(error)}”（只有附件的文件可以不写；写了决算表或情况说明的都要写）"
    if "propertyNames" in error.relative_schema_path:
        return path + (inst,), f"键“{inst}”应为科目编码（3、5 或 7 位数字）"
    if v == "pattern":
        return path, f"格式不对：“{inst}”（{_pattern_hint(path)}）"
    return None


def _pattern_hint(path: tuple) -> str:
    last = path[-1] if path else ""
    if last == "科目编码":
        return "科目编码应为 3、5 或 7 位数字，或“合计”"
    if last == "模板":
        return "模板名只含字母、数字、- 和 _"
    return "应为金额，如 1234.56"


def validate_structure(located: Located) -> None:
    """The unit schema (load/unit.schema.json), one located message per problem."""
    validate(located, SCHEMA, _unit_message)
