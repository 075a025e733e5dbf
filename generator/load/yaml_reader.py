"""Read a unit's YAML file into plain Python values, keeping the line of every value.

PyYAML's safe loader (libyaml's CSafeLoader when available) composes the node tree (no object construction from tags at all); we
build the values ourselves so that:
  * numbers keep their written text and become Decimal (``100660.30`` is never a float),
  * unquoted codes keep their digits (``0201`` is not octal, ``2011301`` is not an int),
  * every value's key path maps to its 1-based line for messages.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem, os_reason, special_file
from ..model import Source

MAX_BYTES = 5 * 1024 * 1024   # a unit file is a few dozen KB; refuse anything absurd
# values (keys, scalars, lists, mappings) one file may hold: the largest example has under 2,000;
# a unit of 2,000 项 rows in every table and 200 项目自评表 about 90,000 (benchmarks/input_cost.py).
# Counted while parsing, before a node is built
MAX_NODES = 150_000
MAX_DEPTH = 50      # lists and mappings inside each other: a unit file has at most 6 levels
# libyaml's safe loader when PyYAML was built with it (7x faster); same nodes, same marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


class RawInt(int):
    """An int that remembers how it was written (for codes such as 0201)."""

    raw: str

    def __new__(cls, raw: str) -> "RawInt":
        obj = super().__new__(cls, int(raw.replace("_", ""), 10))
        obj.raw = raw
        return obj


def path_str(parts: tuple) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class Located:
    """The plain values of one unit file and where each key path came from.

    A YAML reader fills ``lines`` (key path -> 1-based line); a workbook reader fills ``cells``
    (key path -> "收入决算表!D7"). Either way the rest of loading is the same.
    """

    def __init__(self, file: str, data: Any, lines: dict[tuple, int] | None = None,
                 cells: dict[tuple, str] | None = None, words: dict[tuple, str] | None = None,
                 files: dict[tuple, str] | None = None, typed: list | None = None, unread: list | None = None,
                 printed: list | None = None, published: bool = False, printed_text: list | None = None):
        self.file = file
        self.data = data
        self.lines = lines or {}
        self.cells = cells or {}
        self.words = words or {}     # key path -> the word YAML read as true/false (yes, no, on …)
        self.files = files or {}     # key path -> the file that wrote it, when not ``file`` (overlay)
        self.typed = typed or []     # workbook: model.TypedFigure, figures typed into computed (grey) cells
        self.printed = printed or []  # a published report's PDF: model.TypedFigure, what it prints in computed cells
        self.published = published    # read from a published report's PDF (pdf_import)
        self.printed_text = printed_text or []  # its narrative: model.PrintedSentence
        self.unread = unread or []   # workbook: model.Unread, content where nothing is read

    def shown(self, parts: tuple, value: Any) -> str:
        """A value as the user wrote it, for messages: “yes”, not “True”."""
        return self.words.get(tuple(parts), str(value))

    def source(self, parts: tuple) -> Source:
        """The nearest enclosing path that has a line or a cell."""
        p = tuple(parts)
        while p and p not in self.lines and p not in self.cells:
            p = p[:-1]
        return Source(self.files.get(p, self.file), self.lines.get(p), path_str(tuple(parts)), self.cells.get(p))

    def all_sources(self) -> dict[str, Source]:
        keys = set(self.lines) | set(self.cells)
        return {path_str(k): Source(self.files.get(k, self.file), self.lines.get(k), path_str(k), self.cells.get(k))
                for k in keys}


def overlay(base: Located, over: Located) -> Located:
    """``over`` written on top of ``base`` (a profile's 继承): mappings merge key by key, any other
    value replaces the base's. Every key path keeps the file and line of the file that wrote it;
    the whole is ``over``'s file."""
    lines: dict[tuple, int] = {}
    files: dict[tuple, str] = {}
    words: dict[tuple, str] = {}

    def place(path: tuple, loc: Located) -> None:
        if path in loc.lines:
            lines[path] = loc.lines[path]
            files[path] = loc.files.get(path, loc.file)
        if path in loc.words:
            words[path] = loc.words[path]

    def merge(a: Any, b: Any, path: tuple) -> Any:
        place(path, over)
        out = dict(a)
        for k, v in b.items():
            p = path + (k,)
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                out[k] = merge(a[k], v, p)
            else:
                out[k] = v
                walk(v, p, over)
        for k in out.keys() - b.keys():
            walk(out[k], path + (k,), base)
        return out

    def walk(value: Any, path: tuple, loc: Located) -> None:
        place(path, loc)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in items:
            walk(v, path + (k,), loc)

    data = merge(base.data, over.data, ())
    return Located(over.file, data, lines, words=words, files=files)


def read_yaml(path: Path, what: str = "单位数据", keys: str = "单位名称、年度", aliases: bool = False) -> Located:
    """A YAML file of ``what`` (单位数据, 模板, 表格版式, 目录), whose first ``keys`` messages name.

    ``aliases``: whether YAML anchors and aliases (``&a`` … ``*a``) are read. A unit file has no
    use for them and is refused at the first one, while parsing, before anything is expanded (a
    few nested aliases otherwise expand to billions of values); the project's own templates may
    use them, and what they expand to is bounded by ``MAX_NODES`` like everything else."""
    name = str(path)
    try:
        special = special_file(path)
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(Source(name), f"无法读取文件：{os_reason(exc)}")]) from None
    if special:
        raise InputError([Problem(Source(name), f"无法读取文件：{special}")])
    if size > MAX_BYTES:
        raise InputError([Problem(Source(name), f"文件过大（{size // 1024} KB），{what}文件应小于 {MAX_BYTES // 1024 // 1024} MB")])
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)        # never more, whatever the file became since stat
        if len(raw) > MAX_BYTES:
            raise InputError([Problem(Source(name), f"文件过大，{what}文件应小于 {MAX_BYTES // 1024 // 1024} MB")])
        # as read_text would: line ends \r\n and \r read as \n
        text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(Source(name), f"文件不是 UTF-8 编码的文本（第 {exc.start} 字节）；请另存为 UTF-8")]) from None
    except OSError as exc:
        raise InputError([Problem(Source(name), f"无法读取文件：{os_reason(exc)}")]) from None
    try:
        _prescan(text, name, what, aliases)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f"（第 {mark.column + 1} 列）" if mark else ""
        raise InputError([Problem(Source(name, line), f"YAML 语法错误{where}：{_yaml_problem(exc)}")]) from None
    except yaml.reader.ReaderError:      # a character YAML does not accept (NUL, other controls)
        bad = _CONTROL.search(text)    # libyaml reports a byte offset, PyYAML a character index
        before = text[:bad.start()] if bad else ""
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        code = ord(bad.group()) if bad else 0
        raise InputError([Problem(Source(name, line), f"第 {column} 列有不可见的控制字符（U+{code:04X}），"
                                                      "常见于从别处复制来的文字；请删除它再保存")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(Source(name), f"YAML 语法错误：{_plain(str(exc))}")]) from None
    if node is None:
        raise InputError([Problem(Source(name), f"文件是空的，应为{what}（{keys}……）")])
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    words: dict[tuple, str] = {}
    data = _build(node, (), lines, problems, name, words, [MAX_NODES])
    if problems:
        raise InputError(problems)
    if not isinstance(data, dict):
        raise InputError([Problem(Source(name, node.start_mark.line + 1), f"文件顶层应为“键: 值”的映射（{keys.split('、')[0]}: …）")])
    return Located(name, data, lines, words=words)


