"""The admin's pages: every unit with its state, the audit log, batch jobs and their files,
accounts (create, units, password, tokens, state) and new units."""
from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from urllib.parse import quote, urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from . import accounts, work
from .api import _existing, _job_for, _start_batch
from .batchjob import KEEP_JOBS
from .common import CSP_PREVIEW, HTTP_TEXT, Refused, _check_csrf, _id, _ip, _page, _require, _require_admin, _ws
from .store import AUDIT_PAGE, Account, StoreError

# ---------------------------------------------------------------- pages: admin

FILTERS = {"all": "全部", "errors": "有错误", "warnings": "有警告", "clean": "无错误", "none": "未上传",
           "unrendered": "未生成正式稿"}


async def admin_page(request: Request) -> Response:
    account, _ = _require(request)
    _require_admin(account)
    ws = _ws(request)
    latest = ws.store.latest_versions()
    rows = []
    for unit in ws.store.units():
        current = ws.store.version(unit.current_version) if unit.current_version else None
        last = latest.get(unit.id)
        rendered = bool(current and _existing(ws.store.reports_dir(unit, current.id, False), "pdf"))
        rows.append({"unit": unit, "quoted": quote(unit.name, safe=""), "current": current, "last": last,
                     "rendered": rendered})
    which = request.query_params.get("filter", "all")
    q = request.query_params.get("q", "").strip()
    keep = {
        "errors": lambda r: r["current"] and r["current"].errors,
        "warnings": lambda r: r["current"] and r["current"].warnings,
        "clean": lambda r: r["current"] and not r["current"].errors,
        "none": lambda r: r["last"] is None,
        "unrendered": lambda r: not r["rendered"],
    }.get(which, lambda r: True)
    shown = [r for r in rows if keep(r) and (not q or q in r["unit"].name)]
    job_id = request.query_params.get("job")
    job = ws.store.job(job_id) if job_id else (ws.store.jobs(1) or [None])[0]
    return _page(request, "admin.html.j2", rows=shown, total=len(rows), filters=FILTERS, filter=which, q=q,
                 job=job, jobs=ws.store.jobs(10), busy=request.query_params.get("busy") == "1",
                 job_files=bool(job and ws.batches.job_dir(job["id"])), job_files_gone=JOB_FILES_GONE,
                 accounts_list=ws.store.accounts(), units_by_id={u.id: u.name for u in ws.store.units()},
                 audit=ws.store.audit_log(50), roles=accounts.ROLES, token_counts=ws.store.token_counts(),
                 account_notice=ACCOUNT_NOTICES.get(request.query_params.get("notice", ""), ""))


async def profiles_page(request: Request) -> Response:
    """The workspace's profile folder (<data>/profiles/, a --profiles DIR the admin manages on the
    server): its profiles and what ``juesuan profile check`` says of them, run in a check worker."""
    account, _ = _require(request)
    _require_admin(account)
    ws = _ws(request)
    result = await ws.in_pool("check", work.check_profiles, str(ws.profiles))
    return _page(request, "profiles.html.j2", folder=str(ws.profiles), **result)


def _query(request: Request, name: str, limit: int = 200) -> str:
    return request.query_params.get(name, "").strip()[:limit]


