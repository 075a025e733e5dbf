"""The structure check: a unit's plain values against ``unit.schema.json`` (JSON Schema 2020-12),
every error as a Chinese message at its key path (写错的键 with the nearest known key, 缺少必填项,
类型、枚举、格式不对). Used by ``unit_loader`` for every file and by ``excel_reader``, which
reports what it finds together with its own problems."""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    import jsonschema

from ..errors import REQUIRED, InputError, Problem
from .yaml_reader import Located, path_str

SCHEMA_PATH = Path(__file__).with_name("unit.schema.json")


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """The full validator, for messages about a file the fast one refused (imported only then:
    jsonschema takes 60 ms to import, and most files are valid)."""
    import jsonschema
    return jsonschema.Draft202012Validator(schema())


@lru_cache(maxsize=1)
def _fast_validator():
    """The same schema compiled to Python code: ~15x faster on a valid file. Generating and
    compiling that code takes ~0.15 s, so the compiled code is kept in the cache folder
    (generator/cache.py), keyed by the schema file and the fastjsonschema version."""
    from .. import cache
    code = cache.code("unit-schema-validator", [SCHEMA_PATH.read_bytes(), fastjsonschema.VERSION],
                      lambda: fastjsonschema.compile_to_code(schema()), "<unit.schema.json validator>")
    namespace: dict = {}
    exec(code, namespace)      # the code fastjsonschema.compile would run; defines validate()
    return namespace["validate"]


_TYPE_ZH = {"number": "数字", "string": "文字", "integer": "整数", "object": "“键: 值”映射",
            "array": "列表（每项以“-”开头）", "null": "空", "boolean": "是/否"}


def _expected_types(t: Any) -> str:
    types = [t] if isinstance(t, str) else list(t)
    return "或".join(_TYPE_ZH.get(x, x) for x in types if x != "null")


def _known_keys(error: jsonschema.ValidationError) -> list[str]:
    props = error.schema.get("properties") if isinstance(error.schema, dict) else None
    return list(props or {})


def _required_key(error: jsonschema.ValidationError) -> str:
    """The key a "required" error is about ("'金额单位' is a required property" → 金额单位)."""
    return error.message.split("'")[1] if "'" in error.message else error.message


def _message(error: jsonschema.ValidationError, located: Located) -> tuple[tuple, str]:
    """(path, Chinese message) for one schema error."""
    path = tuple(error.absolute_path)
    v, inst = error.validator, error.instance
    if v == "additionalProperties":
        known = _known_keys(error)
        extra = [k for k in inst if k not in known] if isinstance(inst, dict) else []
        key = extra[0] if extra else "?"
        hint = difflib.get_close_matches(key, known, n=1, cutoff=0.4)
        tip = f"，是否应为“{hint[0]}”？" if hint else "。"
        allowed = "、".join(known[:12]) + ("……" if len(known) > 12 else "")
        return path + (key,), f"未知的键“{key}”{tip}此处可用的键：{allowed}"
    if v == "required":
        missing = _required_key(error)
        if not path and missing in ("报告类型", "单位性质", "金额单位"):
            return path, f"缺少必填项“{missing}”（只有附件的文件可以不写；写了决算表或情况说明的都要写）"
        return path, f"缺少必填项“{missing}”"
    if v == "type":
        if isinstance(inst, bool):
            word = located.shown(path, inst)
            expected = "数字" if "number" in error.validator_value else _expected_types(error.validator_value)
            return path, f"应为{expected}，实际是“{word}”（YAML 把“{word}”读作是/否值；要写这个词请加引号）"
        return path, f"应为{_expected_types(error.validator_value)}，实际是{_show(inst)}"
    if v == "enum":
        return path, f"应为以下之一：{'、'.join(map(str, error.validator_value))}，实际是“{inst}”"
    if v == "pattern":
        if path and path[-1] == "科目编码" or (path and path[-1] != path_str(path)):
            pass
        return path, f"格式不对：“{inst}”（{_pattern_hint(path, error.validator_value)}）"
    if v == "propertyNames":
        return path, f"键“{inst}”应为科目编码（3、5 或 7 位数字）"
    if v in ("minimum", "maximum"):
        return path, f"数值“{inst}”超出范围（{'不小于' if v == 'minimum' else '不大于'} {error.validator_value}）"
    if v == "minLength":
        return path, "不能为空"
    return path, f"不符合数据格式：{error.message}"


def _pattern_hint(path: tuple, pattern: str) -> str:
    last = path[-1] if path else ""
    if last == "科目编码":
        return "科目编码应为 3、5 或 7 位数字，或“合计”"
    if last == "模板":
        return "模板名只含字母、数字、- 和 _"
    return "应为金额，如 1234.56"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "“键: 值”映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, bool):
        return f"是/否值“{value}”"
    if value is None:
        return "空"
    return f"“{value}”"


def validate_structure(located: Located) -> None:
    """Fast path: the compiled validator accepts most files in a few ms. When it refuses, the
    full validator collects every error with its path, for one message per problem."""
    try:
        _fast_validator()(located.data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(_validator().iter_errors(located.data), key=lambda e: list(map(str, e.absolute_path)))
    problems = []
    seen = set()
    for err in errors:
        # anyOf/allOf wrappers: report the innermost, most specific errors
        leaves = list(_leaf_errors(err))
        for leaf in leaves:
            path, msg = _message(leaf, located)
            if (path, msg) in seen:
                continue
            seen.add((path, msg))
            required = leaf.validator == "required"
            problems.append(Problem(located.source(path), msg, REQUIRED if required else "",
                                    _required_key(leaf) if required else ""))
    if problems:
        raise InputError(problems)


def _leaf_errors(err: jsonschema.ValidationError):
    if err.context:
        for sub in err.context:
            yield from _leaf_errors(sub)
    else:
        yield err