def _prescan(text: str, name: str, what: str, aliases: bool) -> None:
    """One pass over the parser's events, holding one event at a time: refuse an anchor or an alias
    (unless ``aliases``), more than ``MAX_NODES`` values and nesting deeper than ``MAX_DEPTH``
    (the composer and the checks recurse), before any node is composed."""
    count = depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if not isinstance(event, yaml.NodeEvent):
            continue
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError([Problem(Source(name, event.start_mark.line + 1),
                                          f"第 {event.start_mark.column + 1} 列：列表或映射嵌套超过 {MAX_DEPTH} 层；"
                                          f"{what}文件最多只有几层，请检查括号“[”“{{”是否多写或没有闭合")])
        if not aliases and (event.anchor is not None):
            line = event.start_mark.line + 1
            column = event.start_mark.column + 1
            if isinstance(event, yaml.AliasEvent):
                said = f"第 {column} 列是 YAML 别名“*{event.anchor}”（引用别处的内容）"
            else:
                said = f"第 {column} 列起是 YAML 锚点“&{event.anchor}”"
            raise InputError([Problem(Source(name, line), f"{said}：{what}文件不支持锚点“&”和别名“*”，请把内容直接写出；"
                                                          "文字以 & 或 * 开头时请加引号")])
        count += 1
        if count > MAX_NODES:
            raise InputError([Problem(Source(name, event.start_mark.line + 1),
                                      f"文件中的数据项过多（已超过 {MAX_NODES:,} 个）：{what}文件通常只有几千个数据项，"
                                      "请检查是否误粘贴了大量重复的内容")])


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

