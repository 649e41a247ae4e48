"""A simulator of Testsigma Test Management's API (seed 003, providers.md 2.2).

It checks the bearer key and the project, validates `POST /projects/{id}/test_runs` bodies as seed 003
describes them (types, STATIC selection filters, dates), accepts JUnit imports as multipart
`junit_xml` (the XML must parse as JUnit), and answers the import status `IN_PROGRESS` for a few polls,
then `COMPLETED` (or `FAILED`, when scripted). Like the service, it allows about 10 requests a second
per key and answers the excess with HTTP 500 `{"message":"rate limit exceeded"}`.

The shapes of the import answers are not documented (providers.md 2.2 shows only the curl); the ones
here are plausible and the client reads them defensively.

Admin endpoints (besides those of `server.App`):
    PUT /_sim/tms           script the service (fields of `TmsScript`)
    GET /_sim/test_runs     every test run created, with its imports
"""

from __future__ import annotations

import collections
import email.parser
import email.policy
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from xml.etree import ElementTree

from .server import App, Reply, Request, scripted

DEFAULT_KEY = "sim-tms-key"
DEFAULT_PROJECT = "c47ade67-0543-4582-a4a5-b7de447c94f5"
_CREATE_KEYS = {
    "title", "description", "status", "project_id", "human_id", "selection_type", "static_selection_filters",
    "dynamic_selection_filters", "start_date", "end_date", "assignee_id", "label_names", "environment_ids",
    "test_plan_id",
}  # fmt: skip


@dataclass
class TmsScript:
    rate_limit: int = 10  # requests per second per key (providers.md 2.2)
    import_polls: int = 2  # status polls answered IN_PROGRESS before COMPLETED
    import_fails: bool = False  # the import ends FAILED


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"code": status, "message": message})


