"""The HTTP side of `juesuan serve`: Uvicorn's h11 protocol with the limits a server facing a
network needs, and the open-files limit raised at start.

Uvicorn by itself closes an idle keep-alive connection (``timeout_keep_alive``) and answers 503
when too many requests are under way (``limit_concurrency``), but a connection that never finishes
its request headers, or stops sending in the middle of its body, is kept for ever: a few hundred
such sockets used up the process's open files (1024 by default) and the server stopped answering
anyone. ``Protocol`` (a subclass of Uvicorn's ``H11Protocol``, given as ``Config(http=…)``) adds:

- a header timeout: the request line and headers must be complete within ``header_timeout``
  seconds of the connection opening (or of the previous response ending); else 408 when part of
  a request came, and the connection is closed;
- a body timeout: a request body that stops arriving for ``body_timeout`` seconds ends the
  connection (the upload's temporary file is removed as for any broken connection);
- a connection limit: beyond ``max_connections`` open connections, a new one gets 503 at once
  and is closed, so the open files stay bounded whatever the clients do;
- a response sent before the request's body has ended (a refusal) ends the connection: Uvicorn
  would otherwise read the rest of the body, however long, to keep the connection;
- a lingering close: when the server closes a connection whose client is still sending a body
  (a 413 answered before the body ended), it first sends its answer and the end of its side
  (FIN), then reads and drops what still comes for at most ``LINGER_SECONDS`` (``LINGER_BYTES``)
  before closing, so the client reads the answer instead of a "connection reset".

Uvicorn's own ``limit_concurrency`` and ``timeout_keep_alive`` are set from the same limits
(``uvicorn_options``).
"""
from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..limits import DEFAULT_CONNECTION_LIMITS as DEFAULT_LIMITS

LINGER_SECONDS = 2.0
LINGER_BYTES = 16 * 1024 * 1024
ACCEPT_BATCH = 128                      # connections accepted at once (asyncio accepts up to its backlog before
                                        # any is handed to the protocol); also the listening socket's backlog
RESERVED_FILES = 64                     # open files besides connections: database, pools' pipes, uploads …
FILES_PER_CONNECTION = 2                # the connection's socket, a file its request opens (or one lingering)


@dataclass(frozen=True)
class Limits:               # the defaults are `juesuan serve`'s
    header_timeout: float = DEFAULT_LIMITS["header_timeout"]
    body_timeout: float = DEFAULT_LIMITS["body_timeout"]
    keep_alive_timeout: int = DEFAULT_LIMITS["keep_alive_timeout"]
    max_connections: int = DEFAULT_LIMITS["max_connections"]


def raise_open_files_limit() -> tuple[int, int]:
    """The soft RLIMIT_NOFILE raised to the hard limit where allowed: (soft, hard) afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def connections_allowed(wanted: int, open_files: int) -> int:
    """``wanted`` connections, fewer when the open-files limit cannot hold them (at least 8)."""
    if open_files == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, (open_files - RESERVED_FILES - ACCEPT_BATCH) // FILES_PER_CONNECTION))


def uvicorn_options(limits: Limits) -> dict:
    """What ``uvicorn.Config`` takes for these limits."""
    return {"http": protocol_class(limits), "timeout_keep_alive": limits.keep_alive_timeout, "backlog": ACCEPT_BATCH,
            # Uvicorn answers 503 once this many connections or requests are under way; ours
            # refuses the connection past max_connections already
            "limit_concurrency": limits.max_connections + 1}


def protocol_class(limits: Limits) -> type:
    return type("Protocol", (Protocol,), {"limits": limits})


class _Lingering:
    """Connections being closed while their client still sends (shared by all): at most a quarter
    of max_connections (others are closed at once), so clients that never stop sending cannot hold
    many sockets."""
    count = 0


TIMEOUT_408 = ("请求超时：请求头没有在规定时间内发完").encode()
BUSY_503 = ("服务器繁忙：同时连接的数量已达上限，请稍后重试").encode()


def _plain_response(status: str, text: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(text)}\r\n"
            "Connection: close\r\n\r\n").encode() + text


class _Transport:
    """The connection's transport as Uvicorn sees it: ``close()`` lingers when the client is still
    sending the body of a request already answered; everything else is the transport's own."""

    def __init__(self, transport, protocol: "Protocol"):
        self._transport, self._protocol = transport, protocol

    def __getattr__(self, name):
        return getattr(self._transport, name)

    def close(self) -> None:
        conn = self._protocol.conn
        answered = conn.our_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
        self._protocol._close(linger=answered and conn.their_state is h11.SEND_BODY)

    def is_closing(self) -> bool:
        return self._protocol._lingering or self._transport.is_closing()


class Protocol(H11Protocol):
    limits = Limits()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._lingering = False
        self._lingered = 0

    # ------------------------------------------------------------ the connection

    def connection_made(self, transport) -> None:
        self._raw = transport
        super().connection_made(_Transport(transport, self))
        if len(self.connections) > self.limits.max_connections:
            self.connections.discard(self)          # not counted: it is refused
            transport.write(_plain_response("503 Service Unavailable", BUSY_503))
            self._close(linger=True)
            return
        self._arm_header_timer()

    def connection_lost(self, exc) -> None:
        for timer in (self._header_timer, self._body_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        if self._lingering:
            self._lingering = False
            _Lingering.count -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:                         # the answer is sent: what still comes is dropped
            self._lingered += len(data)
            if self._lingered > LINGER_BYTES:
                self._raw.close()
            return
        super().data_received(data)
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is not h11.IDLE:                   # the request's headers are in
            self._cancel("_header_timer")
        if state is h11.SEND_BODY:
            self._arm_body_timer()
        else:
            self._cancel("_body_timer")

    def eof_received(self):
        if self._lingering:
            self._raw.close()
        return super().eof_received()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.SEND_BODY:  # answered before its body ended (a refusal): Uvicorn
            self.transport.close()                  # would read the rest, however long; close (lingering)
        elif self.conn.their_state is h11.IDLE:
            self._arm_header_timer()                # the next request's headers, on a kept-alive connection

    # ------------------------------------------------------------ timers

    def _cancel(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _arm_header_timer(self) -> None:
        self._cancel("_header_timer")
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_timeout)

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:              # part of a request came: say why it ends
            self._raw.write(_plain_response("408 Request Timeout", TIMEOUT_408))
        self._raw.close()

    def _arm_body_timer(self) -> None:
        self._cancel("_body_timer")
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_timeout)

    def _body_timeout(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        if self.flow.read_paused:                   # the application is not reading: not the client's doing
            self._arm_body_timer()
            return
        self._raw.close()                           # the application sees the client gone

    # ------------------------------------------------------------ closing

    def _close(self, linger: bool) -> None:
        """Close now, or (``linger``) after the client has had the answer: FIN sent, what it
        still sends read and dropped until it closes, LINGER_SECONDS pass or LINGER_BYTES came."""
        transport = self._raw
        if (not linger or self._lingering or transport.is_closing() or not transport.can_write_eof()
                or _Lingering.count >= max(4, self.limits.max_connections // 4)):
            transport.close()
            return
        self._lingering = True
        _Lingering.count += 1
        transport.write_eof()
        transport.resume_reading()
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, transport.close)
