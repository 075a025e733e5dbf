"""Plain unit data → YAML text in the style of data/examples (used by ``juesuan import``).

Keys in data-format order (the order of the properties in unit.schema.json, which follows
docs/data-format.md), Chinese keys as they are, codes quoted ("201"), amounts as plain decimals
with two places (163522.43, never a float), counts as integers, texts with line breaks as ``|``
blocks, a blank line between the top-level sections. Reading the text back with
`generator.load.yaml_reader.read_yaml` gives the same plain data.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import yaml

from ..load.schema import schema

CENT = Decimal("0.01")
_RESOLVER = yaml.resolver.Resolver()
_INDICATORS = tuple("-?:,[]{}#&*!|>'\"%@`")
_CODE = re.compile(r"^[0-9]+$")


# ---------------------------------------------------------------- schema order

def _resolve(node: Any) -> dict:
    """A schema node with $ref followed and allOf merged (properties in order)."""
    if not isinstance(node, dict):
        return {}
    root = schema("unit")
    marks = {k: v for k, v in node.items() if k.startswith("x-")}   # our annotations beside a $ref
    while "$ref" in node:
        ref = node["$ref"].split("/")[-1]
        node = root["$defs"][ref]
    if "allOf" in node:
        merged: dict[str, Any] = {"properties": {}}
        for part in node["allOf"]:
            sub = _resolve(part)
            for k, v in sub.get("properties", {}).items():
                if k not in merged["properties"] or merged["properties"][k] is True:
                    merged["properties"][k] = v
            for k in ("additionalProperties", "items"):
                if k in sub:
                    merged[k] = sub[k]
        return merged
    return node | marks if marks else node


def _ordered(mapping: dict, node: dict) -> list[tuple[str, Any, dict]]:
    """(key, value, child schema) in schema order; keys the schema does not list keep their order."""
    props = node.get("properties") or {}
    extra = node.get("additionalProperties")
    keys = [k for k in props if k in mapping] + [k for k in mapping if k not in props]
    out = []
    for k in keys:
        child = props.get(k)
        if child is None or child is True:
            child = extra if isinstance(extra, dict) else {}
        out.append((k, mapping[k], _resolve(child)))
    return out


# ---------------------------------------------------------------- scalars

def scalar(value: Any, as_written: bool = False) -> str:
    """One value as YAML text; an amount with two places unless the schema marks it ``x-as-written``
    (a 自评表 figure prints with the places it was written with: 0.2, 92.635, 10)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        padded = not as_written and value.as_tuple().exponent >= -2   # type: ignore[operator]
        q = value.quantize(CENT) if padded else value
        return format(q, "f")
    if isinstance(value, int):
        raw = getattr(value, "raw", None)
        return json.dumps(raw) if raw and raw != str(int(value)) else str(int(value))
    if isinstance(value, float):
        raise TypeError("金额不能是二进制浮点数")
    return string(str(value))


def needs_quotes(s: str) -> bool:
    if s == "" or s != s.strip() or s.startswith(_INDICATORS):
        return True
    if ": " in s or " #" in s or s.endswith(":") or "\t" in s or "\n" in s:
        return True
    if any(ord(ch) < 32 or ord(ch) == 0x7F or ch in "\u2028\u2029\ufeff\x85" for ch in s):
        return True
    return _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str"


def string(s: str) -> str:
    if _CODE.match(s) or needs_quotes(s):
        return json.dumps(s, ensure_ascii=False)
    return s


def block_ok(s: str) -> bool:
    """A text that a literal block keeps exactly."""
    if "\n" not in s.rstrip("\n") and not s.endswith("\n"):
        return False
    body = s.lstrip("\n")
    if not body or body[0] in " \t" or s.startswith("\n"):
        return False
    return not any((ord(ch) < 32 and ch != "\n") or ch in "\u2028\u2029\ufeff\x85\x7f" for ch in s)


def block(s: str, indent: int) -> list[str]:
    chomp = "-" if not s.endswith("\n") else ("+" if s.endswith("\n\n") else "")
    body = s[:-1] if s.endswith("\n") else s
    pad = " " * indent
    return ["|" + chomp] + [(pad + line) if line else "" for line in body.split("\n")]


# ---------------------------------------------------------------- nodes

def _emit(key_text: str, value: Any, node: dict, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            out.append(f"{pad}{key_text}: {{}}")
            return
        out.append(f"{pad}{key_text}:")
        for k, v, child in _ordered(value, node):
            _emit(string(str(k)), v, child, indent + 2, out)
    elif isinstance(value, list):
        if not value:
            out.append(f"{pad}{key_text}: []")
            return
        out.append(f"{pad}{key_text}:")
        item_node = _resolve(node.get("items") or {})
        for item in value:
            _emit_item(item, item_node, indent + 2, out)
    elif isinstance(value, str) and block_ok(value):
        lines = block(value, indent + 2)
        out.append(f"{pad}{key_text}: {lines[0]}")
        out.extend(lines[1:])
    else:
        text = scalar(value, bool(node.get("x-as-written")))
        out.append(f"{pad}{key_text}:" + (f" {text}" if text else ""))


def _emit_item(item: Any, node: dict, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(item, dict) and item:
        first = True
        for k, v, child in _ordered(item, node):
            sub: list[str] = []
            _emit(string(str(k)), v, child, indent + 2, sub)
            if first:
                sub[0] = pad + "- " + sub[0][indent + 2:]
                first = False
            out.extend(sub)
    elif isinstance(item, str) and block_ok(item):
        lines = block(item, indent + 2)
        out.append(f"{pad}- {lines[0]}")
        out.extend(lines[1:])
    elif isinstance(item, (dict, list)):
        out.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]'}")
    else:
        out.append(f"{pad}- {scalar(item, bool(node.get('x-as-written')))}")


def dump_unit(data: dict, header: list[str] | None = None) -> str:
    """The unit's plain data as YAML text (UTF-8, LF line ends, final newline)."""
    # a header line is a comment line: one that holds line breaks (a message quoting several) is split
    out: list[str] = [f"# {line}" if line else "#" for text in header or [] for line in str(text).splitlines() or [""]]
    root = _resolve(schema("unit"))
    previous_complex = False
    for i, (k, v, child) in enumerate(_ordered(data, root)):
        complex_value = isinstance(v, (dict, list)) and bool(v) or (isinstance(v, str) and block_ok(v))
        if i and (complex_value or previous_complex):
            out.append("")
        _emit(string(str(k)), v, child, 0, out)
        previous_complex = complex_value
    return "\n".join(out) + "\n"
