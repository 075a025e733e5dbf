"""The web workspace's Starlette application: pages for people, an HTTP API for scripts.

Who may do what: an account is ``admin`` (the department's finance office: every unit, batch
rendering, the audit log) or ``unit`` (its own units only). Every lookup of a unit goes through
``_unit_for``, every version through ``_version_for``: a unit the account may not see, a version of
another unit, a unit that does not exist — all answer the same 404, so a name or an id guessed
tells nothing.

Sessions (pages): a random token in an HttpOnly, SameSite=Strict cookie (Secure when served over
HTTPS), stored hashed with its CSRF token; every POST of a page carries that CSRF token (form field
``csrf`` or header ``X-CSRF-Token``); the login form a double-submit token of its own. The API
takes ``Authorization: Bearer <token>`` (no cookie, so no CSRF). Logins are throttled per (account
name, address) and per address with growing delays (``Store.reserve_login``), the attempt counted
before its password is verified; the address is the peer's unless a proxy is trusted
(``serve --trusted-proxy``, ``TrustedProxies``). Pages set a Content-Security-Policy allowing only
this server's own scripts and styles (nothing is loaded from elsewhere); the report preview allows
no script at all.

Only the Host names allowed (``serve --allowed-host``; ``HostAllowList``) reach the application:
another Host header gets 400 before any route runs, which keeps DNS rebinding out.

An upload is received as it streams in (``uploads.Upload``): its file goes to a temporary file of
the workspace, hashed on the way, and is renamed into its version's folder; it is never held whole
in memory. Checking an upload runs in a process pool (``work.check_upload``), rendering in another
(``work.render_version``), batches in ``generator.batch``'s workers (``batchjob``); the event loop
only waits.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import secrets
import shutil
import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import (FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                                 Response)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..load.xlsx_guard import MAX_FILE_BYTES
from ..load.unit_loader import READERS
from ..load.yaml_reader import MAX_BYTES as MAX_YAML_BYTES
from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from ..write.atomic import clean_stale_parts
from ..write.html_writer import TEMPLATES_DIR
from ..write.names import DRAFT_SUFFIX, safe_filename
from . import accounts, uploads, work
from .batchjob import KEEP_JOBS, BatchBusy, BatchRunner
from .naming import strip_invisible
from .pool import WorkerDied, WorkerLimit, WorkerPool
from .store import (AUDIT_PAGE, CHECKED, REMOVED, UNREADABLE, Account, QuotaExceeded, Store, StoreError, Unit, Version,
                    quota_message)

WEB_TEMPLATES = TEMPLATES_DIR / "web"
STATIC = WEB_TEMPLATES / "static"
SESSION_COOKIE = "juesuan_session"
LOGIN_CSRF_COOKIE = "juesuan_login_csrf"
REQUEST_SLACK = 256 * 1024             # multipart overhead beyond the largest file allowed
DRAIN_LIMIT = 200 * 1024 * 1024        # an oversized body up to this is read and dropped before answering
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
ID_PATTERN = re.compile(r"[0-9]{1,18}")     # a version's or account's id; a job's is JOB_ID_PATTERN
JOB_ID_PATTERN = re.compile(r"[0-9a-f]{1,64}")
JSON_BODY_BYTES = 1024 * 1024          # the largest JSON body read (/api/batch)

CSP_PAGES = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
CSP_PREVIEW = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
MEDIA = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NOT_FOUND_UNIT = "没有这个单位，或您无权查看"


@dataclass
class Settings:
    data: Path
    check_workers: int = 2
    render_workers: int = 1
    batch_jobs: int = 2
    allowed_hosts: tuple[str, ...] = ("*",)       # the Host header's allow-list (`serve --allowed-host`)
    trusted_proxies: tuple[str, ...] = ()         # addresses/networks whose X-Forwarded-* are believed
    worker_memory_mb: int = DEFAULT_MEMORY_MB     # every check/render/batch worker's RLIMIT_AS (0: none)
    worker_timeout: float = DEFAULT_TIMEOUT       # seconds per check, render or batch unit (0: none)
    unit_quota: int = 200 * 1024 * 1024            # bytes of uploads kept per unit (0: no quota; `--unit-quota-mb`)
    min_free_disk: int = 1024 * 1024 * 1024        # free space the workspace's disk keeps (`--min-free-disk-mb`)


class Refused(Exception):
    """A request refused with a Chinese message (status, message)."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


