"""Echo's simulator: a tiny HTTP service on 127.0.0.1. A run is queued, runs, then echoes back `tests`
results of which `failures` failed; the word `silence` ends it in an error."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "echo-key-123"
TESTS = 5
POLLS_TO_END = 2  # status reads a run takes to end: queued, running, then done


class EchoService:
    def __init__(self) -> None:
        self.runs: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.requests.append((method, path))
        with self.lock:
            if method == "POST" and path == "/runs":
                run_id = 100 + len(self.runs)
                word, failures = str(body.get("word")), int(body.get("failures", 0))
                self.runs[run_id] = {"id": run_id, "word": word, "failures": failures, "reads": 0}
                return 201, {"id": run_id, "state": "queued"}
            found = re.fullmatch(r"/runs/(\d+)(/failures|/cancel)?", path)
            run = self.runs.get(int(found.group(1))) if found else None
            if run is None or found is None:
                return 404, {"message": "no such run"}
            if found.group(2) == "/failures":
                return 200, [
                    {"name": f"echoes {run['word']} take {n}", "file": "echo.spec.ts", "line": n,
                     "error": {"message": f"expected {run['word']}, heard nothing"}}
                    for n in range(1, run["failures"] + 1)
                ]  # fmt: skip
            if found.group(2) == "/cancel":
                run["cancelled"] = True
                return 200, {}
            run["reads"] += 1
            if run["reads"] < POLLS_TO_END:
                return 200, {"id": run["id"], "state": "queued" if run["reads"] == 1 else "running"}
            if run["word"] == "silence":
                return 200, {"id": run["id"], "state": "silent"}
            passed = TESTS - run["failures"]
            return 200, {"id": run["id"], "state": "done", "total": TESTS, "passed": passed,
                         "failed": run["failures"]}  # fmt: skip


@contextmanager
def served(service: EchoService) -> Iterator[str]:
    """The service on 127.0.0.1 at a free port: yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            length = min(int(self.headers.get("content-length") or 0), 65536)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.headers.get("authorization") != f"Bearer {KEY}":
                status, payload = 401, {"message": "bad key"}
            else:
                status, payload = service.answer(method, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
