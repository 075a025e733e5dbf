"""The JSON Schemas of the files the program reads, and one way of checking a file against one.

``load/<name>.schema.json``: ``unit`` (a unit's data), ``profile`` (templates/profiles/, after
继承), ``layout`` (templates/layouts/) and one per kind of catalogue (``catalog-jingji``,
``catalog-gongneng-lei``, ``catalog-gongneng-kuan``, ``catalog-name-breaks``, ``catalog-ratios``,
``catalog-text-number-words``).

``validate`` checks a located file (load/yaml_reader.py): the schema compiled to Python by
fastjsonschema accepts a valid file in a few ms (its code kept in the cache folder,
generator/cache.py, so that no run compiles it again); when it refuses, the full validator
(jsonschema, imported only then) lists every error, and each becomes one Chinese message naming
the file, the line and the key path. Messages never carry the library's English.
"""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import fastjsonschema

if TYPE_CHECKING:
    import jsonschema

from ..errors import REQUIRED, InputError, Problem
from .yaml_reader import Located, read_yaml

SCHEMAS = Path(__file__).resolve().parent

# A schema's own words for some errors: (error, key path) -> (key path, message), or None for
# the shared message (unit_loader: the 科目编码 and 金额 hints).
Special = Callable[["jsonschema.ValidationError", tuple], "tuple[tuple, str] | None"]


def schema_path(name: str) -> Path:
    return SCHEMAS / f"{name}.schema.json"


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


FAST_OPTIONS = {"detailed_exceptions": False}   # the fast validator only accepts or refuses: its
# code then carries no copy of the schema per check (the unit's is half the size, and loads faster)


@lru_cache(maxsize=None)
def fast_validator(name: str) -> Callable[[Any], Any]:
    """The schema compiled to Python code: ~15x faster than jsonschema on a valid file. Generating
    and compiling that code takes up to ~0.15 s (the unit schema), so the compiled code is kept in
    the cache folder, keyed by the schema file, the fastjsonschema version and its options."""
    from .. import cache
    code = cache.code(f"{name}-schema-validator", [schema_path(name).read_bytes(), fastjsonschema.VERSION, repr(FAST_OPTIONS)],
                      lambda: fastjsonschema.compile_to_code(schema(name), **FAST_OPTIONS), f"<{name}.schema.json validator>")
    namespace: dict = {}
    exec(code, namespace)      # the code fastjsonschema.compile would run; defines validate()
    return namespace["validate"]


@lru_cache(maxsize=None)
def full_validator(name: str) -> jsonschema.Draft202012Validator:
    """The full validator, for messages about a file the fast one refused."""
    import jsonschema
    return jsonschema.Draft202012Validator(schema(name))


def validate(located: Located, name: str, special: Special | None = None) -> None:
    """Raise InputError with one located Chinese message per problem when ``located`` does not
    follow schema ``name``."""
    try:
        fast_validator(name)(located.data)
        return
    except fastjsonschema.JsonSchemaException:
        pass
    problems = schema_problems(located, name, special)
    if problems:
        raise InputError(problems)


def read_checked(path: Path, name: str, what: str, keys: str) -> Located:
    """A template file (表格版式, 目录) read and checked against schema ``name``."""
    located = read_yaml(path, what, keys, aliases=True)
    validate(located, name)
    return located


def schema_problems(located: Located, name: str, special: Special | None = None) -> list[Problem]:
    errors = sorted(full_validator(name).iter_errors(located.data), key=lambda e: list(map(str, e.absolute_path)))
    problems = []
    seen = set()
    for err in errors:
        for leaf in _leaf_errors(err):        # anyOf/oneOf wrappers: the innermost, most specific errors
            path, msg = (special and special(leaf, tuple(leaf.absolute_path))) or message(leaf, located)
            if (path, msg) in seen:
                continue
            seen.add((path, msg))
            required = leaf.validator == "required"
            problems.append(Problem(located.source(path), msg, REQUIRED if required else "",
                                    required_key(leaf) if required else ""))
    return problems


