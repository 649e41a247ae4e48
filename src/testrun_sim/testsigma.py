"""A simulator of Testsigma's automation platform API (providers.md 2.1), scripted per test plan.

It checks the bearer key, validates trigger bodies (`executionId` of a known plan, numeric ids, string
`buildNo`, a `runtimeData` object of strings), and moves each run through STATUS_CREATED → STATUS_QUEUED
→ STATUS_PRE_FLIGHT → STATUS_IN_PROGRESS → STATUS_COMPLETED on its own clock, with counts that grow as
it goes and the plan's final result. A stop (`PUT /api/v1/execution_results/{id}` with
`{"result":"STOPPED"}`) completes the run as STOPPED shortly after. Failed test cases have step results
(v2, paged) whose failing step carries a message, and the run has a JUnit report in Testsigma's format.
Errors use Spring's envelope, as the service is a Spring application.

History: `seed_history` (or `PUT /_sim/history/{plan}` with a list of `PastRun` fields, newest first)
adds earlier completed runs of a plan, with the named test cases failed.

Admin endpoints (besides those of `server.App`):
    PUT /_sim/plans/{id}    script a test plan (fields of `Plan`)
    PUT /_sim/history/{id}  earlier runs of a test plan (a list of `PastRun` fields)
    GET /_sim/runs          every run with its request body and whether it was stopped

`app_url` points at `public_url`; `GET /ui/td/runs/{id}` there is a small page of the run's state, for a
sandbox whose `public_url` is the simulator's own address.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from xml.sax.saxutils import quoteattr

from .server import App, Reply, Request, dashboard, scripted

DEFAULT_KEY = "sim-testsigma-key"
STOPPING_SECONDS = 0.3
STEP_PAGE_SIZE = 3  # small, so that reading past the first page is exercised

_SUITES = [
    ("Login", ["Sign in with email", "Reject a wrong password", "Remember the session"]),
    ("Checkout", ["Apply a discount code", "Pay with a saved card", "Show tax by region"]),
    ("Search", ["Find products by name", "Filter by price", "Suggest as you type"]),
    ("Profile", ["Change the avatar", "Update the address", "Delete the account"]),
]
_FAILURE_MESSAGES = [
    "Unable to perform click/check action on element, Element is not displayed.",
    "Expected text 'Order placed' but found 'Payment declined'.",
    "Element 'Search results' was not found within 30 seconds.",
]
_TRIGGER_KEYS = {
    "executionId", "environmentId", "buildNo", "runtimeData", "executionConfig", "uploadVersions",
    "executionResultId", "isReRun", "reRunType", "testCaseResultRequests",
}  # fmt: skip


@dataclass
class Plan:
    """How runs of one test plan behave. Times are seconds on the simulator's clock."""

    name: str = "Regression"
    created: float = 0.3  # seconds in STATUS_CREATED, where Testsigma's own sample script gives up
    queued: float = 0.2
    pre_flight: float = 0.2
    duration: float = 0.8
    tests: int = 12
    failed: int = 0
    result: str | None = None  # force the completed result: ABORTED, NOT_EXECUTED, FAILURE, ...
    machines: list[str] = field(default_factory=lambda: ["Windows 11 Chrome"])
    app_url: bool = True  # the status answer carries `app_url`
    step_results: bool = True  # False: the v2 step results answer 404 (the JUnit report is the fallback)
    case_results: bool = True  # False: the test case results answer 404


@dataclass
class PastRun:
    """An earlier run of a test plan: the test cases that failed, how long it ran and when it ended."""

    failed: list[str] = field(default_factory=list)  # test case names, e.g. "Sign in with email"
    duration: float = 300.0  # seconds
    ago: float = 3600.0  # it ended this many seconds before it was seeded
    build: str = "1a2b3c4"


@dataclass
class Case:
    result_id: int
    case_id: int
    name: str
    suite: str
    machine: str
    result: str = "SUCCESS"
    message: str = ""


@dataclass
class SimRun:
    id: int
    plan_id: int
    plan: Plan
    body: dict[str, Any]
    created: float
    start_ms: int
    cases: list[Case]
    stopped_at: float | None = None


