"""The web workspace's Starlette application: pages for people, an HTTP API for scripts.

Who may do what: an account is ``admin`` (the department's finance office: every unit, batch
rendering, the audit log) or ``unit`` (its own units only). Every lookup of a unit goes through
``common._unit_for``, every version through ``common._version_for``: a unit the account may not see, a version of
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

import ipaddress
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .api import api_batch_start, api_batch_status, api_unit, api_upload, report
from .common import CSP_PAGES, HTTP_TEXT, STATIC, Refused, Settings, Workspace, _is_api, _page, _Redirect
from .pages_admin import (
    account_create,
    account_password,
    account_state,
    account_tokens,
    account_units,
    admin_batch,
    admin_page,
    profiles_page,
    audit_page,
    job_file,
    unit_create,
)
from .pages_login import login_page, login_submit, logout
from .pages_consolidate import consolidate_page, consolidate_submit
from .pages_reports import report_audit, reports_page
from .pages_units import blank_workbook, home, unit_page, unit_restore, unit_upload, version_file, version_preview

# ---------------------------------------------------------------- errors and headers

def _error_response(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    if _is_api(request) or request.headers.get("x-csrf-token"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return _page(request, "error.html.j2", status=status, message=message, status_code=status)


async def on_refused(request: Request, exc: Refused) -> Response:
    return _error_response(request, exc.status, exc.message, exc.headers)


async def on_redirect(request: Request, exc: _Redirect) -> Response:
    return RedirectResponse(exc.url, status_code=303)


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
        Route("/admin/profiles", profiles_page),
        Route("/admin/consolidate", consolidate_page),
        Route("/admin/consolidate", consolidate_submit, methods=["POST"]),
        Route("/admin/reports", reports_page),
        Route("/admin/reports", report_audit, methods=["POST"]),
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