class TmsSimulator(App):
    def __init__(
        self,
        behaviour: TmsScript | None = None,
        *,
        api_keys: tuple[str, ...] = (DEFAULT_KEY,),
        projects: tuple[str, ...] = (DEFAULT_PROJECT,),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.behaviour = behaviour or TmsScript()
        self.api_keys = api_keys
        self.projects = projects
        self.clock = clock
        self.test_runs: dict[str, dict[str, Any]] = {}
        self.imports: dict[str, dict[str, Any]] = {}
        self.rate_limited = 0  # requests answered with the rate-limit error
        self._recent: dict[str, collections.deque[float]] = {}
        self._rate_lock = threading.Lock()
        p = r"/projects/([\w-]+)"
        self.route("POST", p + r"/test_runs", self._create)
        self.route("GET", p + r"/test_runs/([\w-]+)", self._get)
        self.route("POST", p + r"/junit-import/test-run/([\w-]+)", self._import)
        self.route("GET", p + r"/junit-imports/([\w-]+)/status", self._import_status)
        self.route("PUT", r"/_sim/tms", self._script)
        self.route("GET", r"/_sim/test_runs", lambda r, m: Reply(200, list(self.test_runs.values())))

    def _script(self, request: Request, match: re.Match[str]) -> Reply:
        self.behaviour = scripted(TmsScript, request.json() or {})
        return Reply(200, asdict(self.behaviour))

    # -- rate limit and auth ----------------------------------------------------------------------
    def dispatch(self, request: Request) -> Reply:
        if request.path.startswith("/_sim/"):
            return super().dispatch(request)
        key = request.headers.get("authorization", "")
        now = self.clock()
        with self._rate_lock:
            recent = self._recent.setdefault(key, collections.deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            limited = len(recent) >= self.behaviour.rate_limit
            if not limited:
                recent.append(now)
            remaining = max(0, self.behaviour.rate_limit - len(recent))
        headers = {"x-tms-api-limit": str(self.behaviour.rate_limit), "x-tms-api-remaining": str(remaining),
                   "x-tms-api-reset": "1", "x-request-id": str(uuid.uuid4())}  # fmt: skip
        if limited:
            self.record(request)
            with self.lock:
                self.rate_limited += 1
            return Reply(500, {"message": "rate limit exceeded"}, headers)
        reply = super().dispatch(request)
        reply.headers = {**headers, **reply.headers}
        return reply

    def _denied(self, request: Request, project: str) -> Reply | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.api_keys:
            return _error(401, "Unauthorized")
        if project not in self.projects:
            return _error(404, "Not Found")
        return None

    # -- test runs --------------------------------------------------------------------------------
    def _create(self, request: Request, match: re.Match[str]) -> Reply:
        project = match.group(1)
        denied = self._denied(request, project)
        if denied:
            return denied
        try:
            body = request.json()
        except ValueError:
            return _error(422, "Invalid JSON body")
        problem = validate_test_run(body, project)
        if problem:
            return Reply(422, {"message": "Validation failed", "errors": {"code": 422, "message": problem}})
        number = len(self.test_runs) + 1
        now = int(time.time() * 1000)
        test_run = {
            "id": str(uuid.uuid4()), "human_id": f"TR-{number}", "created_at": now, "updated_at": now,
            "title": body["title"], "description": body.get("description", ""), "status": body.get("status", "ACTIVE"),
            "project_id": project, "selection_type": body.get("selection_type", "STATIC"),
            "start_date": body.get("start_date"), "end_date": body.get("end_date"),
            "assignee_id": body.get("assignee_id"), "label_names": body.get("label_names", []),
            "environment_ids": body.get("environment_ids", []),
        }  # fmt: skip
        self.test_runs[test_run["id"]] = {**test_run, "request": body, "imports": []}
        return Reply(200, {"message": "", "data": {"test_run": test_run}})

    def _get(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request, match.group(1))
        if denied:
            return denied
        found = self.test_runs.get(match.group(2))
        if found is None:
            return _error(404, "Not Found")
        shown = {k: v for k, v in found.items() if k not in ("request", "imports")}
        return Reply(200, {"message": "", "data": {"test_run": shown}})

    # -- JUnit import -----------------------------------------------------------------------------
    def _import(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request, match.group(1))
        if denied:
            return denied
        test_run = self.test_runs.get(match.group(2))
        if test_run is None:
            return _error(404, "Test run not found")
        parts = multipart(request)
        if parts is None or "junit_xml" not in parts:
            return _error(422, "junit_xml file is required (multipart/form-data)")
        try:
            root = ElementTree.fromstring(parts["junit_xml"])  # noqa: S314 - a test simulator's own input
        except ElementTree.ParseError as exc:
            return _error(422, f"junit_xml is not valid XML: {exc}")
        if root.tag not in ("testsuites", "testsuite"):
            return _error(422, "junit_xml is not a JUnit report")
        cases = list(root.iter("testcase"))
        record = {"id": str(uuid.uuid4()), "test_run_id": test_run["id"], "polls": 0,
                  "testcases": len(cases), "failures": sum(1 for c in cases if c.find("failure") is not None),
                  "errors": sum(1 for c in cases if c.find("error") is not None),
                  "xml": parts["junit_xml"].decode("utf-8", "replace")}  # fmt: skip
        self.imports[record["id"]] = record
        test_run["imports"].append(record)
        return Reply(
            202,
            {"message": "JUnit import started", "data": {"import_id": record["id"], "status": "IN_PROGRESS"}},
        )

    def _import_status(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request, match.group(1))
        if denied:
            return denied
        record = self.imports.get(match.group(2))
        if record is None:
            return _error(404, "Import not found")
        record["polls"] += 1
        status = "IN_PROGRESS"
        if record["polls"] > self.behaviour.import_polls:
            status = "FAILED" if self.behaviour.import_fails else "COMPLETED"
        shown: dict[str, Any] = {"id": record["id"], "test_run_id": record["test_run_id"], "status": status}
        if status == "FAILED":
            shown["error"] = "No test case in the file matched the project"
        if status == "COMPLETED":
            shown["summary"] = {"total": record["testcases"], "failed": record["failures"] + record["errors"]}
        return Reply(200, {"message": "", "data": {"junit_import": shown}})


def multipart(request: Request) -> dict[str, bytes] | None:
    """The fields of a multipart/form-data body by name, or None when it is not one."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        return None
    fields_: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields_[name] = payload
    return fields_


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def validate_test_run(body: Any, project: str) -> str | None:
    """Seed 003's create body, as the service checks it; None when it is valid."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    unknown = sorted(set(body) - _CREATE_KEYS)
    if unknown:
        return f"unknown field(s): {', '.join(unknown)}"
    if not isinstance(body.get("title"), str) or not body["title"].strip():
        return "title is required"
    if "description" in body and not isinstance(body["description"], str):
        return "description must be a string"
    if body.get("status", "ACTIVE") not in ("ACTIVE", "CLOSED"):
        return "status must be ACTIVE or CLOSED"
    if body.get("project_id", project) != project:
        return "project_id does not match the project in the path"
    if body.get("selection_type", "STATIC") not in ("STATIC", "DYNAMIC"):
        return "selection_type must be STATIC or DYNAMIC"
    filters = body.get("static_selection_filters", [])
    if not isinstance(filters, list) or any(
        not isinstance(f, dict)
        or f.get("field") != "id"
        or f.get("operator") != "IN"
        or not _strings(f.get("values"))
        for f in filters
    ):
        return "static_selection_filters: expected [{field: id, operator: IN, values: [test case ids]}]"
    for key in ("start_date", "end_date"):
        if key in body and (not isinstance(body[key], int) or isinstance(body[key], bool) or body[key] < 0):
            return f"{key} must be a Unix timestamp"
    if "start_date" in body and "end_date" in body and body["end_date"] < body["start_date"]:
        return "end_date must not be before start_date"
    for key in ("label_names", "environment_ids"):
        if key in body and not (isinstance(body[key], list) and all(isinstance(v, str) for v in body[key])):
            return f"{key} must be an array of strings"
    if "assignee_id" in body and not isinstance(body["assignee_id"], str):
        return "assignee_id must be a string"
    return None
