"""A unit's problems, findings and crashes as the batch reports them: one line each, the place
shown without the unit's own file name when it is that file."""
from __future__ import annotations

import traceback
from pathlib import Path

from ..errors import Problem, format_problem


def problem_text(p: Problem, unit_path: Path) -> str:
    try:
        same = Path(p.source.file).resolve() == unit_path
    except (OSError, ValueError):
        same = False
    if same:
        return "：".join(p.source.place() + [p.message])
    return format_problem(p)


def _finding_text(f, unit_path: Path) -> str:
    place = " · ".join(x for x in (f.row, f.column) if x)
    table = f"{f.table}表" if f.table[:1].isdigit() else f.table
    head = " ".join(x for x in (f.severity, f.rule, table, place) if x)
    src = f.source
    where = src.place()
    try:
        if src.file and not src.file.startswith("<") and Path(src.file).resolve() != unit_path:
            where.insert(0, Path(src.file).name)
    except (OSError, ValueError):
        pass
    return f"{head}：{f.message}" + (f"（位置：{'：'.join(where)}）" if where else "")


def finding_messages(findings, unit_path: Path) -> tuple[list[str], int, int]:
    from ..check import ERROR
    from ..check.registry import WARNING
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    return [_finding_text(f, unit_path) for f in errors + warnings], len(errors), len(warnings)


def crash_text(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"（{Path(frames[-1].filename).name} 第{frames[-1].lineno}行）" if frames else ""
    return f"程序内部出错：{type(exc).__name__}: {exc}{where}；请把此信息和数据文件交给维护人员"
