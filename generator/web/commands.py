"""`juesuan serve` and `juesuan user add|token [--revoke]`: the web workspace from the command line.

Only argparse and the standard library at import: ``juesuan`` builds these parsers for every
command but ``check``/``render``/…, and Starlette, Uvicorn and argon2 are imported when a command
runs.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..cli_parser import port_number, positive_int
from ..limits import DEFAULT_CONNECTION_LIMITS, add_limit_arguments

EXIT_OK, EXIT_INPUT = 0, 2
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
# the connection options' defaults; server.Limits takes the same from generator/limits.py (stdlib only:
# server.py imports Uvicorn, which the parser must not)
DEFAULT_LIMITS = DEFAULT_CONNECTION_LIMITS
DEFAULT_UNIT_QUOTA_MB, DEFAULT_MIN_FREE_MB = 200, 1024
EXAMPLES = {
    "serve": "juesuan serve --data 工作区/ --port 8000",
    "user": "juesuan user add 张三 --role unit --unit 某单位名称 --data 工作区/ --password-stdin",
}


def _host_name(value: str) -> str:
    """A name for --allowed-host: a host name or address (no port), ``*.example.com`` or ``*``."""
    import ipaddress
    name = value.strip().lower()
    wildcard_ok = "*" not in name[1:] and (not name.startswith("*") or name == "*" or name.startswith("*."))
    try:
        port_free = ":" not in name or bool(ipaddress.IPv6Address(name.strip("[]")))
    except ValueError:
        port_free = False
    if not name or not wildcard_ok or not port_free or any(c.isspace() or c in "/@" for c in name):
        raise argparse.ArgumentTypeError(f"主机名不可用：{value}（写主机名或地址，不带端口，"
                                         "如 juesuan.example.cn、192.168.1.10、*.example.cn）")
    return name


def _proxy_address(value: str) -> str:
    """An address for --trusted-proxy: an IP address or a network (192.168.1.0/24)."""
    import ipaddress
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
        return str(network.network_address) if network.num_addresses == 1 else str(network)
    except ValueError:
        raise argparse.ArgumentTypeError(f"代理地址不可用：{value}（写反向代理的 IP 地址或网段，"
                                         "如 127.0.0.1、10.0.0.5、10.0.0.0/24）") from None


def _seconds(value: str) -> float:
    """A timeout for serve: seconds, more than 0, at most an hour."""
    import math
    try:
        n = float(value)
    except ValueError:
        n = math.nan
    if not 0 < n <= 3600:
        raise argparse.ArgumentTypeError(f"应为大于 0、不超过 3600 的秒数：{value}")
    return n


def _megabytes(value: str) -> int:
    """A size for serve in MB: a whole number ≥ 0."""
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"应为不小于 0 的整数（MB）：{value}")
    return n


def allowed_hosts(bound: str, given: list[str]) -> tuple[str, ...]:
    """The Host names served: the bound host, 127.0.0.1 and localhost, and each --allowed-host."""
    names = [bound, "127.0.0.1", "localhost", *given]
    return tuple(dict.fromkeys(f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names))


def add_commands(subparsers) -> None:
    s = subparsers.add_parser("serve", help="启动网页工作区：各单位用浏览器上传、检查、预览、下载")
    s.add_argument("--data", type=Path, required=True, help="工作区文件夹（数据库、上传的文件与生成的报告）")
    s.add_argument("--host", default=DEFAULT_HOST,
                   help=f"监听地址（默认 {DEFAULT_HOST}，只有本机能访问；局域网访问用本机的局域网地址或 0.0.0.0）")
    s.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}；0 自动选择空闲端口）")
    s.add_argument("--jobs", type=positive_int, default=2, help="批量生成的并行进程数（默认 2）")
    s.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="批量生成交给 Dask 集群：调度器地址（如 tcp://10.0.0.5:8786），或 local（每个批量任务在本机启动一个集群）；"
                        "不填则用本机的进程池。需要 pip install -e '.[cluster]'")
    add_limit_arguments(s)
    s.add_argument("--allowed-host", action="append", default=[], type=_host_name, metavar="主机名",
                   help="另外接受的主机名（请求头 Host；可写多次，如局域网地址或域名；*.example.cn 匹配子域名）。"
                        "总是接受监听地址、127.0.0.1 与 localhost；其他主机名的请求得到 400")
    s.add_argument("--header-timeout", type=_seconds, default=DEFAULT_LIMITS["header_timeout"], metavar="秒",
                   help=f"请求头须在连接后多少秒内发完，否则断开（默认 {DEFAULT_LIMITS['header_timeout']:g}）")
    s.add_argument("--body-timeout", type=_seconds, default=DEFAULT_LIMITS["body_timeout"], metavar="秒",
                   help=f"请求体（如上传的文件）停止到达多少秒后断开（默认 {DEFAULT_LIMITS['body_timeout']:g}）")
    s.add_argument("--keep-alive-timeout", type=positive_int, default=DEFAULT_LIMITS["keep_alive_timeout"],
                   metavar="秒", help=f"空闲的保持连接多少秒后关闭（默认 {DEFAULT_LIMITS['keep_alive_timeout']}）")
    s.add_argument("--max-connections", type=positive_int, default=DEFAULT_LIMITS["max_connections"], metavar="N",
                   help=f"同时打开的连接数上限，超过的新连接得到 503（默认 {DEFAULT_LIMITS['max_connections']}；"
                        "打开文件数上限不够时自动减少）")
    s.add_argument("--unit-quota-mb", type=_megabytes, default=DEFAULT_UNIT_QUOTA_MB, metavar="MB",
                   help=f"每个单位保存的上传文件合计上限（默认 {DEFAULT_UNIT_QUOTA_MB}；0 不限）")
    s.add_argument("--min-free-disk-mb", type=_megabytes, default=DEFAULT_MIN_FREE_MB, metavar="MB",
                   help=f"工作区所在磁盘至少保留的空间，不足时拒绝上传（默认 {DEFAULT_MIN_FREE_MB}）")
    s.add_argument("--trusted-proxy", action="append", default=[], type=_proxy_address, metavar="地址",
                   help="反向代理的地址或网段（可写多次）：只有来自它的请求头 X-Forwarded-For（客户的地址，"
                        "用于登录限制与操作记录）与 X-Forwarded-Proto（https 时 Cookie 加 Secure）才被采信。"
                        "不写则一律用连接的对方地址，不看这些请求头")
    u = subparsers.add_parser("user", help="管理网页工作区的账号：add 新建，token 生成（或 --revoke 作废）API 令牌")
    us = u.add_subparsers(dest="user_command", required=True, title="子命令", metavar="子命令", parser_class=type(u))
    a = us.add_parser("add", help="新建账号")
    a.add_argument("name", help="用户名")
    a.add_argument("--role", choices=("admin", "unit"), required=True,
                   help="admin 部门财务（看到并生成全部单位）；unit 单位填报人员（只看到自己的单位）")
    a.add_argument("--unit", action="append", default=[], metavar="单位名称",
                   help="单位填报人员的单位（可写多次；单位第一次被提到时建立）")
    a.add_argument("--data", type=Path, required=True, help="工作区文件夹")
    a.add_argument("--password-stdin", action="store_true", help="从标准输入读密码（一行）；不加则交互输入")
    t = us.add_parser("token", help="为账号生成一个 API 令牌（打印在最后一行；只显示这一次），或用 --revoke 作废它的全部令牌")
    t.add_argument("name", help="用户名")
    t.add_argument("--data", type=Path, required=True, help="工作区文件夹")
    t.add_argument("--revoke", action="store_true", help="作废这个账号的全部 API 令牌（不生成新的）")
    for name, p in (("serve", s), ("user", u)):
        p.epilog = f"例：{EXAMPLES[name]}"
    a.epilog = f"例：{EXAMPLES['user']}"
    t.epilog = "例：juesuan user token 张三 --data 工作区/；作废：juesuan user token 张三 --revoke --data 工作区/"


def run(args) -> int:
    if args.command == "serve":
        return serve(args)
    return user_add(args) if args.user_command == "add" else user_token(args)


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return EXIT_INPUT


def _data_problem(data: Path) -> str | None:
    from ..atomic import output_dir_problem
    why = output_dir_problem(data)
    return f"--data {data}：{why}" if why else None


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("密码：")
    second = getpass.getpass("再输入一次：")
    if first != second:
        print("错误：两次输入的密码不一样", file=sys.stderr)
        return None
    return first


def user_add(args) -> int:
    why = _data_problem(args.data)
    if why:
        return _fail(why)
    from .accounts import ROLE_NAMES, hash_password, password_problem
    from .store import Store, StoreError
    if args.role == "admin" and args.unit:
        return _fail("部门财务（admin）看到全部单位，不用 --unit")
    if args.role == "unit" and not args.unit:
        return _fail("单位填报人员（--role unit）要用 --unit 单位名称 指定单位")
    password = _read_password(args.password_stdin)
    if password is None:
        return EXIT_INPUT
    why = password_problem(password)
    if why:
        return _fail(why)
    store = Store(args.data)
    try:
        account = store.add_account(args.name, args.role, hash_password(password), args.unit)
    except StoreError as exc:
        return _fail(str(exc))
    store.audit("（命令行）", "新建账号", "、".join(args.unit), f"{account.name}，{ROLE_NAMES[account.role]}")
    units = f"，单位：{'、'.join(args.unit)}" if args.unit else ""
    print(f"已建立账号：{account.name}（{'部门财务' if account.admin else '单位填报人员'}{units}）")
    return EXIT_OK


def user_token(args) -> int:
    why = _data_problem(args.data)
    if why:
        return _fail(why)
    from .accounts import new_token, token_hash
    from .store import Store
    store = Store(args.data)
    account = store.account_by_name(args.name)
    if account is None:
        return _fail(f"没有用户“{args.name}”：先用 juesuan user add 建立")
    if args.revoke:
        n = store.revoke_tokens(account.id)
        store.audit("（命令行）", "作废 API 令牌", detail=f"{account.name}：{n} 个")
        print(f"已作废 {account.name} 的全部 API 令牌（{n} 个）" if n else f"{account.name} 没有 API 令牌，无需作废")
        return EXIT_OK
    token = new_token()
    store.add_token(account.id, token_hash(token))
    store.audit("（命令行）", "生成 API 令牌", detail=account.name)
    print(f"已为 {account.name} 生成 API 令牌（只显示这一次，请妥善保存；请求头：Authorization: Bearer <令牌>）：")
    print(token)
    return EXIT_OK


def serve(args) -> int:
    why = _data_problem(args.data)
    if why:
        return _fail(why)
    import socket

    import uvicorn

    from .app import Settings, create_app
    from .server import Limits, connections_allowed, raise_open_files_limit, uvicorn_options
    open_files, _ = raise_open_files_limit()
    connections = connections_allowed(args.max_connections, open_files)
    limits = Limits(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                    keep_alive_timeout=args.keep_alive_timeout, max_connections=connections)
    if args.cluster is not None:
        from ..batch.cluster import address_problem, cluster_available
        why = address_problem(args.cluster) or (None if cluster_available() else
                                                "需要 Dask（dask[distributed]）：pip install -e '.[cluster]'")
        if why:
            return _fail(f"--cluster {args.cluster}：{why}")
    try:
        infos = socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)                 # connections wait in the backlog until the app has started (server.ACCEPT_BATCH)
    except OSError as exc:
        return _fail(f"无法在 {args.host}:{args.port} 启动服务（{exc.strerror or exc}）")
    host, port = sock.getsockname()[:2]
    hosts = allowed_hosts(host, [args.host, *args.allowed_host])
    proxies = tuple(dict.fromkeys(args.trusted_proxy))
    app = create_app(Settings(Path(args.data), batch_jobs=args.jobs, batch_cluster=args.cluster,
                              allowed_hosts=hosts, trusted_proxies=proxies,
                              worker_memory_mb=args.worker_memory_mb, worker_timeout=args.worker_timeout,
                              unit_quota=args.unit_quota_mb * 1024 * 1024,
                              min_free_disk=args.min_free_disk_mb * 1024 * 1024))
    shown = f"[{host}]" if ":" in host else host
    print(f"工作区地址：http://{shown}:{port}/", flush=True)
    print(f"数据：{Path(args.data).resolve()}；按 Ctrl-C 停止。", flush=True)
    print(f"接受的主机名：{'、'.join(hosts)}（--allowed-host 添加）", flush=True)
    if args.cluster:
        from ..batch.cluster import reachable_problem
        why = reachable_problem(args.cluster)
        print(f"批量生成：在 Dask 集群 {args.cluster} 上" + (f"（现在连不上：{why}；每个批量任务开始时会再连）" if why else ""),
              flush=True)
    if proxies:
        print(f"信任的反向代理：{'、'.join(proxies)}（只采信它们的 X-Forwarded-For 与 X-Forwarded-Proto）", flush=True)
    if connections < args.max_connections:
        print(f"注意：打开文件数上限为 {open_files}，同时连接数上限由 {args.max_connections} 减为 {connections}"
              "（可用 ulimit -n 提高）。", flush=True)
    if host not in ("127.0.0.1", "::1", "localhost"):
        print("注意：服务对网络开放；请通过 HTTPS 反向代理提供，并只在单位内部网络中使用。", flush=True)
    # proxy headers: only TrustedProxies (--trusted-proxy) reads them; Uvicorn's own would believe
    # X-Forwarded-For from 127.0.0.1 (or $FORWARDED_ALLOW_IPS) by default
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                            proxy_headers=False, **uvicorn_options(limits))
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    print("工作区已停止。", flush=True)
    return EXIT_OK