async def audit_page(request: Request) -> Response:
    """The audit log, newest first, a page at a time, filtered by account and unit (contain the
    text) and action (one of those recorded): plain GET parameters, so a view can be linked."""
    account, _ = _require(request)
    _require_admin(account)
    ws = _ws(request)
    who, action, unit = _query(request, "account"), _query(request, "action"), _query(request, "unit")
    raw_page = _query(request, "page", 20)
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 6 else 1
    rows, total = ws.store.audit_page(who, action, unit, max(page, 1))
    pages = max(1, -(-total // AUDIT_PAGE))
    page = min(max(page, 1), pages)
    if not rows and total:
        rows, _ = ws.store.audit_page(who, action, unit, page)

    def link(n: int) -> str:
        params = {k: v for k, v in (("account", who), ("action", action), ("unit", unit)) if v}
        return "/admin/log?" + urlencode({**params, "page": n})

    return _page(request, "log.html.j2", rows=rows, total=total, page=page, pages=pages,
                 filter_account=who, filter_action=action, filter_unit=unit, actions=ws.store.audit_actions(),
                 prev_link=link(page - 1) if page > 1 else "", next_link=link(page + 1) if page < pages else "")


async def admin_batch(request: Request) -> Response:
    account, csrf = _require(request)
    _require_admin(account)
    form = await request.form(max_files=0, max_fields=10000)
    await _check_csrf(request, csrf, form)
    names = [str(n) for n in form.getlist("units")] if form.get("selected") else None
    return _start_batch(request, account, names or None, api=False)


JOB_FILES_GONE = (f"这次批量生成的报告和文件已删除（只保留最近 {KEEP_JOBS} 次任务的文件）；"
                  "各单位的正式稿仍可在单位页面下载，需要全部文件时请重新点“全部生成”")


async def job_file(request: Request) -> Response:
    account, _ = _require(request)
    ws = _ws(request)
    job = _job_for(request, account, request.path_params["id"])
    what = request.path_params["what"]
    from ..batch import REPORT_CSV, REPORT_HTML
    name = {"report.html": REPORT_HTML, "report.csv": REPORT_CSV}.get(what)
    if what != "reports.zip" and name is None:
        raise Refused(404, "没有这个文件")
    folder = ws.batches.job_dir(job["id"])
    if folder is None:                  # each job keeps its own files; only the newest jobs' are kept
        raise Refused(410, JOB_FILES_GONE)
    if what == "reports.zip":
        fd, tmp = tempfile.mkstemp(prefix=".zip-", suffix=".zip", dir=ws.store.data)
        os.close(fd)
        made = await asyncio.get_running_loop().run_in_executor(None, ws.batches.zip_job, job, Path(tmp))
        if not made:
            os.unlink(tmp)
            raise Refused(410, JOB_FILES_GONE)
        ws.store.audit(account.name, "下载", detail=f"任务 {job['id']} 的全部报告（zip）", ip=_ip(request))
        return FileResponse(tmp, media_type="application/zip", filename=f"决算公开-全部单位-{job['id']}.zip",
                            background=BackgroundTask(os.unlink, tmp))
    path = folder / name
    if not path.is_file():
        raise Refused(404, "没有这个文件")
    ws.store.audit(account.name, "下载", detail=f"任务 {job['id']} 的{name}", ip=_ip(request))
    if name == REPORT_HTML:
        return HTMLResponse(path.read_text(encoding="utf-8"), headers={"Content-Security-Policy": CSP_PREVIEW})
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)


# ---------------------------------------------------------------- pages: accounts and units (admin)

ACCOUNT_NOTICES = {"created": "已建立账号", "units": "已修改账号的单位",
                   "password": "已重设密码（该账号的会话已结束，API 令牌已作废）", "tokens": "已作废该账号的全部 API 令牌",
                   "disabled": "已停用账号", "enabled": "已启用账号", "unit": "已建立单位"}


async def _admin_form(request: Request) -> tuple[Account, dict]:
    """The admin's form, CSRF checked; another account gets 404, as if the route did not exist."""
    account, csrf = _require(request)
    if not account.admin:
        raise Refused(404, HTTP_TEXT[404])
    form = await request.form(max_files=0, max_fields=1000)
    await _check_csrf(request, csrf, form)
    return account, form


def _field(form, name: str, limit: int = 1000) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _unit_names(form) -> list[str]:
    """The units typed one a line, each once, in order."""
    names = _field(form, "units", 20000).splitlines()
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


async def _new_password_hash(form) -> str:
    """The form's new password (typed twice, the rule of `juesuan user add`), hashed."""
    password = _field(form, "password")
    if password != _field(form, "password2"):
        raise Refused(400, "两次输入的密码不一样")
    why = accounts.password_problem(password)
    if why:
        raise Refused(400, why)
    return await asyncio.get_running_loop().run_in_executor(None, accounts.hash_password, password)


def _target(request: Request) -> Account:
    target_id = _id(request.path_params["id"])
    found = _ws(request).store.account_by_id(target_id) if target_id is not None else None
    if found is None:
        raise Refused(404, "没有这个账号")
    return found


def _to_accounts(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin?notice={notice}#accounts", status_code=303)


async def account_create(request: Request) -> Response:
    admin, form = await _admin_form(request)
    name, role, units = _field(form, "name", 200).strip(), _field(form, "role"), _unit_names(form)
    if role not in accounts.ROLES:
        raise Refused(400, "请选择角色：部门财务（管理员）或单位填报人员")
    if role == "admin" and units:
        raise Refused(400, "部门财务（管理员）看到全部单位，不用填单位")
    password_hash = await _new_password_hash(form)
    try:
        created = _ws(request).store.add_account(name, role, password_hash, units)
    except StoreError as exc:
        raise Refused(400, str(exc)) from None
    _ws(request).store.audit(admin.name, "新建账号", "、".join(units), f"{created.name}，{accounts.ROLE_NAMES[role]}",
                             _ip(request))
    return _to_accounts("created")


async def account_units(request: Request) -> Response:
    admin, form = await _admin_form(request)
    target, units = _target(request), _unit_names(form)
    if target.admin:
        raise Refused(400, "部门财务（管理员）看到全部单位，没有单位可改")
    if not units:
        raise Refused(400, "单位填报人员至少要有一个单位")
    try:
        _ws(request).store.set_units(target.id, units)
    except StoreError as exc:
        raise Refused(400, str(exc)) from None
    _ws(request).store.audit(admin.name, "修改账号的单位", "、".join(units), target.name, _ip(request))
    return _to_accounts("units")


async def account_password(request: Request) -> Response:
    admin, form = await _admin_form(request)
    target = _target(request)
    ws = _ws(request)
    # whoever was logged in with the old one is out, and the account's API tokens stop working
    revoked = ws.store.reset_password(target.id, await _new_password_hash(form))
    ws.store.audit(admin.name, "重设密码", detail=f"{target.name}（会话结束，API 令牌 {revoked} 个作废）",
                   ip=_ip(request))
    return _to_accounts("password")


async def account_tokens(request: Request) -> Response:
    admin, _ = await _admin_form(request)
    target = _target(request)
    ws = _ws(request)
    revoked = ws.store.revoke_tokens(target.id)
    ws.store.audit(admin.name, "作废 API 令牌", detail=f"{target.name}：{revoked} 个", ip=_ip(request))
    return _to_accounts("tokens")


async def account_state(request: Request) -> Response:
    admin, form = await _admin_form(request)
    target = _target(request)
    disable = _field(form, "disabled") == "1"
    if disable and target.id == admin.id:
        raise Refused(409, "不能停用自己正在使用的账号")
    _ws(request).store.set_disabled(target.id, disable)
    _ws(request).store.audit(admin.name, "停用账号" if disable else "启用账号", detail=target.name, ip=_ip(request))
    return _to_accounts("disabled" if disable else "enabled")


async def unit_create(request: Request) -> Response:
    admin, form = await _admin_form(request)
    name = _field(form, "name", 300).strip()
    try:
        unit = _ws(request).store.ensure_unit(name)
    except StoreError as exc:
        raise Refused(400, str(exc)) from None
    _ws(request).store.audit(admin.name, "新建单位", unit.name, ip=_ip(request))
    return _to_accounts("unit")


