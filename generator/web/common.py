"""What every handler of the web workspace shares: the settings, the ``Workspace`` (store,
pools, templates), the checks of who asks (``_require``, ``_unit_for``, ``_version_for``: a unit or
version the account may not see answers the same 404 as one that does not exist), CSRF, pages and
download names."""
from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse

from .. import search_path
from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from ..atomic import clean_stale_parts
from ..write.html_writer import TEMPLATES_DIR
from ..names import DRAFT_SUFFIX, safe_filename
from . import accounts, work
from .batchjob import BatchRunner
from .pool import WorkerDied, WorkerPool
from .store import Account, Store, Unit, Version

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
PROFILES_FOLDER = "profiles"           # <data>/profiles/: the workspace's own profiles (a --profiles DIR)

CSP_PAGES = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
CSP_PREVIEW = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
MEDIA = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HTTP_TEXT = {404: "没有这个页面", 405: "不支持这种请求方法", 400: "请求无效"}
NOT_FOUND_UNIT = "没有这个单位，或您无权查看"


@dataclass
class Settings:
    data: Path
    check_workers: int = 2
    render_workers: int = 1
    batch_jobs: int = 2
    batch_cluster: str | None = None              # batch jobs on this Dask scheduler, or "local" (`serve --cluster`)
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
        # the admin's profile folder: searched before templates/ here, in every worker and batch
        self.profiles = Path(settings.data) / PROFILES_FOLDER
        search_path.set_user_roots([self.profiles])
        self.batches = BatchRunner(self.store, settings.batch_jobs, settings.worker_memory_mb, settings.worker_timeout,
                                   cluster=settings.batch_cluster)
        self.check_pool: WorkerPool | None = None
        self.render_pool: WorkerPool | None = None
        self.rendering: dict[tuple[int, bool], asyncio.Future] = {}
        self.env = Environment(loader=FileSystemLoader(WEB_TEMPLATES), autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)

    def _pool(self, workers: int) -> WorkerPool:
        # each worker under the memory limit, each task under the time limit (pool.WorkerPool)
        init = functools.partial(work.init_worker, tuple(str(p) for p in search_path.user_roots()))
        return WorkerPool(workers, init, self.settings.worker_memory_mb, self.settings.worker_timeout)

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
    """A download's file name: unsafe characters removed (names), at most 240 bytes before
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