def make_cases(plan: Plan, first_id: int) -> list[Case]:
    cases = []
    for index in range(plan.tests):
        suite, names = _SUITES[index % len(_SUITES)]
        name = names[(index // len(_SUITES)) % len(names)]
        if index >= len(_SUITES) * len(names):
            name += f" #{index // (len(_SUITES) * len(names)) + 1}"
        machine = plan.machines[index % len(plan.machines)]
        cases.append(Case(first_id + index, 400 + index, name, suite, machine))
    step = max(1, plan.tests // max(1, plan.failed))
    for n in range(min(plan.failed, plan.tests)):
        index = (n * step + n + 1) % plan.tests  # spread over suites and machines
        while cases[index].result != "SUCCESS":
            index = (index + 1) % plan.tests
        case = cases[index]
        case.result = "FAILURE"
        case.message = _FAILURE_MESSAGES[n % len(_FAILURE_MESSAGES)]
    return cases


def spring_error(status: int, message: str, path: str) -> Reply:
    phrases = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}
    return Reply(status, {"timestamp": int(time.time() * 1000), "status": status,
                          "error": phrases.get(status, "Error"), "message": message, "path": path})  # fmt: skip


class TestsigmaSimulator(App):
    __test__ = False

    def __init__(
        self,
        plans: dict[int, Plan] | None = None,
        *,
        api_keys: tuple[str, ...] = (DEFAULT_KEY,),
        clock: Callable[[], float] = time.monotonic,
        public_url: str = "https://app.testsigma.com",
    ) -> None:
        super().__init__()
        self.plans = plans or {3058: Plan()}
        self.api_keys = api_keys
        self.clock = clock
        self.public_url = public_url
        self.runs: dict[int, SimRun] = {}
        self._next_id = 337
        self._next_case = 7975
        self.route("POST", r"/api/v1/execution_results", self._trigger)
        self.route("GET", r"/api/v1/execution_results/(\d+)", self._status)
        self.route("PUT", r"/api/v1/execution_results/(\d+)", self._stop)
        self.route("GET", r"/api/v1/execution_results/(\d+)/test_case_results", self._case_results)
        self.route("GET", r"/api/v2/test_runs", self._list_runs)
        self.route("GET", r"/api/v2/test_runs/(\d+)/test_case_results/(\d+)/step_results", self._steps)
        self.route("GET", r"/api/v1/reports/junit/(\d+)", self._junit)
        self.route("GET", r"/ui/td/runs/(\d+)", self._dashboard)
        self.route("PUT", r"/_sim/plans/(\d+)", self._script)
        self.route("PUT", r"/_sim/history/(\d+)", self._script_history)
        self.route(
            "GET",
            r"/_sim/runs",
            lambda r, m: Reply(200, [self._admin_view(run) for run in self.runs.values()]),
        )

    # -- scripting ------------------------------------------------------------------------------
    def _script(self, request: Request, match: re.Match[str]) -> Reply:
        self.plans[int(match.group(1))] = scripted(Plan, request.json() or {})
        return Reply(200, asdict(self.plans[int(match.group(1))]))

    def _script_history(self, request: Request, match: re.Match[str]) -> Reply:
        known = {f.name for f in fields(PastRun)}
        specs = [PastRun(**{k: v for k, v in item.items() if k in known}) for item in request.json() or []]
        try:
            self.seed_history(int(match.group(1)), specs)
        except (KeyError, ValueError) as exc:
            return spring_error(400, str(exc), request.path)
        return Reply(200, {"seeded": len(specs)})

    def seed_history(self, plan_id: int, runs: list[PastRun]) -> list[int]:
        """Add earlier completed runs of a plan (newest first, as lists show them); their ids."""
        base = self.plans[plan_id]
        ids = []
        with self.lock:
            for past in reversed(runs):  # oldest first: ids grow with time
                plan = replace(
                    base,
                    created=0.0,
                    queued=0.0,
                    pre_flight=0.0,
                    duration=past.duration,
                    failed=0,
                    result=None,
                )
                cases = make_cases(plan, self._next_case)
                unknown = sorted(set(past.failed) - {c.name for c in cases})
                if unknown:
                    raise ValueError(f"No test case named {unknown[0]!r} in test plan {plan_id}")
                for n, case in enumerate(c for c in cases if c.name in past.failed):
                    case.result, case.message = "FAILURE", _FAILURE_MESSAGES[n % len(_FAILURE_MESSAGES)]
                began = past.ago + past.duration
                run = SimRun(self._next_id, plan_id, plan, {"executionId": str(plan_id), "buildNo": past.build},
                             self.clock() - began, int((time.time() - began) * 1000), cases)  # fmt: skip
                self.runs[run.id] = run
                ids.append(run.id)
                self._next_id += 1
                self._next_case += plan.tests
        return ids[::-1]

    def _admin_view(self, run: SimRun) -> dict[str, Any]:
        status, result = self._status_of(run)
        return {"id": run.id, "plan": run.plan_id, "status": status, "result": result, "body": run.body,
                "stopped": run.stopped_at is not None}  # fmt: skip

    def _dashboard(self, request: Request, match: re.Match[str]) -> Reply:
        run = self.runs.get(int(match.group(1)))
        return dashboard(f"Testsigma run {match.group(1)}", self._admin_view(run) if run else None)

    def _denied(self, request: Request) -> Reply | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.api_keys:
            return spring_error(401, "Full authentication is required to access this resource", request.path)
        return None

    # -- trigger --------------------------------------------------------------------------------
    def _trigger(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        try:
            body = request.json()
        except ValueError:
            return spring_error(400, "JSON parse error", request.path)
        problem = validate_trigger(body)
        if problem:
            return spring_error(400, problem, request.path)
        plan_id = int(body["executionId"])
        plan = self.plans.get(plan_id)
        if plan is None:
            return spring_error(404, f"Test Plan not found with id: {plan_id}", request.path)
        run = SimRun(self._next_id, plan_id, plan, body, self.clock(), int(time.time() * 1000),
                     make_cases(plan, self._next_case))  # fmt: skip
        self._next_id += 1
        self._next_case += plan.tests
        self.runs[run.id] = run
        return Reply(200, self._item(run))

    # -- state ----------------------------------------------------------------------------------
    def _progress(self, run: SimRun) -> float:
        p = run.plan
        start = p.created + p.queued + p.pre_flight
        now = self.clock() if run.stopped_at is None else min(self.clock(), run.stopped_at)
        running = now - run.created - start
        return max(0.0, min(1.0, running / p.duration if p.duration else 1.0))

    def _status_of(self, run: SimRun) -> tuple[str, str]:
        p = run.plan
        if run.stopped_at is not None and self.clock() - run.stopped_at >= STOPPING_SECONDS:
            return "STATUS_COMPLETED", "STOPPED"
        elapsed = self.clock() - run.created
        for status, until in (
            ("STATUS_CREATED", p.created),
            ("STATUS_QUEUED", p.created + p.queued),
            ("STATUS_PRE_FLIGHT", p.created + p.queued + p.pre_flight),
        ):
            if elapsed < until:
                return status, "QUEUED"
        if run.stopped_at is not None or elapsed < p.created + p.queued + p.pre_flight + p.duration:
            return "STATUS_IN_PROGRESS", "QUEUED"
        if p.result:
            return "STATUS_COMPLETED", p.result
        return "STATUS_COMPLETED", "FAILURE" if any(c.result != "SUCCESS" for c in run.cases) else "SUCCESS"

    def _seen(self, run: SimRun) -> list[Case]:
        return run.cases[: int(len(run.cases) * self._progress(run))]

    def _item(self, run: SimRun) -> dict[str, Any]:
        status, result = self._status_of(run)
        seen = self._seen(run)
        done = status == "STATUS_COMPLETED"
        stopped = result == "STOPPED"
        not_executed = len(run.cases) - len(seen) if done and not stopped else 0
        messages = {
            "STATUS_CREATED": "Test Plan execution is initiated and waiting to be queued",
            "STATUS_QUEUED": "Test Plan execution is queued",
            "STATUS_PRE_FLIGHT": "Test Plan execution is preparing the environment",
            "STATUS_IN_PROGRESS": "Test Plan execution is in progress",
        }
        item: dict[str, Any] = {
            "id": run.id, "execution": {"id": run.plan_id, "name": run.plan.name}, "executionId": run.plan_id,
            "startTime": run.start_ms,
            "endTime": run.start_ms + round((self.clock() - run.created) * 1000) if done else None,
            "duration": round(self._progress(run) * run.plan.duration * 1000) if done else None,
            "result": result, "status": status,
            "message": messages.get(status, f"Test plan execution {'failed' if result != 'SUCCESS' else 'passed'}"),
            "executedBy": 43, "buildNo": run.body.get("buildNo"),
            "environmentId": int(run.body["environmentId"]) if "environmentId" in run.body else None,
            "totalCount": len(run.cases),
            "failedCount": sum(1 for c in seen if c.result == "FAILURE"),
            "passedCount": sum(1 for c in seen if c.result == "SUCCESS"),
            "abortedCount": 0,
            "stoppedCount": len(run.cases) - len(seen) if stopped else 0,
            "notExecutedCount": not_executed, "preRequisiteFailedCount": 0,
            "queuedCount": 0 if done else len(run.cases) - len(seen),
            "triggeredType": "API", "reRunParentId": None,
        }  # fmt: skip
        if run.plan.app_url:
            item["app_url"] = f"{self.public_url}/ui/td/runs/{run.id}"
        return item

    def _run(self, request: Request, run_id: str) -> tuple[SimRun | None, Reply | None]:
        denied = self._denied(request)
        if denied:
            return None, denied
        run = self.runs.get(int(run_id))
        if run is None:
            return None, spring_error(404, f"Execution result not found with id: {run_id}", request.path)
        return run, None

    def _status(self, request: Request, match: re.Match[str]) -> Reply:
        run, problem = self._run(request, match.group(1))
        return problem or Reply(200, self._item(run))  # type: ignore[arg-type]

    def _list_runs(self, request: Request, match: re.Match[str]) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        query = dict(part.split(":", 1) for part in request.query.get("query", "").split(",") if ":" in part)
        runs = sorted(self.runs.values(), key=lambda r: -r.id)
        if "testPlanId" in query:
            runs = [r for r in runs if str(r.plan_id) == query["testPlanId"]]
        content = [self._v2_run(r) for r in runs]
        return Reply(200, {"content": content, "page": 0, "pageSize": 20, "isLast": True,
                           "totalElements": len(content)})  # fmt: skip

    def _v2_run(self, run: SimRun) -> dict[str, Any]:
        """A run as the v2 API lists it (providers.md 2.1: ISO times, a `metrics` object)."""
        item = self._item(run)
        done = item["status"] == "STATUS_COMPLETED"

        def iso(ms: int | None) -> str | None:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000)) if ms else None

        return {"id": run.id, "testPlanId": run.plan_id, "buildNo": run.body.get("buildNo"),
                "result": item["result"], "startTime": iso(run.start_ms), "endTime": iso(item["endTime"]),
                "duration": item["duration"] if done else None, "executor": "API", "triggeredType": "API",
                "metrics": {"totalCount": item["totalCount"], "failedCount": item["failedCount"],
                            "passedCount": item["passedCount"], "stoppedCount": item["stoppedCount"],
                            "notExecutedCount": item["notExecutedCount"], "queuedCount": item["queuedCount"],
                            "result": item["result"]}}  # fmt: skip

    # -- stop -----------------------------------------------------------------------------------
    def _stop(self, request: Request, match: re.Match[str]) -> Reply:
        run, problem = self._run(request, match.group(1))
        if problem:
            return problem
        assert run is not None
        body = request.json()
        if not isinstance(body, dict) or body.get("result") != "STOPPED":
            return spring_error(400, "Only result STOPPED can be set", request.path)
        if self._status_of(run)[0] == "STATUS_COMPLETED":
            return spring_error(400, "Test plan execution has already completed", request.path)
        if run.stopped_at is None:
            run.stopped_at = self.clock()
        return Reply(200, self._item(run))

    # -- results --------------------------------------------------------------------------------
    def _case_results(self, request: Request, match: re.Match[str]) -> Reply:
        run, problem = self._run(request, match.group(1))
        if problem:
            return problem
        assert run is not None
        if not run.plan.case_results:
            return spring_error(404, "No handler found", request.path)
        status, result = self._status_of(run)
        cases = [
            {"testCaseId": c.case_id, "testCaseName": c.name, "testCaseResultId": c.result_id, "result": c.result,
             "isDataDrivenCase": False, "iterationResults": [], "testSuiteId": 197 + _SUITES.index(
                 next(s for s in _SUITES if s[0] == c.suite)), "testSuiteName": c.suite,
             "testSuiteResultId": 2295, "machineId": 414, "machineTitle": c.machine, "machineResultId": 2370}
            for c in self._seen(run)
        ]  # fmt: skip
        return Reply(200, {"executionId": run.plan_id, "executionResultId": run.id, "result": result,
                           "status": status, "testCases": cases})  # fmt: skip

    def _steps(self, request: Request, match: re.Match[str]) -> Reply:
        run, problem = self._run(request, match.group(1))
        if problem:
            return problem
        assert run is not None
        if not run.plan.step_results:
            return spring_error(404, "No handler found", request.path)
        case = next((c for c in run.cases if c.result_id == int(match.group(2))), None)
        if case is None:
            return spring_error(404, f"Test case result not found with id: {match.group(2)}", request.path)
        steps = [("Navigate to https://shop.example.com/", "Successfully opened given URL.", "SUCCESS"),
                 ("Click on Login Button", "Successfully performed click action.", "SUCCESS"),
                 ("Enter test data in the Email field", "Successfully entered the text.", "SUCCESS"),
                 ("Verify that the current page displays text Welcome", "Verified the text.", "SUCCESS"),
                 ("Click on Continue Button", "Successfully performed click action.", "SUCCESS")]  # fmt: skip
        if case.result == "FAILURE":
            # The failing step sits on the second page, the ones after it were not executed.
            steps[3] = ("Verify the page shows the expected result", case.message, "FAILURE")
            steps[4] = (steps[4][0], "Step not executed.", "NOT_EXECUTED")
        content = [
            {"id": f"{case.result_id}-{n}", "testCaseResultId": case.result_id, "testCaseId": case.case_id,
             "stepId": 2847 + n, "type": "NLP_TEXT", "action": action, "message": message,
             "errorCode": 1000001 if result == "FAILURE" else None,
             "errorType": "ASSERT_ERROR" if result == "FAILURE" else None, "result": result}
            for n, (action, message, result) in enumerate(steps)
        ]  # fmt: skip
        try:
            page = int(request.query.get("page", "0"))
        except ValueError:
            return spring_error(400, "Invalid page", request.path)
        shown = content[page * STEP_PAGE_SIZE : (page + 1) * STEP_PAGE_SIZE]
        return Reply(200, {"content": shown, "page": page, "pageSize": STEP_PAGE_SIZE,
                           "isLast": (page + 1) * STEP_PAGE_SIZE >= len(content), "totalElements": len(content)})  # fmt: skip

    def _junit(self, request: Request, match: re.Match[str]) -> Reply:
        run, problem = self._run(request, match.group(1))
        if problem:
            return problem
        assert run is not None
        if self._status_of(run)[0] != "STATUS_COMPLETED":
            # The open-source server answers a plain message before completion (providers.md 2.1).
            return Reply(
                200,
                b"Report is not available yet, test plan is still running",
                {"content-type": "text/plain"},
            )
        url = f"{self.public_url}/ui/td/runs/{run.id}"
        suites = []
        for machine in run.plan.machines:
            cases = []
            for c in (c for c in self._seen(run) if c.machine == machine):
                failure = ""
                if c.result != "SUCCESS":
                    text = f'Test failed with message:"{c.message}".please visit below URL for more details.\n {url}'
                    failure = f"<failure>{_escape(text)}</failure>"
                cases.append(
                    f'<testcase name={quoteattr(c.name)} classname={quoteattr(c.suite)} time="4.200">{failure}</testcase>'
                )
            suites.append(
                f"<testsuite name={quoteattr(run.plan.name + ' || ' + machine)} tests=\"{len(cases)}\">"
                f'<properties><property name="Testsigma reports URL" value={quoteattr(url)}/></properties>'
                + "".join(cases)
                + f"<system-out>For More info on results, visit {_escape(url)}</system-out></testsuite>"
            )  # fmt: skip
        xml = '<?xml version="1.0" encoding="UTF-8"?><testsuites>' + "".join(suites) + "</testsuites>"
        return Reply(200, xml.encode("utf-8"), {"content-type": "application/xml"})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _digits(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value > 0) or (isinstance(value, str) and value.isdigit())


def validate_trigger(body: Any) -> str | None:
    """The trigger body as the service reads it (providers.md 2.1); None when it is valid."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    unknown = sorted(set(body) - _TRIGGER_KEYS)
    if unknown:
        return f"Unrecognized field(s): {', '.join(unknown)}"
    if not _digits(body.get("executionId")):
        return "executionId is required and must be a Test Plan id"
    if "environmentId" in body and not _digits(body["environmentId"]):
        return "environmentId must be a numeric id"
    if "buildNo" in body and not isinstance(body["buildNo"], str):
        return "buildNo must be a string"
    runtime = body.get("runtimeData", {})
    if not isinstance(runtime, dict) or any(not isinstance(v, str) for v in runtime.values()):
        return "runtimeData must be an object of string values"
    return None
