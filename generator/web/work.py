"""What the web workspace runs in worker processes (never in the server's request thread).

``check_upload``: one uploaded file → the findings exactly as ``juesuan check FILE --format json``
prints them for a file of that name (the same ``pipeline.prepare`` → ``check.report.to_json``; the
check runs in the version's own folder, so every location names the file as uploaded, not a
server path), each with the place in the report it concerns (``preview.finding_views``), and the
draft preview: the HTML the PDF is made from, with the review watermark, written beside the upload.

``render_version``: a checked version → its DOCX and PDF in a reports folder of its own
(``pipeline.render``: written to temporary names, renamed together), so a failed render leaves
every earlier report as it was.

Both take and return plain data (they run in ``pool.WorkerPool``'s workers: under a memory limit,
each call under a time limit).
"""
from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import traceback
from pathlib import Path

CHECKED, UNREADABLE = "checked", "unreadable"      # store.CHECKED, store.UNREADABLE
PREVIEW_NAME = "preview.html"
# last year's published report a unit uploaded (a PDF), kept in each version's folder beside the data
# file and carried to the next version: the 上年 figures come from it when the data gives none
PREVIOUS_NAME = "上年报告.pdf"


def previous_of(data_file: Path) -> Path | None:
    """The 上年 report stored beside a version's data file, if any."""
    found = Path(data_file).parent / PREVIOUS_NAME
    return found if found.is_file() else None
WATERMARK = "草稿 仅供内部审核"


def init_worker(profiles: tuple[str, ...] = ()) -> None:
    """Ctrl-C is the server's to handle; the worker ends with the server (Linux: even when the
    server is killed); the workspace's profile folder is searched before templates/ (a spawned
    worker has none of the server's state); the pipeline is loaded before the first upload."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .. import search_path
    search_path.set_user_roots(profiles)
    from ..batch.worker import die_with_parent
    die_with_parent()
    for module in ("..pipeline", "..check.report"):
        importlib.import_module(module, __package__)


def warm_up() -> int:
    return os.getpid()


def _marking():
    from ..compose.document import Marking
    return Marking.of(WATERMARK, "watermark")


def check_upload(folder: str, filename: str, unit_name: str) -> dict:
    """Check ``folder/filename`` (a version just stored) as the unit ``unit_name``'s data."""
    from ..check.report import table_title, to_json
    from ..errors import InputError, format_problem
    from ..pipeline import prepare
    from ..preview import finding_views
    from ..atomic import write_bytes
    from ..write.html_writer import render_html
    from .naming import unit_key

    path = Path(filename)
    back = os.getcwd()
    os.chdir(folder)                    # locations then name the file as uploaded
    try:
        result = prepare(path, draft=True, marking=_marking(), allow_previous=False,
                         previous=Path(PREVIOUS_NAME) if Path(PREVIOUS_NAME).is_file() else None)
    except InputError as exc:
        return {"status": UNREADABLE, "problems": [format_problem(p) for p in exc.problems]}
    except MemoryError:                 # the worker's memory limit: the pool reports it (pool.WorkerLimit)
        raise
    except Exception as exc:            # a bug: still one clear message, the upload is kept
        return {"status": UNREADABLE, "problems": [
            f"{filename}：程序内部出错（{type(exc).__name__}: {exc}）；请把此信息和数据文件交给维护人员"],
            "internal": traceback.format_exc(limit=5)}
    finally:
        os.chdir(back)
    if unit_key(result.unit.name) != unit_key(unit_name):     # compared after NFKC, invisible characters aside
        return {"status": UNREADABLE, "problems": [
            f"{filename}：数据中的单位名称是“{result.unit.name}”，不是“{unit_name}”：请上传本单位的数据"
            f"（或请部门财务为“{result.unit.name}”开设单位）"]}
    findings = json.loads(to_json([(filename, result.findings)]))
    profile = result.derived.profile
    views = [{"href": v.href, "place": v.place, "group": table_title(f.table, profile), "source": v.source}
             for f, v in zip(result.findings, finding_views(result))]
    write_bytes(Path(folder) / PREVIEW_NAME, render_html(result.document).encode("utf-8"))
    last = result.unit.last_year
    return {"status": CHECKED, "findings": findings, "views": views, "unit": result.unit.name,
            "year": result.unit.year, "profile": result.unit.profile,
            "last_year": ("" if last is None else "report" if last.src.file == PREVIOUS_NAME else "data")}


