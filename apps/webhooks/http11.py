"""A small HTTP/1.1 client on asyncio streams for webhook POSTs (issue 21, item 3).

Why not httpx: measured with bench/webhooks_delivery.py (py-spy and per-thread CPU), httpx's
AsyncClient cost 5.3-7.0 ms of the sender thread's CPU per delivery on this 2-core machine kind —
more than the claim, the signing and the recording together — for what is one request on a
kept-alive connection: its request/response models, header normalisation, the httpcore pool's
locks and per-phase timeouts. A webhook POST needs none of that: a status line, a few headers, a
body of known length, and the first KB of the answer.

What it does: keep-alive connections pooled by (scheme, address connected to, port, TLS name) —
so two names served by one address never share a TLS connection made with the other's SNI —;
TLS with the system's default context, the certificate verified against the host *name* while
the connection goes to the pinned address (the SSRF guard's); `Content-Length` bodies out;
answers with `Content-Length`, chunked, or read-to-close bodies, of which the first
`excerpt_bytes` are kept (a longer body closes the connection rather than being drained); 1xx
answers skipped. A request on a reused connection that the server had closed (no byte of an
answer received) is sent once more on a new connection, as other clients do — at-least-once
allows the repeat. No redirects, no proxies, no cookies.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections import OrderedDict
from urllib.parse import quote, urlsplit

MAX_IDLE_PER_KEY = 32
MAX_KEYS = 256
MAX_HEADER_BYTES = 64 * 1024
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"


class HttpError(Exception):
    """The answer was not HTTP we can read."""


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class Pool:
    """Idle keep-alive connections of one sender (one event loop)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._idle: OrderedDict[tuple, list[_Conn]] = OrderedDict()
        self._ssl = ssl_context

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _take(self, key: tuple) -> _Conn | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                return conn
            conn.close()
        return None

    def _give_back(self, key: tuple, conn: _Conn) -> None:
        idle = self._idle.setdefault(key, [])
        self._idle.move_to_end(key)
        if len(idle) >= MAX_IDLE_PER_KEY:
            conn.close()
            return
        idle.append(conn)
        while len(self._idle) > MAX_KEYS:
            _old, conns = self._idle.popitem(last=False)
            for c in conns:
                c.close()

    async def _open(self, key: tuple, connect_timeout: float) -> _Conn:
        scheme, address, port, name = key
        tls = self._context() if scheme == "https" else None
        async with asyncio.timeout(connect_timeout):
            reader, writer = await asyncio.open_connection(
                address, port, ssl=tls, server_hostname=name if tls is not None else None
            )
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Conn(reader, writer)

    async def post(
        self,
        url: str,
        *,
        body: bytes,
        headers: dict[str, str],
        connect_to: str = "",
        tls_name: str = "",
        host_header: str = "",
        connect_timeout: float = 5.0,
        excerpt_bytes: int = 1024,
    ) -> tuple[int, bytes]:
        """POSTs `body` to `url` (connecting to `connect_to` when given, the pinned address;
        `tls_name` is the name the certificate must carry and the SNI, `host_header` the Host
        header — both default to the URL's). Returns the status and the first `excerpt_bytes`
        of the answer's body. The caller bounds the whole exchange (asyncio.timeout)."""
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            raise HttpError(f"unsupported scheme {scheme!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        name = tls_name or parts.hostname or ""
        key = (scheme, connect_to or parts.hostname, port, name if scheme == "https" else "")
        target = quote(parts.path or "/", safe=_PATH_SAFE) + (
            "?" + quote(parts.query, safe=_PATH_SAFE + "?") if parts.query else ""
        )
        head = [f"POST {target} HTTP/1.1", f"Host: {host_header or parts.netloc}"]
        for field, value in headers.items():
            if field.lower() in ("host", "content-length", "connection", "transfer-encoding"):
                continue
            if "\r" in value or "\n" in value or "\r" in field or "\n" in field or ":" in field:
                raise HttpError(f"invalid header {field!r}")
            head.append(f"{field}: {value}")
        head += [f"Content-Length: {len(body)}", "", ""]
        message = "\r\n".join(head).encode("latin-1") + body

        conn = self._take(key)
        reused = conn is not None
        while True:
            if conn is None:
                conn = await self._open(key, connect_timeout)
            answered = [False]
            try:
                conn.writer.write(message)
                await conn.writer.drain()
                status, excerpt, keep = await _read_response(conn.reader, excerpt_bytes, answered)
            except (ConnectionError, asyncio.IncompleteReadError, HttpError) as exc:
                conn.close()
                if reused and not answered[0] and not isinstance(exc, HttpError):
                    conn, reused = None, False  # the server closed the idle connection: once more
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if keep:
                self._give_back(key, conn)
            else:
                conn.close()
            return status, excerpt

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()


async def _read_head(reader: asyncio.StreamReader, answered: list[bool]) -> tuple[str, int, dict[str, str]]:
    line = await reader.readline()
    if not line:
        raise asyncio.IncompleteReadError(b"", None)
    answered[0] = True
    try:
        version, code, *_reason = line.decode("latin-1").split(" ", 2)
        status = int(code)
    except ValueError as exc:
        raise HttpError(f"bad status line {line[:100]!r}") from exc
    if not version.startswith("HTTP/1."):
        raise HttpError(f"bad status line {line[:100]!r}")
    fields: dict[str, str] = {}
    size = len(line)
    while True:
        line = await reader.readline()
        size += len(line)
        if size > MAX_HEADER_BYTES:
            raise HttpError("response headers too large")
        if line in (b"\r\n", b"\n"):
            return version, status, fields
        if not line:
            raise HttpError("connection closed in the response headers")
        field, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise HttpError(f"bad header line {line[:100]!r}")
        name = field.strip().lower()
        value = value.strip()
        fields[name] = f"{fields[name]}, {value}" if name in fields else value


async def _read_response(
    reader: asyncio.StreamReader, excerpt_bytes: int, answered: list[bool]
) -> tuple[int, bytes, bool]:
    """(status, body excerpt, whether the connection can be reused)."""
    while True:
        version, status, fields = await _read_head(reader, answered)
        if not 100 <= status < 200:
            break
    connection = fields.get("connection", "").lower()
    keep = version == "HTTP/1.1" and "close" not in connection
    if status in (204, 304):
        return status, b"", keep
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size_line = await reader.readline()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise HttpError(f"bad chunk size {size_line[:50]!r}") from exc
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return status, body, keep
            if len(body) + size > excerpt_bytes:
                body += await reader.readexactly(max(0, min(size, excerpt_bytes - len(body))))
                return status, body, False  # the rest is not read: this connection is done
            body += await reader.readexactly(size)
            await reader.readexactly(2)  # CRLF after the chunk
    length = fields.get("content-length")
    if length is not None:
        try:
            n = int(length)
        except ValueError as exc:
            raise HttpError(f"bad content-length {length!r}") from exc
        if n > excerpt_bytes:
            return status, await reader.readexactly(excerpt_bytes), False
        return status, await reader.readexactly(n), keep
    # No length: the body runs to the end of the connection.
    body = b""
    while len(body) < excerpt_bytes:
        chunk = await reader.read(excerpt_bytes - len(body))
        if not chunk:
            break
        body += chunk
    return status, body, False