# ---------------------------------------------------------------- the workspace object

class Workspace:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.data)
        self.batches = BatchRunner(self.store, settings.batch_jobs, settings.worker_memory_mb, settings.worker_timeout)
        self.check_pool: WorkerPool | None = None
        self.render_pool: WorkerPool | None = None
        self.rendering: dict[tuple[int, bool], asyncio.Future] = {}
        self.env = Environment(loader=FileSystemLoader(WEB_TEMPLATES), autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)

    def _pool(self, workers: int) -> WorkerPool:
        # each worker under the memory limit, each task under the time limit (pool.WorkerPool)
        return WorkerPool(workers, work.init_worker, self.settings.worker_memory_mb, self.settings.worker_timeout)

    def start(self) -> None:
        self.store.mark_unfinished()
        clean_stale_parts(self.store.tmp_dir)         # uploads a killed server was receiving
        self.check_pool = self._pool(self.settings.check_workers)   # the workers start loading now
        self.render_pool = self._pool(self.settings.render_workers)

    def stop(self) -> None:
        for pool in (self.check_pool, self.render_pool):
            if pool is not None:
                pool.shutdown()                   # a render under way ends first

    async def in_pool(self, which: str, fn, *args):
        """``fn(*args)`` in a check or render worker. Raises ``WorkerLimit`` when it hits the memory or
        the time limit; ``Refused`` (500) when its worker died. Either way only this task is lost."""
        pool = self.check_pool if which == "check" else self.render_pool
        try:
            return await pool.run(fn, *args)
        except WorkerDied as exc:
            raise Refused(500, f"处理进程意外退出（{exc}，可能是内存不足）；请稍后重试，仍不行请告知部门财务") from None


# ---------------------------------------------------------------- helpers

def _ws(request: Request) -> Workspace:
    return request.app.state.workspace