_PROBLEM_ZH = {
    "could not find expected ':'": "找不到应有的冒号“:”（“键: 值”的冒号后要有一个空格）",
    "mapping values are not allowed": "此处不允许出现“键: 值”（常见原因：冒号后缺空格、缩进不对或文字里有未加引号的冒号）",
    "found character '\\t' that cannot start any token": "含有制表符（Tab）；YAML 只能用空格缩进，请把 Tab 换成空格",
    "found a tab character": "含有制表符（Tab）；YAML 只能用空格缩进，请把 Tab 换成空格",
    "found character that cannot start any token": "这个字符不能作为值的开头（如 @、`、%）；请给整个值加上引号",
    "did not find expected key": "缩进不对齐，找不到应有的键（同一层的键要左对齐）",
    "found undefined alias": "引用了未定义的别名（“*”开头的值；文字以 * 开头时请加引号）",
    "expected <block end>, but found '-'": "列表项“-”的缩进不对",
    "expected <block end>": "缩进不对齐（同一层的键或列表项要左对齐）",
    "did not find expected '-' indicator": "列表项缺少“-”",
    "did not find expected ',' or ']'": "方括号 [ … ] 没有闭合：缺少“]”，或两项之间缺少逗号",
    "did not find expected ',' or '}'": "花括号 { … } 没有闭合：缺少“}”，或两项之间缺少逗号",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合）",
    "found unknown escape character": "双引号字符串里有未知的转义符“\\”（要写反斜杠请用单引号，或写成“\\\\”）",
    "found duplicate anchor": "锚点（“&”开头）重复定义",
    "expected a comment or a line break": "值的后面还有多余的文字（常见原因：引号后面还有字）",
    "exceeded maximum nesting depth": "列表或映射嵌套层数过多（请检查括号“[”“{”是否多写或没有闭合）",
    "expected alphabetic or numeric character": "“&”或“*”后面应为名称（文字以 & 或 * 开头时请加引号）",
}


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").strip()
    for en, zh in _PROBLEM_ZH.items():
        if problem.startswith(en):
            return zh
    return _plain(problem or str(exc))


def _plain(text: str) -> str:
    """A message of the parser we have no translation for: its first line, marked as such."""
    first = text.strip().splitlines()[0] if text.strip() else "格式不对"
    return f"格式不对（解析器：{first}）"


_PLAIN_NUMBER = re.compile(r"^[-+]?[0-9][0-9_]*(\.[0-9]*)?$")


def _build(node: yaml.Node, path: tuple, lines: dict, problems: list, name: str, words: dict, budget: list) -> Any:
    """``budget``: [values still allowed]; with aliases (templates) the tree can hold more values
    than the file has nodes, and each one costs a line entry: refused past MAX_NODES, and deeper
    than MAX_DEPTH (an alias inside what it names would recurse for ever)."""
    budget[0] -= 1
    if budget[0] < 0 or len(path) > MAX_DEPTH:
        said = f"超过 {MAX_NODES:,} 个" if budget[0] < 0 else f"嵌套超过 {MAX_DEPTH} 层"
        raise InputError([Problem(Source(name, node.start_mark.line + 1, path_str(path[:MAX_DEPTH])),
                                  f"文件展开后的数据项过多（{said}，常因锚点“&”与别名“*”层层引用）")])
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                problems.append(Problem(Source(name, knode.start_mark.line + 1, path_str(path)), "键必须是简单的文字"))
                continue
            if knode.tag == "tag:yaml.org,2002:merge":
                problems.append(Problem(Source(name, knode.start_mark.line + 1, path_str(path)), "不支持 YAML 合并键“<<”"))
                continue
            key = knode.value.strip()
            if key in out:
                problems.append(Problem(Source(name, knode.start_mark.line + 1, path_str(path + (key,))),
                                        f"键“{key}”重复出现（第 {lines[path + (key,)]} 行已有）"))
                continue
            lines[path + (key,)] = knode.start_mark.line + 1
            out[key] = _build(vnode, path + (key,), lines, problems, name, words, budget)
            lines[path + (key,)] = knode.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, problems, name, words, budget) for i, item in enumerate(node.value)]
    # scalar
    value = node.value
    if node.style in ("'", '"', "|", ">"):
        return value
    tag = node.tag
    if tag == _NULL:
        return None
    if tag == _BOOL:
        words[path] = value
        return value.lower() in ("true", "yes", "on", "y")
    if tag == _INT and re.fullmatch(r"[-+]?[0-9][0-9_]*", value):
        return RawInt(value)
    if tag in (_INT, _FLOAT):
        if _PLAIN_NUMBER.match(value):
            try:
                return Decimal(value.replace("_", ""))
            except InvalidOperation:
                pass
        problems.append(Problem(Source(name, node.start_mark.line + 1, path_str(path)),
                                f"“{value}”不是普通的十进制数字"))
        return None
    return value
