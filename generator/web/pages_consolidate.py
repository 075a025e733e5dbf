"""部门汇总 (issue 27): the admin consolidates the current versions of chosen units into the
department's data, which becomes a new version of the department's own unit in the workspace —
checked, previewed and downloaded there like any unit's (a unit of that name is created when
there is none). `juesuan consolidate` does the adding up (generator/consolidation.py)."""
from __future__ import annotations

import hashlib
import os
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import work
from .api import _store_version, check_version
from .common import Refused, _check_csrf, _ip, _page, _require, _require_admin, _ws
from .pool import WorkerLimit
from .store import StoreError

FILENAME = "部门汇总.yaml"


def _choices(ws) -> list[dict]:
    """The units with a current version, to choose from."""
    out = []
    for unit in ws.store.units():
        if unit.current_version is None:
            continue
        version = ws.store.version(unit.current_version)
        out.append({"unit": unit, "version": version})
    return out


async def consolidate_page(request: Request) -> Response:
    account, _ = _require(request)
    _require_admin(account)
    return _page(request, "consolidate.html.j2", choices=_choices(_ws(request)), problems=[], chosen=[], own="",
                 name="")


async def consolidate_submit(request: Request) -> Response:
    account, csrf = _require(request)
    _require_admin(account)
    form = await request.form(max_files=0, max_fields=10000)
    await _check_csrf(request, csrf, form)
    ws = _ws(request)
    name = str(form.get("name", ""))[:300].strip()
    own = str(form.get("own", ""))[:300]
    chosen = list(dict.fromkeys(str(n)[:300] for n in form.getlist("units")))
    choices = {c["unit"].name: c for c in _choices(ws)}
    problems = []
    if not name:
        problems.append("请填写部门名称（汇总后报告的单位名称）")
    if own not in choices:
        problems.append("请选择本级（部门机关本身的数据）")
    members = [own] + [n for n in chosen if n != own and n in choices] if own in choices else []
    if len(members) < 2:
        problems.append("请至少选择一个所属单位（本级之外）")
    if name and name in members:
        problems.append(f"部门名称“{name}”是所选单位之一：部门的数据另存为一个单位，请换一个名称（如不带“（本级）”）")
    if not problems:
        files = [str(ws.store.version_dir(choices[n]["unit"], choices[n]["version"].id) / choices[n]["version"].filename)
                 for n in members]
        out = ws.store.tmp_dir / f"consolidate-{os.getpid()}-{id(form)}.yaml"
        try:
            try:
                result = await ws.in_pool("check", work.consolidate_versions, files, name, str(out))
            except WorkerLimit as exc:
                result = {"status": "refused", "problems": [f"汇总{exc}，已停止"]}
            if result["status"] == "ok":
                try:
                    unit = ws.store.ensure_unit(name)
                except StoreError as exc:
                    raise Refused(400, str(exc)) from None
                data = out.read_bytes()
                label = f"部门汇总：{len(members)} 个单位（本级 {own}）"
                version = _store_version(ws, unit, account, label[:300], FILENAME, out, len(data),
                                         hashlib.sha256(data).hexdigest())
                ws.store.audit(account.name, "部门汇总", unit.name, f"版本 {version.number}：{'、'.join(members)[:500]}",
                               _ip(request))
                await check_version(ws, unit, version, FILENAME)
                return RedirectResponse(f"/units/{quote(unit.name, safe='')}?notice=uploaded-{version.number}",
                                        status_code=303)
            problems = result["problems"]
        finally:
            out.unlink(missing_ok=True)              # the store has renamed it, or it is not wanted
    return _page(request, "consolidate.html.j2", choices=list(choices.values()), problems=problems, chosen=chosen,
                 own=own, name=name, status=422)
