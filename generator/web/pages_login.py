"""The login and logout pages: a double-submit CSRF token of the login form's own, logins throttled
per (account name, address) and per address, the attempt counted before its password is verified."""
from __future__ import annotations

import asyncio
import ipaddress
import secrets
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import accounts
from .common import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Refused, Workspace, _check_csrf, _ip, _page, _require, _ws

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