def _leaf_errors(err: jsonschema.ValidationError):
    if err.context:
        for sub in err.context:
            yield from _leaf_errors(sub)
    else:
        yield err


_TYPE_ZH = {"number": "数字", "string": "文字", "integer": "整数", "object": "“键: 值”映射",
            "array": "列表（每项以“-”开头）", "null": "空", "boolean": "是/否"}


def expected_types(t: Any) -> str:
    types = [t] if isinstance(t, str) else list(t)
    return "或".join(_TYPE_ZH.get(x, x) for x in types if x != "null")


def _known_keys(error: jsonschema.ValidationError) -> list[str]:
    props = error.schema.get("properties") if isinstance(error.schema, dict) else None
    return list(props or {})


def required_key(error: jsonschema.ValidationError) -> str:
    """The key a "required" error is about ("'金额单位' is a required property" → 金额单位)."""
    return error.message.split("'")[1] if "'" in error.message else error.message


def _described(error: jsonschema.ValidationError) -> str:
    """The schema's short description of the place, as a hint in brackets (or nothing)."""
    text = error.schema.get("description") if isinstance(error.schema, dict) else None
    return f"（{text}）" if text else ""


def message(error: jsonschema.ValidationError, located: Located) -> tuple[tuple, str]:
    """(path, Chinese message) for one schema error."""
    path = tuple(error.absolute_path)
    v, inst = error.validator, error.instance
    if v == "additionalProperties":
        return _unknown_key(error, path)
    if v == "required":
        return path, f"缺少必填项“{required_key(error)}”"
    if v == "type":
        if isinstance(inst, bool):
            word = located.shown(path, inst)
            expected = "数字" if "number" in error.validator_value else expected_types(error.validator_value)
            return path, f"应为{expected}，实际是“{word}”（YAML 把“{word}”读作是/否值；要写这个词请加引号）"
        return path, f"应为{expected_types(error.validator_value)}，实际是{show(inst)}"
    if v == "enum":
        return path, f"应为以下之一：{'、'.join(map(str, error.validator_value))}，实际是{show(inst)}"
    if "propertyNames" in error.relative_schema_path:
        return path + (inst,), f"键“{inst}”不合要求{_described(error)}"
    if v == "pattern":
        return path, f"格式不对：“{inst}”{_described(error)}"
    if v in ("minimum", "maximum"):
        return path, f"数值“{inst}”超出范围（{'不小于' if v == 'minimum' else '不大于'} {error.validator_value}）"
    if v == "minLength":
        return path, "不能为空"
    if v in ("minItems", "maxItems"):
        return path, _count(error)
    return path, f"写法不对{_described(error)}"


def _unknown_key(error: jsonschema.ValidationError, path: tuple) -> tuple[tuple, str]:
    known = _known_keys(error)
    inst = error.instance
    extra = [k for k in inst if k not in known] if isinstance(inst, dict) else []
    key = extra[0] if extra else "?"
    hint = difflib.get_close_matches(key, known, n=1, cutoff=0.4)
    tip = f"，是否应为“{hint[0]}”？" if hint else "。"
    allowed = "、".join(known[:12]) + ("……" if len(known) > 12 else "")
    return path + (key,), f"未知的键“{key}”{tip}此处可用的键：{allowed}"


def _count(error: jsonschema.ValidationError) -> str:
    low, high = error.schema.get("minItems"), error.schema.get("maxItems")
    actual = len(error.instance)
    if low == high:
        return f"应为 {low} 项，实际有 {actual} 项"
    if error.validator == "minItems":
        return "列表不能为空" if low == 1 else f"应至少有 {low} 项，实际有 {actual} 项"
    return f"应至多有 {high} 项，实际有 {actual} 项"


def show(value: Any) -> str:
    if isinstance(value, dict):
        return "“键: 值”映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, bool):
        return f"是/否值“{value}”"
    if value is None:
        return "空"
    return f"“{value}”"
