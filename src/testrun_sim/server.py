"""A small real HTTP server for the service simulators: routing, JSON, a request log, and faults that a
test scripts per request. Standard library only, so the action itself never imports it.

Admin endpoints, for tests that drive a simulator from another process (the container test):
    GET  /_sim/requests            every request received, in order
    POST /_sim/faults              {"method", "path" (regex), "kind", "times", ...}: see `Fault`
    DELETE /_sim/faults            drop every scripted fault
Each simulator adds its own under `/_sim/` (scenarios, runs).
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any] | list[Any]
T = TypeVar("T")


def scripted(kind: type[T], spec: Any) -> T:
    """A scenario dataclass (`Scenario`, `Plan`, ...) from JSON. Unknown fields are refused with the list
    of known ones: a misspelt field must not quietly script the default behaviour."""
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    if not isinstance(spec, dict):
        raise ValueError(f"expected a JSON object with fields from {sorted(known)}")
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; expected fields from {sorted(known)}")
    return kind(**spec)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    received: float = field(default_factory=time.monotonic)  # when it arrived, for timing assertions

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def recorded(self) -> dict[str, Any]:
        try:
            body: Any = self.json()
        except ValueError:
            body = self.body.decode("utf-8", "replace")
        headers = {k: v for k, v in self.headers.items() if k not in ("authorization",)}
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": body,
            "at": self.received,
        }


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, **extra: Any) -> Reply:
    return Reply(status, {"data": None, "error": {"message": message}, **extra})


def dashboard(title: str, facts: dict[str, Any] | None) -> Reply:
    """A small HTML page standing in for the service's dashboard page of one run, so that a sandbox run's
    report links stay on the sandbox: the run's facts as the simulator knows them, or 404 for no run."""
    if facts is None:
        return Reply(404, b"<!doctype html><title>Not found</title><p>No such run in this simulator.",
                     {"content-type": "text/html; charset=utf-8"})  # fmt: skip
    rows = "".join(
        f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(json.dumps(value))}</td></tr>"
        for name, value in facts.items()
        if name != "body"  # the trigger's body: its environment variables are no page's business
    )
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1><p>A page of the simulator, standing in for the service's dashboard."
        f"</p><table>{rows}</table></body></html>"
    )
    return Reply(200, page.encode("utf-8"), {"content-type": "text/html; charset=utf-8"})


@dataclass
class Fault:
    """A scripted misbehaviour for requests matching `method` and the `path` regex, `times` times.

    kind: "status" (answer `status` with `body`/`headers`), "delay" (sleep `delay` s, then answer
    normally), "reset" (read the request, then close the connection without answering), "malformed"
    (answer 200 with a body that is not JSON), "drop_after" (handle the request normally, then close
    without answering: the service acted but the client never hears), "rewrite" (handle the request
    normally, then answer `status` with `body`: the service acted and said something else, e.g. an HTML
    page from a proxy), "stall_after" (handle the request normally, then wait `delay` s before answering:
    the service acted while the client is still waiting).
    """

    method: str
    path: str
    kind: str
    times: int = 1
    status: int = 503
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    until: float | None = None  # active until this time on the app's clock, however many requests

    def matches(self, request: Request) -> bool:
        return self.method in ("*", request.method) and re.search(self.path, request.path) is not None


Handler = Callable[[Request, re.Match[str]], Reply]


class App:
    """A router: subclasses register (method, path regex, handler) and get admin endpoints for free."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self.route("GET", r"/_sim/requests", lambda r, m: Reply(200, self.requests))
        self.route("POST", r"/_sim/faults", self._add_fault)
        self.route("DELETE", r"/_sim/faults", self._clear_faults)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def script(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def _add_fault(self, request: Request, match: re.Match[str]) -> Reply:
        self.script(Fault(**request.json()))
        return Reply(201, {"faults": [asdict(f) for f in self.faults]})

    def _clear_faults(self, request: Request, match: re.Match[str]) -> Reply:
        with self.lock:
            self.faults.clear()
        return Reply(204)

    def record(self, request: Request) -> None:
        """Keep the request in the log, with the moment it arrived on the app's own clock (`clock`,
        virtual in fast tests and benchmarks) besides the real one (`at`)."""
        with self.lock:
            self.requests.append({**request.recorded(), "clock": self.clock()})

    def take_fault(self, request: Request) -> Fault | None:
        if request.path.startswith("/_sim/"):
            return None
        with self.lock:
            for fault in list(self.faults):
                if fault.until is not None and self.clock() >= fault.until:
                    self.faults.remove(fault)
                elif fault.matches(request):
                    if fault.until is None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def dispatch(self, request: Request) -> Reply:
        if not request.path.startswith("/_sim/"):
            self.record(request)
        allowed = []
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match:
                if method == request.method:
                    with self.lock:
                        try:
                            return handler(request, match)
                        except ValueError as exc:  # a bad admin script: say what is wrong
                            if not request.path.startswith("/_sim/"):
                                raise
                            return error(400, str(exc))
                allowed.append(method)
        if allowed:
            return error(405, f"Method {request.method} not allowed")
        return error(404, "Not found")

    def recorded(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The requests received, optionally only those with this method and matching this path regex."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r["method"] == method) and (path is None or re.search(path, r["path"]))
            ]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the client's
    # delayed ACK (40 ms on Linux), which would dwarf every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the request log instead
        pass

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        app = self.server.owner.app
        fault = app.take_fault(request)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind in ("reset", "status"):
            app.record(request)
            if fault.kind == "reset":
                self._abort()
            else:
                self._send(Reply(fault.status, fault.body, fault.headers))
            return
        reply = app.dispatch(request)
        if fault is not None and fault.kind == "drop_after":
            self._abort()
            return
        if fault is not None and fault.kind == "rewrite":
            reply = Reply(fault.status, fault.body, fault.headers)
        if fault is not None and fault.kind == "stall_after":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "malformed":
            reply = Reply(200, b'{"data": {"test_runs": [', {"content-type": "application/json"})
        self._send(reply)

    def _abort(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, bytes):
            payload = reply.body
            content_type = "application/octet-stream"
        elif reply.body is None:
            payload = b""
            content_type = "application/json"
        else:
            payload = json.dumps(reply.body).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        headers = {"content-type": content_type, **{k.lower(): v for k, v in reply.headers.items()}}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: Any  # the `Background` serving: its handlers reach their app or proxy through it


class CannotListen(OSError):
    """A server could not take its address: the port is in use (`in_use`), or not ours to take."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror)
        self.host, self.port = host, port
        self.in_use = cause.errno == errno.EADDRINUSE


class Background:
    """An HTTP server on a thread of its own; use as a context manager. Subclasses name the handler."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        name: str = "simulator",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: a server-side context to serve https with (a test's own certificate)."""
        self._host = host
        try:
            self._server = _Server((host, port), self.handler)
        except OSError as exc:
            raise CannotListen(host, port, exc) from None
        self._server.owner = self
        self._scheme = "https" if tls else "http"
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        host = self._host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a wildcard is reached on loopback
        return f"{self._scheme}://{shown}:{self._server.server_port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Served(Background):
    """An app served on 127.0.0.1 in a background thread; use as a context manager."""

    handler = _RequestHandler

    def __init__(
        self, app: App, port: int = 0, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self.app = app
        super().__init__(port, host, tls=tls)
