"""A simulator of the Empirical API (seeds 000-002, providers.md section 1), scripted per environment.

It checks the bearer key and `x-project-id`, validates trigger bodies against seed 001's schema
(unknown keys, types, `branch` with `build`, unknown environments with the list of valid slugs), and
moves each run through pending → queued → started → ended (or error, or cancelling → cancelled) on
its own clock, with counts that grow as the run goes.

History: `seed_history` (or `PUT /_sim/history/{environment}` with a list of `PastRun` fields, newest
first) adds earlier runs that ended before the test began, on a branch, with the named tests failed or
flaky, so that the list endpoint and each run's per-test summary show them as the service would.

Admin endpoints (besides those of `server.App`):
    PUT /_sim/scenarios/{environment}   script an environment (fields of `Scenario`)
    PUT /_sim/history/{environment}     earlier runs of the environment (a list of `PastRun` fields)
    GET /_sim/runs                      every run with its request body and whether it was cancelled

The dashboard's run page, `GET /{project}/test-runs/{id}`, is a small page of the run's state, for a sandbox
whose `dashboard-url` is the simulator's own address.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .server import App, Reply, Request, dashboard, error, scripted

DEFAULT_KEY = "sim-empirical-key"
PROJECT = {"id": 42, "name": "Acme Shop", "slug": "acme-shop", "repo_name": "acme/shop-e2e"}
CANCELLING_SECONDS = 0.5
# A run's CI run token (`testRun.run_id`): this plus its id, a number like providers.md 1.6's `17147585452`.
RUN_TOKEN_BASE = 17147585452

_AREAS = [
    (
        "tests/checkout.spec.ts",
        "Checkout",
        ["applies a discount code", "charges the saved card", "shows tax by region"],
    ),
    (
        "tests/login.spec.ts",
        "Login",
        ["signs in with email", "rejects a wrong password", "remembers the session"],
    ),
    (
        "tests/search.spec.ts",
        "Search",
        ["finds products by name", "filters by price", "suggests as you type"],
    ),
    ("tests/cart.spec.ts", "Cart", ["adds an item", "updates quantities", "keeps the cart after sign-in"]),
    (
        "tests/profile.spec.ts",
        "Profile",
        ["changes the avatar", "updates the address", "deletes the account"],
    ),
]


@dataclass
class TestCase:
    __test__ = False

    id: str
    name: str
    file_path: str
    suites: list[str]
    status: str = "passed"  # passed | failed | flaky | skipped
    snoozed: bool = False
    message: str = ""  # the error message of a failed test, when a scenario gives one


@dataclass
class Scenario:
    """How runs of one environment behave. Times are seconds on the simulator's clock."""

    pending: float = 0.0
    queued: float = 0.5
    duration: float = 4.0
    tests: int = 24
    failed: int = 0
    flaky: int = 0
    snoozed: int = 0  # failures covered by an active snooze
    skipped: int = 0
    error_code: str | None = None  # the run ends in `error` with this code
    cancelled_by_service: bool = False  # a newer run superseded it (concurrency "keep latest")
    # Explicit failing tests: name, file_path and message (the error a service reports), each optional.
    failures: list[dict[str, str]] = field(default_factory=list)
    details: bool = True  # GET /api/test-runs/{id} answers with per-test details
    live_counts: bool = True  # counts grow as tests finish; False: all zero until the run has ended

    def cases(self) -> list[TestCase]:
        cases = []
        explicit = list(self.failures)
        for index in range(self.tests):
            file_path, suite, names = _AREAS[index % len(_AREAS)]
            name = f"{names[(index // len(_AREAS)) % len(names)]}"
            if index >= len(_AREAS) * 3:
                name += f" #{index // (len(_AREAS) * 3) + 1}"
            cases.append(
                TestCase(
                    id=_pw_id(file_path, name), name=f"{suite} › {name}", file_path=file_path, suites=[suite]
                )
            )
        statuses = ["failed"] * self.failed + ["snoozed"] * self.snoozed + ["flaky"] * self.flaky
        statuses += ["skipped"] * self.skipped
        # Spread the outcomes over the list so failures come from several files.
        step = max(1, self.tests // max(1, len(statuses)))
        for n, status in enumerate(statuses):
            case = cases[(n * step + 1) % self.tests]
            case.status = "failed" if status == "snoozed" else status
            case.snoozed = status == "snoozed"
            if status == "failed" and explicit:
                spec = explicit.pop(0)
                case.name = spec.get("name", case.name)
                case.file_path = spec.get("file_path", case.file_path)
                case.message = spec.get("message", "")
                case.id = _pw_id(case.file_path, case.name)
        return cases


@dataclass
class PastRun:
    """An earlier run of an environment: which of its tests failed or were flaky, and when it ended."""

    branch: str = "main"
    failed: list[str] = field(default_factory=list)  # full test names, e.g. "Login › signs in with email"
    flaky: list[str] = field(default_factory=list)
    duration: float = 300.0  # seconds
    ago: float = 3600.0  # it ended this many seconds before it was seeded
    state: str = "ended"  # or "error" or "cancelled"
    commit: str | None = None  # its build's commit; by default one of its own
    # Its `created_at` says it began this many seconds after it was seeded, though it shows as ended: a
    # later run (of a sibling job, or a newer push) that finished before the history is read.
    began_after: float | None = None


def _pw_id(file_path: str, name: str) -> str:
    digest = hashlib.sha1(
        f"{file_path}::{name}".encode("utf-8", "surrogatepass"), usedforsecurity=False
    ).hexdigest()
    return f"{digest[:20]}-{digest[20:40]}"


@dataclass
class SimRun:
    id: int
    environment: str
    scenario: Scenario
    body: dict[str, Any]
    created: float
    created_at: str
    cases: list[TestCase]
    cancelled_at: float | None = None
    cancel_reason: str | None = None


class EmpiricalSimulator(App):
    def __init__(
        self,
        scenarios: dict[str, Scenario] | None = None,
        *,
        api_keys: tuple[str, ...] = (DEFAULT_KEY,),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock)
        self.scenarios = scenarios or {"production": Scenario(), "staging": Scenario()}
        self.api_keys = api_keys
        self.runs: dict[int, SimRun] = {}
        self._next_id = 1001
        self.route("PUT", r"/api/test-runs", self._trigger)
        self.route("GET", r"/api/test-runs", self._list)
        self.route("GET", r"/api/test-runs/(\d+)", self._details)
        self.route("POST", r"/api/test-runs/(\d+)/cancel", self._cancel)
        self.route("GET", r"/api/v2/test-cases", self._test_cases)
        self.route("PUT", r"/_sim/scenarios/([\w.-]+)", self._script)
        self.route("PUT", r"/_sim/history/([\w.-]+)", self._script_history)
        self.route(
            "GET",
            r"/_sim/runs",
            lambda r, m: Reply(200, [self._admin_view(run) for run in self.runs.values()]),
        )
        # The dashboard's run page, where `dashboard-url` pointed at the simulator sends a report's links.
        self.route("GET", r"(?:/(?!api/|_sim/)[\w.-]+)?/test-runs/(\d+)", self._dashboard)
        # The Playwright report's pages (its root and a test's video), where `reports-url` pointed at the
        # simulator's `/reports` sends the report's artifact links.
        self.route("GET", r"/reports/[\w.-]+/(\d+)/(?:index\.html|data/[\w.-]+/video\.webm)", self._report)

    # -- scripting ------------------------------------------------------------------------------
    def _script(self, request: Request, match: re.Match[str]) -> Reply:
        self.scenarios[match.group(1)] = scripted(Scenario, request.json() or {})
        return Reply(200, asdict(self.scenarios[match.group(1)]))

    def _script_history(self, request: Request, match: re.Match[str]) -> Reply:
        known = {f.name for f in fields(PastRun)}
        specs = [PastRun(**{k: v for k, v in item.items() if k in known}) for item in request.json() or []]
        try:
            self.seed_history(match.group(1), specs)
        except ValueError as exc:
            return error(400, str(exc))
        return Reply(200, {"seeded": len(specs)})

    def seed_history(self, environment: str, runs: list[PastRun]) -> list[int]:
        """Add earlier runs of `environment` (newest first, as the list shows them); their ids."""
        base = self.scenarios[environment]
        ids = []
        with self.lock:
            for past in reversed(runs):  # oldest first: ids grow with time, as the service's do
                scenario = replace(
                    base, pending=0.0, queued=0.0, duration=past.duration, failed=0, flaky=0, snoozed=0,
                    skipped=0, failures=[], error_code="run_failed_with_error" if past.state == "error" else None,
                    cancelled_by_service=past.state == "cancelled",
                )  # fmt: skip
                cases = scenario.cases()
                names = {c.name for c in cases}
                unknown = sorted(set(past.failed + past.flaky) - names)
                if unknown:
                    raise ValueError(f"No test named {unknown[0]!r} in environment {environment!r}")
                for case in cases:
                    case.status = (
                        "failed"
                        if case.name in past.failed
                        else "flaky"
                        if case.name in past.flaky
                        else "passed"
                    )
                ago = -past.began_after if past.began_after is not None else past.ago + past.duration
                began = datetime.now(UTC) - timedelta(seconds=ago)
                commit = past.commit or f"{self._next_id:040x}"
                run = SimRun(
                    self._next_id, environment, scenario,
                    {"environment": environment, "build": {"branch": past.branch, "commit": commit}},
                    self.clock() - past.ago - past.duration,
                    began.isoformat(timespec="milliseconds").replace("+00:00", "Z"), cases,
                )  # fmt: skip
                self.runs[run.id] = run
                ids.append(run.id)
                self._next_id += 1
        return ids[::-1]

    def _admin_view(self, run: SimRun) -> dict[str, Any]:
        return {
            "id": run.id,
            "environment": run.environment,
            "state": self._state(run),
            "body": run.body,
            "cancelled": run.cancelled_at is not None,
            "cancel_reason": run.cancel_reason,
        }

    def _dashboard(self, request: Request, match: re.Match[str]) -> Reply:
        run = self.runs.get(int(match.group(1)))
        return dashboard(f"Empirical run {match.group(1)}", self._admin_view(run) if run else None)

    def _report(self, request: Request, match: re.Match[str]) -> Reply:
        run = self.runs.get(int(match.group(1)) - RUN_TOKEN_BASE)
        return dashboard(f"Playwright report of run {match.group(1)}", self._admin_view(run) if run else None)

    # -- auth -----------------------------------------------------------------------------------
    def _denied(self, request: Request) -> Reply | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.api_keys:
            return error(401, "Unauthorized: invalid or missing API key")
        project = request.headers.get("x-project-id")
        if project is not None and project != str(PROJECT["id"]):
            return error(404, "Project not found or not accessible")
        return None

    # -- trigger --------------------------------------------------------------------------------
    def _trigger(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        try:
            body = request.json()
        except ValueError:
            return error(400, "Invalid JSON body")
        problem = validate_trigger(body, set(self.scenarios))
        if problem:
            return error(400, problem)
        run_id = self._next_id
        self._next_id += 1
        scenario = self.scenarios[body["environment"]]
        created_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        run = SimRun(run_id, body["environment"], scenario, body, self.clock(), created_at, scenario.cases())
        self.runs[run_id] = run
        return Reply(200, {"data": {"trigger": {"success": True}, "test_run": {
            "id": run_id, "state": self._state(run), "test_run_branch": body.get("branch", "main"),
            "created_at": created_at}}})  # fmt: skip

    # -- state ----------------------------------------------------------------------------------
    def _elapsed(self, run: SimRun) -> float:
        return self.clock() - run.created

    def _state(self, run: SimRun) -> str:
        s = run.scenario
        now = self.clock()
        if run.cancelled_at is not None:
            return "cancelled" if now - run.cancelled_at >= CANCELLING_SECONDS else "cancelling"
        elapsed = self._elapsed(run)
        if elapsed < s.pending:
            return "pending"
        if elapsed < s.pending + s.queued:
            return "queued"
        if elapsed < s.pending + s.queued + s.duration:
            return "started"
        if s.cancelled_by_service:
            return "cancelled"
        return "error" if s.error_code else "ended"

    def _progress(self, run: SimRun) -> float:
        s = run.scenario
        running = self._elapsed(run) - s.pending - s.queued
        end = (
            run.cancelled_at - run.created - s.pending - s.queued
            if run.cancelled_at is not None
            else math.inf
        )
        return max(0.0, min(1.0, min(running, end) / s.duration if s.duration else 1.0))

    def _item(self, run: SimRun) -> dict[str, Any]:
        state = self._state(run)
        done = int(len(run.cases) * self._progress(run))
        if not run.scenario.live_counts and state not in ("ended", "error", "cancelled"):
            done = 0
        seen = run.cases[:done]
        failed = sum(1 for c in seen if c.status == "failed")
        snoozed = sum(1 for c in seen if c.status == "failed" and c.snoozed)
        build = run.body.get("build", {})
        item: dict[str, Any] = {
            "id": run.id,
            "state": state,
            "total_count": len(run.cases) if done or run.scenario.live_counts else 0,
            "success_count": sum(1 for c in seen if c.status == "passed"),
            "failed_count": failed,
            "failed_count_after_snoozing": failed - snoozed,
            "snoozed_failed_count": snoozed,
            "skipped_count": sum(1 for c in seen if c.status == "skipped"),
            "flaky_count": sum(1 for c in seen if c.status == "flaky"),
            "duration": round(self._progress(run) * run.scenario.duration * 1000)
            if state in ("ended", "error")
            else None,
            "test_run_branch": run.body.get("branch", "main"),
            "environment_slug": run.environment,
            "environment_name": run.environment.capitalize(),
            "build_url": build.get("url"),
            "build_branch": build.get("branch"),
            "commit": build.get("commit"),
            "created_at": run.created_at,
        }
        if state == "error":
            item["error_code"] = run.scenario.error_code
        return item

    def _list(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        q = request.query
        try:
            per_page = int(q.get("per_page", "20"))
            page = int(q.get("page", "1"))
            wanted_id = int(q["id"]) if "id" in q else None
            days = int(q["interval_in_days"]) if "interval_in_days" in q else None
        except ValueError:
            return error(400, "Invalid query parameters")
        if not 1 <= per_page <= 100 or page < 1 or (wanted_id is not None and wanted_id < 1):
            return error(400, "Invalid query parameters")
        items = [self._item(run) for run in sorted(self.runs.values(), key=lambda r: -r.id)]
        if wanted_id is not None:
            items = [i for i in items if i["id"] == wanted_id]
        if "branch" in q:
            items = [i for i in items if i["test_run_branch"] == q["branch"]]
        if "state" in q:
            items = [i for i in items if i["state"] == q["state"]]
        if days is not None:
            since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
            items = [i for i in items if i["created_at"].replace("Z", "+00:00") >= since]
        total = len(items)
        shown = items[(page - 1) * per_page : page * per_page]
        return Reply(200, {
            "data": {"project": PROJECT, "test_runs": {"items": shown}},
            "pagination": {"page": page, "per_page": per_page, "total": total,
                           "total_pages": max(1, math.ceil(total / per_page))},
        })  # fmt: skip

    def _details(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        run = self.runs.get(int(match.group(1)))
        if run is None:
            return error(404, "Test run not found")
        if not run.scenario.details:
            return Reply(200, {"data": {"test_run": {"testRun": {"id": run.id, "state": self._state(run)}}}})
        done = int(len(run.cases) * self._progress(run))
        details = [
            {"name": c.name.split(" › ")[-1], "pw_test_id": c.id, "status": c.status, "slug": c.id[:8],
             "snooze_info": [{"id": 7, "snooze_until": "2099-01-01T00:00:00Z"}] if c.snoozed else [],
             **({"error_message": c.message} if c.message else {})}
            for c in run.cases[:done]
        ]  # fmt: skip
        test_run = {
            "id": run.id,
            "run_id": RUN_TOKEN_BASE + run.id,
            "state": self._state(run),
            "total_count": len(run.cases),
        }
        return Reply(200, {"data": {"test_run": {"testRun": test_run, "flattenedSummaryDetails": details}}})

    def _test_cases(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if len(ids) > 100:
            return error(400, "At most 100 ids per request")
        known = {c.id: c for run in self.runs.values() for c in run.cases}
        cases = [
            {"id": i, "name": known[i].name.split(" › ")[-1], "file_path": known[i].file_path,
             "suites": known[i].suites, "playwright_project": "chromium", "tags": []}
            for i in ids if i in known
        ]  # fmt: skip
        return Reply(200, {"data": {"test_cases": cases, "sync_error": None}, "pagination": {
            "page": 1, "per_page": 100, "total": len(cases), "total_pages": 1, "has_more": False}})  # fmt: skip

    # -- cancel ---------------------------------------------------------------------------------
    def _cancel(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        run = self.runs.get(int(match.group(1)))
        if run is None:
            return error(404, "Test run not found")
        if self._state(run) in ("ended", "error", "cancelled"):
            return error(412, "Test run has already completed")
        if run.cancelled_at is None:
            run.cancelled_at = self.clock()
            body = request.json() or {}
            run.cancel_reason = body.get("reason") if isinstance(body, dict) else None
        return Reply(200, {"message": "Test run cancelled successfully"})


_BUILD_KEYS = {"url", "branch", "commit", "commit_url", "version"}
_TOP_KEYS = {
    "environment", "build", "metadata", "environment_variables_overrides", "tags", "branch", "project_id",
    "send_notifications", "total_shards", "rerun_source_id", "rerun_only_failed", "github_actor",
}  # fmt: skip


def _is_int(value: Any, minimum: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def validate_trigger(body: Any, environments: set[str]) -> str | None:
    """Seed 001's TriggerTestRunRequest, as the service enforces it; None when the body is valid."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    unknown = sorted(set(body) - _TOP_KEYS)
    if unknown:
        return f"Unrecognized key(s) in object: {', '.join(repr(k) for k in unknown)}"
    environment = body.get("environment")
    if not isinstance(environment, str) or not environment:
        return "environment: Required"
    if environment not in environments:
        return f"Environment '{environment}' not found. Valid environments: {', '.join(sorted(environments))}"
    build = body.get("build")
    if build is not None:
        if not isinstance(build, dict) or set(build) - _BUILD_KEYS:
            return "build: expected an object with url, branch, commit, commit_url, version"
        if any(not isinstance(v, str) for v in build.values()):
            return "build: every field must be a string"
        if "branch" in body:
            return "Cannot specify both `branch` and `build`; pick one"
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or any(
        isinstance(v, bool) or not isinstance(v, str | int | float) for v in metadata.values()
    ):
        return "metadata: values must be strings or numbers"
    overrides = body.get("environment_variables_overrides", [])
    if not isinstance(overrides, list) or any(
        not isinstance(o, dict)
        or set(o) != {"name", "value"}
        or not all(isinstance(v, str) for v in o.values())
        for o in overrides
    ):
        return "environment_variables_overrides: expected [{name: string, value: string}]"
    tags = body.get("tags", [])
    if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags):
        return "tags: expected an array of strings"
    for key in ("send_notifications", "rerun_only_failed"):
        if key in body and not isinstance(body[key], bool):
            return f"{key}: expected a boolean"
    for key in ("total_shards", "rerun_source_id", "project_id"):
        if key in body and not _is_int(body[key]):
            return f"{key}: expected an integer >= 1"
    if "project_id" in body and body["project_id"] != PROJECT["id"]:
        return "project_id does not match the request's project"
    for key in ("branch", "github_actor"):
        if key in body and not isinstance(body[key], str):
            return f"{key}: expected a string"
    return None
