"""A hostile proxy on 127.0.0.1: in front of a simulator, it answers the requests a `Rule` matches as a
broken service or an attacker would, and passes every other request through unchanged.

    trickle    the answer (the simulator's, or `body`) sent a byte every `every` seconds; with
               `headers_too` the status line and headers as well
    silent     the request is read and never answered
    bomb       200, `Content-Encoding: gzip`, a body that inflates to `size` bytes of JSON
    huge       200 with `size` bytes of JSON (or of JUnit XML with `xml`), streamed without a length
               unless `declared`
    rewrite    the simulator's answer with `headers` set (replacing its own of those names) and each `replace` pair applied to its body
    redirect   `status` (a 3xx) to `location`
    answer     `status` with `headers` and `body`, as they are

Standard library only. Every hostile loop ends when the proxy stops, when the client goes away, or
after `LONGEST` seconds, so a test that fails never hangs.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import re
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .server import Background

LONGEST = 120.0  # seconds any hostile answer lasts at most
BLOCK = 1 << 20


@dataclass
class Rule:
    method: str  # "*" for any
    path: str  # a regex searched in the path
    kind: str
    times: int = 1_000_000
    every: float = 2.0
    headers_too: bool = False
    body: bytes | None = None
    size: int = 1 << 30
    xml: bool = False
    declared: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    replace: list[tuple[bytes, bytes]] = field(default_factory=list)
    status: int = 302
    location: str = ""
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method in ("*", method) and re.search(self.path, path) is not None


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A gzip body that inflates to `{"data": [` + `size` bytes of spaces + `]}`: 1 GiB from about 1 MB.
    Built from one repeated deflate block (a full flush resets the compressor), so it takes a second."""
    head, tail = b'{"data": [', b"]}"
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    spaces = b" " * BLOCK
    block = deflate.compress(spaces) + deflate.flush(zlib.Z_FULL_FLUSH)
    blocks, rest = divmod(size, BLOCK)
    end = deflate.compress(b" " * rest + tail) + deflate.flush()
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(b" " * rest + tail, crc)
    total = len(head) + size + len(tail)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + start + block * blocks + end + struct.pack("<II", crc, total & 0xFFFFFFFF)


def _huge_chunks(size: int, xml: bool) -> tuple[bytes, bytes, bytes]:
    if xml:
        case = b'<testcase name="t" classname="c"><failure>' + b"x" * 900 + b"</failure></testcase>\n"
        return (
            b'<?xml version="1.0"?>\n<testsuites><testsuite name="s">\n',
            case,
            b"</testsuite></testsuites>\n",
        )
    return b'{"data": [', b'"' + b"x" * 1000 + b'",', b'"x"]}'


