"""Load a unit's data file: YAML → structure check (JSON Schema) → typed model.

Every problem names the file, the line and the key path, and says what was expected; all
problems found are reported together (InputError), nothing is half-loaded.

The structure check is ``structure.py``, the typed model ``builder.py``; this module chooses
the reader by the file's suffix (``READERS``) and runs the three in order. ``excel_reader`` is
imported only for a workbook, and imports neither this module nor anything that imports it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError, Problem, special_file
from ..model import Source, Unit
from .builder import IDENTITY_KEYS, MAX_INTEGER_DIGITS, Builder, clean_text, holds_only_attachments
from .structure import validate_structure
from .yaml_reader import Located, read_yaml

__all__ = ["READERS", "MAX_TEXT_CHARS", "read_located", "load_unit", "read_yaml", "read_xlsx", "read_xls",
           # the structure check and the typed model, where callers found them before they had modules
           "validate_structure", "Builder", "clean_text", "holds_only_attachments",
           "IDENTITY_KEYS", "MAX_INTEGER_DIGITS"]


def read_xlsx(path: Path) -> Located:
    """Excel workbook (.xlsx/.xlsm) → Located (load.excel_reader, imported only for a workbook)."""
    from .excel_reader import read_xlsx
    return read_xlsx(path)


def read_xls(path: Path) -> Located:
    """.xls: an old-format workbook gets the conversion message; an .xlsx misnamed .xls is read
    (load.excel_reader)."""
    from .excel_reader import read_xls
    return read_xls(path)


READERS = {".yaml": read_yaml, ".yml": read_yaml, ".xlsx": read_xlsx, ".xlsm": read_xlsx, ".xls": read_xls}   # suffix -> reader returning Located


def read_located(path: Path | str) -> Located:
    """Any supported unit file -> its plain values and their places, structure-checked."""
    path = Path(path)
    try:
        special = special_file(path)    # a pipe, a device, a folder: whatever its name says
    except OSError:
        special = None                  # missing, no permission: the reader names it
    if special:
        raise InputError([Problem(Source(str(path)), f"无法读取文件：{special}")])
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError([Problem(Source(str(path)), f"应为单位数据文件（{'、'.join(sorted(READERS))}）")])
    located = reader(path)
    _refuse_long_texts(located)
    validate_structure(located)
    return located


MAX_TEXT_CHARS = 30_000     # one field; the longest text of a real report (a 评价报告 section) is a few thousand


def _refuse_long_texts(located: Located) -> None:
    """A text far longer than any report holds is refused at once, with its place, rather than
    laid out for minutes (a pasted document, a runaway copy)."""
    problems = []

    def walk(value: Any, parts: tuple) -> None:
        if isinstance(value, str):
            if len(value) > MAX_TEXT_CHARS:
                problems.append(Problem(located.source(parts),
                                        f"文字过长（{len(value)} 字）：一栏最多 {MAX_TEXT_CHARS} 字；决算公开中一段说明通常只有"
                                        "几百到几千字，请检查是否误粘贴了整篇文件或重复的内容"))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, parts + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, parts + (i,))

    walk(located.data, ())
    if problems:
        raise InputError(problems)


def load_unit(path: Path | str) -> Unit:
    """Any supported unit file -> typed model. Readers differ; checking and building do not."""
    return Builder(read_located(path)).build()