def _ip(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy says (``TrustedProxies``)."""
    return request.client.host if request.client else ""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _authenticate(request: Request) -> tuple[Account | None, str | None]:
    """(account, CSRF token of its session — None for an API token) or (None, None)."""
    store = _ws(request).store
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, None
        account = store.account_by_token(accounts.token_hash(token.strip()))
        return (account, None) if account and not account.disabled else (None, None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = store.session(accounts.token_hash(cookie))
        if found and not found[0].disabled:
            return found
    return None, None


def _require(request: Request) -> tuple[Account, str | None]:
    account, csrf = _authenticate(request)
    if account is None:
        if _is_api(request):
            raise Refused(401, "需要登录：请在请求头中提供有效的 Authorization: Bearer <令牌>",
                          {"WWW-Authenticate": "Bearer"})
        raise _login_redirect(request)
    return account, csrf


class _Redirect(Exception):
    def __init__(self, url: str):
        self.url = url


def _login_redirect(request: Request) -> _Redirect:
    target = request.scope["path"] if request.method == "GET" else "/"      # decoded (request.url.path is not quite)
    return _Redirect("/login?next=" + quote(target, safe="/"))


async def _check_csrf(request: Request, csrf: str | None, form=None) -> None:
    """A session's unsafe request carries its CSRF token; an API token's needs none."""
    if csrf is None and request.headers.get("authorization"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and form is not None:
        sent = form.get("csrf")
    if not accounts.same(sent if isinstance(sent, str) else None, csrf):
        raise Refused(403, "请求被拒绝：缺少或无效的安全校验码（CSRF）。请刷新页面后重试")


def _unit_for(request: Request, account: Account, name: str) -> Unit:
    unit = _ws(request).store.unit(name)
    if unit is None or not account.may_see(unit):
        raise Refused(404, NOT_FOUND_UNIT)
    return unit


def _id(text) -> int | None:
    """A version's or account's id in a URL: 1–18 ASCII digits (fits SQLite's 64-bit integer), else None."""
    return int(text) if isinstance(text, str) and ID_PATTERN.fullmatch(text) else None


def _version_for(request: Request, unit: Unit, version_id: str) -> Version:
    vid = _id(version_id)
    version = _ws(request).store.version(vid) if vid is not None else None
    if version is None or version.unit_id != unit.id:
        raise Refused(404, "没有这个版本")
    return version


def _require_admin(account: Account) -> None:
    if not account.admin:
        raise Refused(403, "只有部门财务（管理员）可以这样做")


def _page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    ws = _ws(request)
    account, csrf = _authenticate(request)
    html = ws.env.get_template(template).render(account=account, csrf=csrf, request_path=request.url.path,
                                                role_names=accounts.ROLE_NAMES, **context)
    return HTMLResponse(html, status_code=status)


def _download_name(name: str) -> str:
    """A download's file name: unsafe characters removed (write.names), at most 240 bytes before
    the extension (a report's name is up to 200 bytes and its “-草稿-未通过检查”)."""
    stem, dot, ext = name.rpartition(".")
    return safe_filename(stem, limit_bytes=240) + dot + ext if dot else safe_filename(name, limit_bytes=240)


def _report_download_name(name: str, draft: bool) -> str:
    """A report's download name: its file's, which ends in “-草稿” for a draft (pipeline.render);
    a draft stored before drafts were named so gets the suffix here, so a draft never passes for
    the final report."""
    stem, dot, ext = name.rpartition(".")
    if draft and DRAFT_SUFFIX not in stem:
        stem += DRAFT_SUFFIX
    return stem + dot + ext


def _file(path: Path, name: str, ext: str) -> FileResponse:
    return FileResponse(path, media_type=MEDIA.get(ext, "application/octet-stream"), filename=_download_name(name),
                        headers={"Cache-Control": "no-store"})


def _counts(findings: list[dict]) -> tuple[int, int, int]:
    return (sum(f["severity"] == "错误" for f in findings), sum(f["severity"] == "警告" for f in findings),
            sum(f["severity"] == "提示" for f in findings))


# ---------------------------------------------------------------- uploads

def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _too_large(size: int | None) -> str:
    got = f"（{_size_text(size)}）" if size else ""
    return (f"文件过大{got}：单位的决算工作簿应小于 {MAX_FILE_BYTES // 1024 // 1024} MB，YAML 数据文件应小于 "
            f"{MAX_YAML_BYTES // 1024 // 1024} MB。请只保留决算表和说明各工作表（删去图片、附件、无关工作表）后另存再上传")


def _room_for_upload(request: Request, unit: Unit) -> None:
    """Refused before the body is read: the unit's quota already used up, or the workspace's disk
    without room for the largest upload (the size declared, else the largest allowed) and its margin."""
    ws = _ws(request)
    quota, margin = ws.settings.unit_quota, ws.settings.min_free_disk
    if quota:
        used = ws.store.unit_usage(unit)
        if used >= quota:
            raise Refused(413, quota_message(used, 0, quota), {"Connection": "close"})
    declared = request.headers.get("content-length", "")
    coming = int(declared) if declared.isdigit() else MAX_FILE_BYTES + REQUEST_SLACK
    free = shutil.disk_usage(ws.store.tmp_dir).free
    if free - coming < margin:
        raise Refused(507, f"服务器磁盘空间不足（剩余 {_size_text(free)}，须保留 {_size_text(margin)}），暂不能接收上传："
                           "请告知部门财务清理磁盘（或调整服务的 --min-free-disk-mb 选项）", {"Connection": "close"})


async def _read_upload(request: Request, upload: uploads.Upload) -> None:
    """The multipart field ``file`` received into ``upload`` (a temporary file in the workspace,
    never the whole of it in memory), the form's text fields into ``request.state.form``. The body
    is limited to the largest workbook the import accepts (load.excel_reader.MAX_FILE_BYTES) plus the
    form's overhead, counted as it comes (whatever Content-Length says)."""
    limit = MAX_FILE_BYTES + REQUEST_SLACK
    declared = request.headers.get("content-length")
    try:
        declared_n = int(declared) if declared is not None else None
    except ValueError:
        raise Refused(400, "请求的 Content-Length 无效") from None
    received = 0
    over = declared_n is not None and declared_n > limit
    if over and declared_n > DRAIN_LIMIT:
        raise Refused(413, _too_large(declared_n), {"Connection": "close"})
    async for chunk in request.stream():
        if over or received + len(chunk) > limit:
            over = True
            upload.drop()
            if declared_n is None:      # chunked: no end in sight; stop reading, answer and close at once
                raise Refused(413, _too_large(None), {"Connection": "close"})
            continue                    # a declared size (at most DRAIN_LIMIT): read to its end and drop it
        received += len(chunk)
        await upload.feed(chunk)
    if over:
        raise Refused(413, _too_large(declared_n))
    try:
        await upload.finish()
    except uploads.FormError:
        raise Refused(400, "上传的表单无法解析：请用页面上的上传按钮，或 multipart/form-data 的 file 字段") from None
    if not upload.filename:
        raise Refused(400, "没有收到文件：请选择要上传的工作簿（.xlsx）或数据文件（.yaml），字段名为 file")
    request.state.form = upload.fields


def _stored_name(original: str) -> tuple[str, str]:
    """(suffix, safe stored file name) of an uploaded file's name (a Windows path keeps its last part)."""
    base = PureWindowsPath(PurePosixPath(original).name).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    if suffix not in READERS:
        raise Refused(415, f"不能上传“{base}”：只接受 Excel 工作簿（.xlsx）或 YAML 数据文件（.yaml）")
    return suffix, safe_filename(stem, limit_bytes=120) + suffix


async def _upload(request: Request, account: Account, unit: Unit, upload: uploads.Upload) -> dict:
    ws = _ws(request)
    original = strip_invisible(upload.filename)     # no zero-width or direction controls stored or shown
    suffix, filename = _stored_name(original)
    limit = MAX_FILE_BYTES if suffix in WORKBOOK_SUFFIXES else MAX_YAML_BYTES
    if upload.size > limit:
        raise Refused(413, _too_large(upload.size))
    if not upload.size:
        raise Refused(422, f"文件“{original}”是空的（0 字节）")
    try:
        version = ws.store.add_version(unit, account, original[:300], filename, upload.path, upload.size, upload.sha256,
                                       quota=ws.settings.unit_quota)
    except QuotaExceeded as exc:
        raise Refused(413, str(exc)) from None
    upload.path = None                  # the store has it now (renamed into the version's folder)
    ws.store.audit(account.name, "上传", unit.name, f"版本 {version.number}：{original[:200]}（{upload.size} 字节）",
                   _ip(request))
    folder = str(ws.store.version_dir(unit, version.id))
    try:
        result = await ws.in_pool("check", work.check_upload, folder, filename, unit.name)
    except WorkerLimit as exc:          # a bomb, or an absurdly big file: refused like an unreadable one
        result = {"status": UNREADABLE, "problems": [
            f"{filename}：检查{exc}，已停止：文件是否异常庞大或有大量重复的内容？请检查后重新上传"
            "（仍不行请告知部门财务）"]}
    except BaseException:
        ws.store.finish_version(version.id, UNREADABLE, {"problems": ["检查没有完成（处理进程出错）；请重新上传"]}, (0, 0, 0))
        ws.store.prune_unreadable(unit)
        raise
    findings = result.get("findings", [])
    counts = _counts(findings)
    current = ws.store.finish_version(version.id, result["status"], result, counts)
    if result["status"] == UNREADABLE:
        ws.store.prune_unreadable(unit)             # only the newest few unreadable uploads keep their files
    return {"unit": unit.name, "version": version.id, "number": version.number, "status": result["status"],
            "current": current,
            "errors": counts[0], "warnings": counts[1], "infos": counts[2],
            "findings": findings, "problems": result.get("problems", [])}


# ---------------------------------------------------------------- reports

async def _report_file(request: Request, unit: Unit, fmt: str, draft: bool) -> Path:
    """The unit's current report in ``fmt``, rendered (in the render pool) when not yet there."""
    ws = _ws(request)
    if unit.current_version is None:
        raise Refused(404, "本单位还没有通过读取的数据：请先上传工作簿或数据文件")
    version = ws.store.version(unit.current_version)
    if not draft and version.errors:
        raise Refused(409, f"检查发现 {version.errors} 个错误，不能生成正式稿：请改正后重新上传，或下载草稿（draft=1）")
    folder = ws.store.reports_dir(unit, version.id, draft)
    found = _existing(folder, fmt)
    if found:
        return found
    key = (version.id, draft)
    future = ws.rendering.get(key)
    if future is None:
        future = asyncio.ensure_future(ws.in_pool("render", work.render_version,
                                                  str(ws.store.version_dir(unit, version.id)), version.filename,
                                                  str(folder), draft))
        ws.rendering[key] = future
        future.add_done_callback(lambda _: ws.rendering.pop(key, None))
        account, _ = _authenticate(request)
        ws.store.audit(account.name if account else "", "生成", unit.name,
                       f"版本 {version.number}{'（草稿）' if draft else ''}", _ip(request))
    try:
        result = await asyncio.shield(future)
    except Refused:
        raise
    except WorkerLimit as exc:
        raise Refused(500, f"生成{exc}，已停止；已有的报告不受影响。请告知部门财务") from None
    except Exception as exc:
        raise Refused(500, f"生成失败（{type(exc).__name__}: {exc}）；已有的报告不受影响") from None
    if "refused" in result:
        raise Refused(409, f"检查发现 {result['refused']} 个错误，不能生成正式稿")
    found = _existing(folder, fmt)
    if not found:
        raise Refused(500, "生成后没有找到文件；请重试")
    return found


def _existing(folder: Path, fmt: str) -> Path | None:
    try:
        return next((p for p in sorted(folder.iterdir()) if p.suffix == f".{fmt}" and not p.name.startswith(".")), None)
    except OSError:
        return None


async def report(request: Request) -> Response:
    account, _ = _require(request)
    unit = _unit_for(request, account, request.path_params["name"])
    fmt = request.path_params["fmt"]
    if fmt not in ("pdf", "docx"):
        raise Refused(404, "只有 report.pdf 与 report.docx")
    draft = request.query_params.get("draft", "") in ("1", "true", "yes")
    path = await _report_file(request, unit, fmt, draft)
    name = _report_download_name(path.name, draft)
    _ws(request).store.audit(account.name, "下载", unit.name, name, _ip(request))
    return _file(path, name, fmt)


# ---------------------------------------------------------------- API

async def _accept_upload(request: Request) -> tuple[Unit, dict]:
    """An upload to the unit named in the path, by the page's form or the API (the account's own
    unit, CSRF token or bearer token checked): the unit and what ``_upload`` answers."""
    account, csrf = _require(request)
    unit = _unit_for(request, account, request.path_params["name"])
    _room_for_upload(request, unit)
    upload = uploads.Upload(request.headers.get("content-type"), _ws(request).store.tmp_dir)
    try:
        await _read_upload(request, upload)
        await _check_csrf(request, csrf, request.state.form)
        return unit, await _upload(request, account, unit, upload)
    finally:
        upload.remove()                 # the temporary file, unless the store has taken it


async def api_upload(request: Request) -> Response:
    _, out = await _accept_upload(request)
    return JSONResponse(out, status_code=200 if out["status"] == CHECKED else 422)


async def api_unit(request: Request) -> Response:
    account, _ = _require(request)
    unit = _unit_for(request, account, request.path_params["name"])
    versions = _ws(request).store.versions(unit)
    current = next((v.number for v in versions if v.id == unit.current_version), None)
    return JSONResponse({"unit": unit.name, "current": unit.current_version, "current_number": current, "versions": [
        {"id": v.id, "number": v.number, "status": v.status, "uploaded": v.uploaded, "by": v.account_name, "file": v.original_name,
         "errors": v.errors, "warnings": v.warnings, "infos": v.infos} for v in versions]})


async def _small_body(request: Request, limit: int) -> bytes:
    """A request's whole body, refused (413, the connection closed) as soon as it is over ``limit``
    bytes, declared or received."""
    too_large = Refused(413, f"请求过大：请求体应小于 {limit // 1024} KB", {"Connection": "close"})
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _job_for(request: Request, account: Account, job_id: str) -> dict:
    """A batch job the account may see (admins only), or 404."""
    job = _ws(request).store.job(job_id) if JOB_ID_PATTERN.fullmatch(job_id) else None
    if job is None or not account.admin:
        raise Refused(404, "没有这个任务")
    return job


def _batch_choice(request: Request, names: list[str] | None) -> list[tuple[Unit, Version]]:
    store = _ws(request).store
    units = store.units()
    if names:
        wanted = set(names)
        unknown = wanted - {u.name for u in units}
        if unknown:
            raise Refused(404, f"没有这些单位：{'、'.join(sorted(unknown))}")
        units = [u for u in units if u.name in wanted]
    chosen = []
    for u in units:
        if u.current_version is not None:
            chosen.append((u, store.version(u.current_version)))
    if not chosen:
        raise Refused(409, "所选单位都还没有可用的数据（没有通过读取的上传），没有可以生成的")
    return chosen


async def api_batch_start(request: Request) -> Response:
    account, csrf = _require(request)
    _require_admin(account)
    names = None
    body = await _small_body(request, JSON_BODY_BYTES)
    if body.strip():
        try:
            payload = json.loads(body)
        except ValueError:
            raise Refused(400, "请求体应为 JSON，如 {\"units\": [\"单位名称\"]}") from None
        except RecursionError:          # nested deeper than the parser's recursion limit
            raise Refused(400, "请求体的 JSON 嵌套过深：应为 {\"units\": [\"单位名称\", …]}") from None
        names = payload.get("units") if isinstance(payload, dict) else None
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
            raise Refused(400, "units 应为单位名称的列表")
    await _check_csrf(request, csrf)
    return _start_batch(request, account, names, api=True)


def _start_batch(request: Request, account: Account, names: list[str] | None, api: bool) -> Response:
    ws = _ws(request)
    chosen = _batch_choice(request, names)
    try:
        job_id = ws.batches.start(account, chosen)
    except BatchBusy as busy:
        if api:
            return JSONResponse({"error": "已有批量生成任务在运行，请等它完成", "id": busy.job_id}, status_code=409)
        return RedirectResponse(f"/admin?job={busy.job_id}&busy=1", status_code=303)
    ws.store.audit(account.name, "批量生成", detail=f"任务 {job_id}：{len(chosen)} 个单位", ip=_ip(request))
    if api:
        return JSONResponse({"id": job_id, "status": "running", "units": [u.name for u, _ in chosen]}, status_code=202)
    return RedirectResponse(f"/admin?job={job_id}", status_code=303)


def _job_json(job: dict) -> dict:
    return {"id": job["id"], "status": job["status"], "created": job["created"], "finished": job["finished"],
            "by": job["account_name"], "total": job["total"], "done": job["done"],
            "progress": round(job["done"] / job["total"], 3) if job["total"] else 0.0,
            "units": job["units"], "results": job["results"], "message": job["message"]}


async def api_batch_status(request: Request) -> Response:
    account, _ = _require(request)
    return JSONResponse(_job_json(_job_for(request, account, request.path_params["id"])))


# ---------------------------------------------------------------- pages: login

def _counted_address(ip: str) -> str:
    """The address the login limits count: an IPv6 client's /64 (one host may hold all of it),
    any other address as it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def _wait_text(seconds: float) -> str:
    minutes = max(1, int(-(-seconds // 60)))
    return f"{minutes} 分钟"


def _throttled_page(request: Request, ws: Workspace, ticket, name: str, ip: str, token, form) -> Response:
    """The answer to an attempt refused before its password was looked at (429, Retry-After); the
    audit log gets one row per lock period, not one per attempt."""
    if ticket.first:
        what = "该用户名在此地址" if ticket.scope == "pair" else "此地址"
        ws.store.audit(name, "登录被限制", detail=f"{what}登录失败 {ticket.failures} 次，"
                                                   f"{_wait_text(ticket.wait)}内不再验证密码", ip=ip)
    response = _page(request, "login.html.j2", status=429, login_csrf=token, next=_safe_next(form.get("next")),
                     name=name, message=f"登录失败次数过多，请 {_wait_text(ticket.wait)}后再试")
    response.headers["Retry-After"] = str(int(-(-ticket.wait // 1)))
    return response


async def login_page(request: Request) -> Response:
    token = secrets.token_urlsafe(24)
    response = _page(request, "login.html.j2", login_csrf=token, next=_safe_next(request.query_params.get("next")),
                     message="")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/login")
    return response


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no '//')."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _secure(request: Request) -> bool:
    """HTTPS: the scheme of the request, which a trusted proxy's X-Forwarded-Proto sets
    (``TrustedProxies``); no other request's header can."""
    return request.url.scheme == "https"


async def login_submit(request: Request) -> Response:
    ws = _ws(request)
    form = await request.form(max_files=0, max_fields=10)
    if not accounts.same(form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise Refused(403, "请求被拒绝：缺少或无效的安全校验码（CSRF）。请刷新登录页后重试")
    name, password = str(form.get("name", "")).strip()[:100], str(form.get("password", ""))[:1000]
    ip = _ip(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    # counted as a failure before the password is looked at (store.reserve_login): attempts sent
    # at once cannot all be verified before the first failure is known
    ticket = ws.store.reserve_login(name, _counted_address(ip))
    if ticket.attempt is None:
        return _throttled_page(request, ws, ticket, name, ip, token, form)
    account, stored = ws.store.password_hash(name)
    ok = await asyncio.get_running_loop().run_in_executor(None, accounts.verify_password, stored, password)
    if not ok or account is None or account.disabled:
        ws.store.audit(name, "登录失败（账号已停用）" if ok and account else "登录失败", ip=ip)
        why = "这个账号已停用，请与部门财务联系" if ok and account else "用户名或密码不对"
        return _page(request, "login.html.j2", status=401, login_csrf=token, next=_safe_next(form.get("next")),
                     name=name, message=why)
    ws.store.login_succeeded(name, _counted_address(ip))
    if accounts.needs_rehash(stored):
        ws.store.set_password(account.id, accounts.hash_password(password))
    session = secrets.token_urlsafe(32)
    ws.store.add_session(accounts.token_hash(session), account.id, secrets.token_urlsafe(24))
    ws.store.audit(account.name, "登录", ip=ip)
    # ``next`` is a decoded path (the login form carries it so): encoded once here, so a unit name
    # holding "%41", "?" or "#" comes back as itself
    response = RedirectResponse(quote(_safe_next(form.get("next")), safe="/"), status_code=303)
    response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    account, csrf = _require(request)
    form = await request.form(max_files=0, max_fields=10)
    await _check_csrf(request, csrf, form)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        _ws(request).store.drop_session(accounts.token_hash(cookie))
    _ws(request).store.audit(account.name, "退出", ip=_ip(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


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
    from ..profile import available
    profile = (current.result.get("profile") if current else None) or ""
    rendered = {d: bool(current and _existing(ws.store.reports_dir(unit, current.id, d), "pdf")) for d in (False, True)}
    return _page(request, "unit.html.j2", unit=unit, versions=versions, current=current, latest=latest,
                 groups=_grouped(current), profiles=available(), profile=profile, rendered=rendered,
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
    target = ws.store.data / "templates" / f"{profile}.xlsx"
    if not target.is_file():
        await ws.in_pool("check", _write_template, profile, str(target))
    ws.store.audit(account.name, "下载", unit.name, f"空白工作簿 {profile}", _ip(request))
    return _file(target, f"{unit.name}-空白工作簿-{profile}.xlsx", "xlsx")


def _write_template(profile: str, target: str) -> None:
    from ..write.workbook import write_template
    write_template(profile, Path(target))


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


# ---------------------------------------------------------------- errors and headers

def _error_response(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    if _is_api(request) or request.headers.get("x-csrf-token"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return _page(request, "error.html.j2", status=status, message=message, status_code=status)


async def on_refused(request: Request, exc: Refused) -> Response:
    return _error_response(request, exc.status, exc.message, exc.headers)


async def on_redirect(request: Request, exc: _Redirect) -> Response:
    return RedirectResponse(exc.url, status_code=303)


HTTP_TEXT = {404: "没有这个页面", 405: "不支持这种请求方法", 400: "请求无效"}


async def on_http(request: Request, exc: HTTPException) -> Response:
    return _error_response(request, exc.status_code, HTTP_TEXT.get(exc.status_code, f"请求无法处理（{exc.status_code}）"))


async def on_error(request: Request, exc: Exception) -> Response:
    return _error_response(request, 500, f"服务器内部出错（{type(exc).__name__}）；请把时间和操作告知维护人员")


class SecurityHeaders:
    """Headers on every response (an ASGI middleware): CSP unless the route set its own, no
    framing, no MIME sniffing, no caching of pages that hold a unit's data."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def wrapped(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {b"content-security-policy": CSP_PAGES.encode(), b"x-content-type-options": b"nosniff",
                         b"x-frame-options": b"SAMEORIGIN", b"referrer-policy": b"same-origin",
                         b"cache-control": b"no-store"}
                if scope["path"].startswith("/static/"):
                    extra[b"cache-control"] = b"max-age=3600"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)


HOST_REFUSED = "请求被拒绝：这个服务不接受此主机名（Host）。请用部门财务提供的地址访问；管理员可用 --allowed-host 添加"


class HostAllowList:
    """Starlette's TrustedHostMiddleware, its refusal (400) said in Chinese: a request whose Host
    header is not allowed never reaches the application."""

    def __init__(self, app, allowed_hosts: tuple[str, ...]):
        self.app = app
        self.trusted = TrustedHostMiddleware(self._allowed, allowed_hosts=list(allowed_hosts), www_redirect=False)

    async def _allowed(self, scope, receive, send):
        scope["juesuan.host_allowed"] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.trusted(scope, receive, send)

        async def refusing(message):
            if scope.get("juesuan.host_allowed"):
                await send(message)
            elif message["type"] == "http.response.start":      # TrustedHostMiddleware's English 400
                await PlainTextResponse(HOST_REFUSED, status_code=400)(scope, receive, send)

        await self.trusted(scope, receive, refusing)


class TrustedProxies:
    """The client's address and scheme as a trusted reverse proxy reports them (``serve
    --trusted-proxy``), an ASGI middleware. Only a request whose peer is one of the trusted
    addresses (or networks) is believed: its ``X-Forwarded-For`` is read from the right, past the
    trusted proxies, to the first other address — the client the proxy saw (what is left of that
    the client may have made up) — and its ``X-Forwarded-Proto`` (https/http) sets the scheme, so
    the session cookie gets ``Secure``. Any other request keeps its peer address and plain http,
    whatever it sends. Uvicorn's own proxy headers are off (``commands.serve``)."""

    def __init__(self, app, trusted: tuple[str, ...]):
        self.app = app
        self.networks = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def _trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in n for n in self.networks)

    async def __call__(self, scope, receive, send):
        client = scope.get("client")
        if scope["type"] == "http" and self.networks and client and self._trusted(client[0]):
            forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            hops = [h.strip() for h in ",".join(forwarded).split(",") if h.strip()]
            while hops and self._trusted(hops[-1]):
                hops.pop()
            if hops:
                try:
                    scope["client"] = (str(ipaddress.ip_address(hops[-1])), 0)
                except ValueError:
                    pass                            # not an address: the peer's stands
            proto = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-proto"]
            last = ",".join(proto).split(",")[-1].strip().lower() if proto else ""
            if last in ("http", "https"):
                scope["scheme"] = last
        await self.app(scope, receive, send)


def create_app(settings: Settings) -> Starlette:
    workspace = Workspace(settings)

    @asynccontextmanager
    async def lifespan(app):
        workspace.start()
        try:
            yield
        finally:
            workspace.stop()

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/admin", admin_page),
        Route("/admin/batch", admin_batch, methods=["POST"]),
        Route("/admin/jobs/{id}/{what}", job_file),
        Route("/admin/accounts", account_create, methods=["POST"]),
        Route("/admin/accounts/{id}/units", account_units, methods=["POST"]),
        Route("/admin/accounts/{id}/password", account_password, methods=["POST"]),
        Route("/admin/accounts/{id}/state", account_state, methods=["POST"]),
        Route("/admin/accounts/{id}/tokens", account_tokens, methods=["POST"]),
        Route("/admin/log", audit_page),
        Route("/admin/units", unit_create, methods=["POST"]),
        Route("/units/{name}", unit_page),
        Route("/units/{name}/upload", unit_upload, methods=["POST"]),
        Route("/units/{name}/report.{fmt:str}", report),
        Route("/units/{name}/template.xlsx", blank_workbook),
        Route("/units/{name}/versions/{vid}/preview", version_preview),
        Route("/units/{name}/versions/{vid}/file", version_file),
        Route("/units/{name}/versions/{vid}/restore", unit_restore, methods=["POST"]),
        Route("/api/units/{name}", api_unit),
        Route("/api/units/{name}/data", api_upload, methods=["POST"]),
        Route("/api/units/{name}/report.{fmt:str}", report),
        Route("/api/batch", api_batch_start, methods=["POST"]),
        Route("/api/batch/{id}", api_batch_status),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        Refused: on_refused, _Redirect: on_redirect, HTTPException: on_http, Exception: on_error})
    app.state.workspace = workspace
    app.add_middleware(HostAllowList, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    return app