def audit_report(folder: str, filename: str) -> dict:
    """``juesuan audit`` of a published report's PDF (``folder/filename``): its findings as the
    command's JSON prints them, grouped by table, the profile, unit and year read, and how many
    findings about what a PDF does not give were left out; or the problems that stop reading it."""
    from ..check.report import table_title, to_json
    from ..cli_audit import audit
    from ..errors import InputError, format_problem
    back = os.getcwd()
    os.chdir(folder)                    # locations name the file as uploaded
    try:
        derived, findings, left_out = audit(Path(filename))
    except InputError as exc:
        return {"status": UNREADABLE, "problems": [format_problem(p) for p in exc.problems]}
    except MemoryError:
        raise
    except Exception as exc:            # a bug: one clear message
        return {"status": UNREADABLE, "problems": [
            f"{filename}：程序内部出错（{type(exc).__name__}: {exc}）；请把此信息和文件交给维护人员"],
            "internal": traceback.format_exc(limit=5)}
    finally:
        os.chdir(back)
    rows = json.loads(to_json([(filename, findings)]))
    for row, f in zip(rows, findings):
        row["group"] = table_title(f.table, derived.profile)
        row["source"] = str(f.source)
    return {"status": CHECKED, "findings": rows, "profile": derived.profile.name, "unit": derived.unit.name,
            "year": derived.unit.year, "left_out": left_out}


def check_profiles(folder: str) -> dict:
    """``juesuan profile check`` of the workspace's profile folder: its profiles (name, display
    name, file) and every problem, located, as the command prints them."""
    from .. import search_path
    from ..cli_profiles import check_folder
    from ..errors import format_problem
    from ..profile import load_profile
    root = Path(folder)
    if not root.is_dir():
        return {"profiles": [], "problems": [], "missing": True}
    checked: list[str] = []
    problems = [format_problem(p) for p in check_folder(root, checked)]
    rows = []
    for name in search_path.in_folder("profiles", root / "profiles"):
        label = load_profile(name).display_name if name in checked else ""
        rows.append({"name": name, "label": label, "ok": name in checked})
    return {"profiles": rows, "problems": problems, "missing": False}


def render_version(folder: str, filename: str, out_dir: str, draft: bool) -> dict:
    """DOCX and PDF of a checked version into ``out_dir``; a draft also when the check found
    errors. Returns {"outputs": [file names], "errors": n} or {"refused": [findings text]}."""
    from ..pipeline import ChecksFailed, render
    back = os.getcwd()
    os.chdir(folder)
    try:
        result = render(Path(filename), Path(out_dir), ("docx", "pdf"), force=draft, draft=draft,
                        marking=_marking() if draft else None, previous=previous_of(Path(filename)))
    except ChecksFailed as exc:
        return {"refused": len(exc.result.errors)}
    finally:
        os.chdir(back)
        gc.collect()                    # WeasyPrint's cyclic garbage (see generator/batch.py)
    return {"outputs": [p.name for p in result.outputs], "errors": len(result.errors)}


def consolidate_versions(files: list[str], name: str, out: str) -> dict:
    """``juesuan consolidate`` of version files (the 本级 first) into ``out``: {"status": "ok",
    "warnings", "eliminated", "units"} or {"status": "refused", "problems"} (a unit that cannot be
    read, years or profiles that differ, the same unit twice, a unit whose check finds errors)."""
    from ..atomic import write_bytes
    from ..cli_consolidate import department_file, read_members
    from ..consolidation import check_members, consolidate
    from ..errors import InputError, format_problem
    try:
        members, failing = read_members([Path(f) for f in files], allow_previous=False, previous_of=previous_of)
        problems = check_members(members)
        if problems:
            raise InputError(problems)
    except InputError as exc:
        return {"status": "refused", "problems": [format_problem(p) for p in exc.problems]}
    if failing:
        return {"status": "refused", "problems": [
            f"{next(m.unit.name for m in members if m.path == path)}：当前版本的检查有 {len(errors)} 个错误，"
            "请先改正再汇总" for path, errors in failing]}
    result = consolidate(members, name)
    write_bytes(Path(out), department_file(members, result, "工作区的“部门汇总”"))
    return {"status": "ok", "warnings": result.warnings, "units": [m.unit.name for m in members],
            "eliminated": {k: str(v) for k, v in result.eliminated.items()}}