class Hostile(Background):
    """The proxy, served in a background thread; use as a context manager. `url` is what clients use."""

    def __init__(self, upstream: str = "") -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.rules: list[Rule] = []
        self.seen: list[dict[str, Any]] = []  # method, path, headers of every request, hostile or not
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__(name="hostile")

    def add(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def take(self, method: str, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.times -= 1
                    rule.hits += 1
                    return rule
        return None

    def stop(self) -> None:
        self.stopping.set()  # first, so that trickling and silent answers end
        super().stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 15  # a client that stops reading cannot block a write for longer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def proxy(self) -> Hostile:
        return self.server.owner  # type: ignore[attr-defined,no-any-return]

    def _handle(self) -> None:
        proxy = self.proxy
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        with proxy.lock:
            proxy.seen.append({"method": self.command, "path": path, "headers": dict(self.headers.items())})
        rule = proxy.take(self.command, path)
        kind = rule.kind if rule else "pass"
        with contextlib.suppress(OSError):
            if rule is None:
                self._write(self._upstream(body))
            elif kind == "silent":
                proxy.stopping.wait(LONGEST)
                self.close_connection = True
            elif kind == "trickle":
                self._trickle(rule, body)
            elif kind == "bomb":
                payload = gzip_bomb(rule.size)
                self._head(
                    200, {"content-type": "application/json", "content-encoding": "gzip"}, len(payload)
                )
                self.wfile.write(payload)
            elif kind == "huge":
                self._huge(rule)
            elif kind == "rewrite":
                status, headers, payload = self._upstream(body)
                for old, new in rule.replace:
                    payload = payload.replace(old, new)
                replaced = {name.lower() for name in rule.headers}
                kept = [(name, value) for name, value in headers if name.lower() not in replaced]
                self._write((status, [*kept, *rule.headers.items()], payload))
            elif kind == "redirect":
                self._write((rule.status, [("location", rule.location)], b""))
            elif kind == "answer":
                self._write((rule.status, list(rule.headers.items()), rule.body or b""))
            else:  # pragma: no cover - a misspelt rule in a test
                raise ValueError(f"unknown hostile kind {kind!r}")

    def _upstream(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = self.proxy.upstream
        if upstream is None:
            return 404, [("content-type", "application/json")], b'{"message": "Not found"}'
        connection = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=30)
        try:
            skip = ("host", "content-length", "connection", "accept-encoding")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            # The simulator's own URLs in its answers point back here, as a real proxy's would.
            own, ours = f"http://{upstream.netloc}", self.proxy.url
            payload = answer.read().replace(own.encode(), ours.encode())
            kept = [
                (k, v.replace(own, ours))
                for k, v in answer.getheaders()
                if k.lower() not in ("content-length", "connection")
            ]
            return answer.status, kept, payload
        finally:
            connection.close()

    def _head(self, status: int, headers: dict[str, str] | list[tuple[str, str]], length: int | None) -> None:
        self.send_response(status)
        for name, value in headers.items() if isinstance(headers, dict) else headers:
            self.send_header(name, value.encode("utf-8").decode("latin-1"))  # UTF-8 bytes on the wire
        if length is None:
            self.send_header("connection", "close")
            self.close_connection = True
        else:
            self.send_header("content-length", str(length))
        self.end_headers()

    def _write(self, answer: tuple[int, list[tuple[str, str]], bytes]) -> None:
        status, headers, payload = answer
        self._head(status, headers, len(payload))
        self.wfile.write(payload)

    def _trickle(self, rule: Rule, body: bytes) -> None:
        if rule.body is not None:
            status, headers, payload = 200, [("content-type", "application/json")], rule.body
        else:
            status, headers, payload = self._upstream(body)
        self.close_connection = True
        head = (
            f"HTTP/1.1 {status} OK\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers)
            + f"content-length: {len(payload)}\r\n\r\n"
        ).encode("latin-1")
        if not rule.headers_too:
            self.wfile.write(head)
            self.wfile.flush()
            head = b""
        proxy, until = self.proxy, time.monotonic() + LONGEST
        for index in range(len(head + payload)):
            self.wfile.write((head + payload)[index : index + 1])
            self.wfile.flush()
            if proxy.stopping.wait(rule.every) or time.monotonic() > until:
                return

    def _huge(self, rule: Rule) -> None:
        start, piece, end = _huge_chunks(rule.size, rule.xml)
        count = max(0, (rule.size - len(start) - len(end)) // len(piece))
        length = len(start) + count * len(piece) + len(end)
        kind = "application/xml" if rule.xml else "application/json"
        self._head(200, {"content-type": kind}, length if rule.declared else None)
        self.wfile.write(start)
        batch = piece * max(1, BLOCK // len(piece))
        sent, proxy = 0, self.proxy
        while sent + len(batch) // len(piece) <= count and not proxy.stopping.is_set():
            self.wfile.write(batch)
            sent += len(batch) // len(piece)
        if not proxy.stopping.is_set():
            self.wfile.write(piece * (count - sent) + end)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


Hostile.handler = _Handler  # the handler is written after the proxy it serves
