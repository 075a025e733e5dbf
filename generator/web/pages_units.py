"""A unit's pages: the home page, a unit with its versions and findings, upload, restore, preview,
a version's file and the blank workbook."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from . import work
from .api import _accept_upload, _existing
from .common import CSP_PREVIEW, Refused, _check_csrf, _file, _ip, _page, _require, _unit_for, _version_for, _ws
from .store import REMOVED, Version

# ---------------------------------------------------------------- pages: units

async def home(request: Request) -> Response:
    account, _ = _require(request)
    if account.admin:
        return RedirectResponse("/admin", status_code=303)
    units = [u for u in _ws(request).store.units() if account.may_see(u)]
    if len(units) == 1:
        return RedirectResponse("/units/" + quote(units[0].name, safe=""), status_code=303)
    return _page(request, "units.html.j2", units=units)


def _grouped(version: Version | None) -> list[tuple[str, list[dict]]]:
    """The findings of a version, each with its view (link, place), grouped by table."""
    if version is None:
        return []
    findings = version.result.get("findings", [])
    views = version.result.get("views", [{}] * len(findings))
    groups: dict[str, list[dict]] = {}
    for f, v in zip(findings, views):
        groups.setdefault(v.get("group") or f["table"] or "全文", []).append({**f, **v})
    return list(groups.items())


async def unit_page(request: Request) -> Response:
    account, _ = _require(request)
    ws = _ws(request)
    unit = _unit_for(request, account, request.path_params["name"])
    versions = ws.store.versions(unit)
    current = next((v for v in versions if v.id == unit.current_version), None)
    latest = versions[0] if versions else None
    from ..profile import available, labels
    profile = (current.result.get("profile") if current else None) or ""
    rendered = {d: bool(current and _existing(ws.store.reports_dir(unit, current.id, d), "pdf")) for d in (False, True)}
    return _page(request, "unit.html.j2", unit=unit, versions=versions, current=current, latest=latest,
                 groups=_grouped(current), profiles=available(), labels=labels(), profile=profile, rendered=rendered,
                 quoted=quote(unit.name, safe=""), notice=request.query_params.get("notice", ""))


async def unit_upload(request: Request) -> Response:
    unit, out = await _accept_upload(request)
    return RedirectResponse(f"/units/{quote(unit.name, safe='')}?notice=uploaded-{out['number']}", status_code=303)


async def unit_restore(request: Request) -> Response:
    account, csrf = _require(request)
    form = await request.form(max_files=0, max_fields=10)
    await _check_csrf(request, csrf, form)
    ws = _ws(request)
    unit = _unit_for(request, account, request.path_params["name"])
    version = _version_for(request, unit, request.path_params["vid"])
    if not version.usable:
        raise Refused(409, "这个版本无法读取，不能恢复为当前版本")
    ws.store.restore(unit, version.id)
    ws.store.audit(account.name, "恢复版本", unit.name, f"版本 {version.number}", _ip(request))
    return RedirectResponse(f"/units/{quote(unit.name, safe='')}?notice=restored-{version.number}", status_code=303)


async def version_preview(request: Request) -> Response:
    account, _ = _require(request)
    ws = _ws(request)
    unit = _unit_for(request, account, request.path_params["name"])
    version = _version_for(request, unit, request.path_params["vid"])
    path = ws.store.version_dir(unit, version.id) / work.PREVIEW_NAME
    if not version.usable or not path.is_file():
        raise Refused(404, "这个版本没有预览（数据无法读取）")
    return HTMLResponse(path.read_text(encoding="utf-8"), headers={"Content-Security-Policy": CSP_PREVIEW})


async def version_file(request: Request) -> Response:
    account, _ = _require(request)
    ws = _ws(request)
    unit = _unit_for(request, account, request.path_params["name"])
    version = _version_for(request, unit, request.path_params["vid"])
    path = ws.store.version_dir(unit, version.id) / version.filename
    if version.status == REMOVED or not path.is_file():
        raise Refused(404, f"版本 {version.number} 的文件已删除（无法读取的上传只保留最近几次的文件）")
    ws.store.audit(account.name, "下载", unit.name, f"版本 {version.number} 的上传文件", _ip(request))
    return _file(path, f"{Path(version.filename).stem}-版本{version.number}{Path(version.filename).suffix}",
                 Path(version.filename).suffix[1:])


async def blank_workbook(request: Request) -> Response:
    account, _ = _require(request)
    ws = _ws(request)
    unit = _unit_for(request, account, request.path_params["name"])
    from ..profile import available
    profile = request.query_params.get("profile", "")
    if profile not in available():
        raise Refused(404, f"没有版式“{profile}”；可用：{'、'.join(available())}")
    target = ws.store.data / "templates" / f"{profile}{_profiles_version()}.xlsx"
    if not target.is_file():
        await ws.in_pool("check", _write_template, profile, str(target))
    ws.store.audit(account.name, "下载", unit.name, f"空白工作簿 {profile}", _ip(request))
    return _file(target, f"{unit.name}-空白工作簿-{profile}.xlsx", "xlsx")


def _profiles_version() -> str:
    """"" with the built-in profiles only; else a digest of the workspace's profile folder as it
    is, so a workbook made before the admin edited a profile is not handed out after."""
    import hashlib

    from .. import search_path
    key = search_path.key()
    return "-" + hashlib.sha256(repr(key).encode()).hexdigest()[:12] if key else ""


def _write_template(profile: str, target: str) -> None:
    from ..write.workbook import write_template
    write_template(profile, Path(target))


