"""Testsigma, the automation platform (app.testsigma.com, providers.md 2.1): run a test plan and follow it.

    trigger   POST /api/v1/execution_results {executionId, environmentId?, buildNo, runtimeData?}
    poll      GET  /api/v1/execution_results/{id} until `status == STATUS_COMPLETED`
    stop      PUT  /api/v1/execution_results/{id} {"result": "STOPPED"}
    failures  GET  /api/v1/execution_results/{id}/test_case_results, each failure's reason from the
              v2 step results, or from the JUnit report when those are unavailable

Every status but `STATUS_COMPLETED` keeps the wait going, `STATUS_CREATED` included: Testsigma's own sample
script counts polls while a run still sits there and concludes too early. Only `SUCCESS` (or `PASSED`,
the docs' other spelling) passes. Testsigma tests are codeless, so a failure has no file or line: it is
reported in the summary and JUnit, never as a file annotation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ... import envelopes
from ...clock import Deadline
from ...context import GitHubContext
from ...errors import (
    MalformedResponse,
    RequestRejected,
    RunNotFound,
    ServiceError,
)
from ...model import Counts, Failures, History, Phase, TestRun
from .. import PlannedRequest, Wiring
from ..adoption import Candidate, Sent, choose, parse_time
from ..base import HttpProvider
from ..baseline import Baseline
from ..wire import Count, Text, Wire, read
from . import ERROR_CODES
from .payload import FAILED_RESULTS, PASSED_RESULTS, content, integer
from .settings import TestsigmaSettings

COMPLETED = "STATUS_COMPLETED"
# The status enum of the open-source server, `StatusConstant` (providers.md 2.1). An unknown status is
# not terminal either: the run is followed until it says it completed, or the deadline passes.
PHASES = {
    "STATUS_CREATED": Phase.WAITING,
    "STATUS_QUEUED": Phase.WAITING,
    "STATUS_PRE_FLIGHT": Phase.WAITING,
    "STATUS_IN_PROGRESS": Phase.RUNNING,
}
# Completed results other than pass or fail (`ResultConstant`): a stopped run was cancelled; an aborted
# or never executed one did not run its tests, which is an error of the run, not a test failure.
ENDINGS = {"STOPPED": Phase.CANCELLED, "ABORTED": Phase.ERRORED, "NOT_EXECUTED": Phase.ERRORED}


class ExecutionResult(Wire):
    """A run, as the trigger and `GET /api/v1/execution_results/{id}` answer (providers.md 2.1)."""

    id: Count
    executionId: Count | None = None
    status: str | None = None
    result: str | None = None
    totalCount: Count | None = None
    passedCount: Count | None = None
    failedCount: Count | None = None
    abortedCount: Count | None = None
    preRequisiteFailedCount: Count | None = None
    notExecutedCount: Count | None = None
    stoppedCount: Count | None = None
    startTime: Any = None
    endTime: Any = None
    duration: Any = None
    app_url: Any = None


class ListedRun(Wire):
    """A run in `GET /api/v2/test_runs` (providers.md 2.1)."""

    id: Count
    testPlanId: Text | None = None
    buildNo: Text | None = None
    startTime: Any = None
    endTime: Any = None


def trigger_body(settings: TestsigmaSettings, context: GitHubContext) -> dict[str, Any]:
    """The documented trigger body (providers.md 2.1). Ids are sent as strings of digits, as in
    Testsigma's own examples and scripts; `buildNo` defaults to the short commit SHA so the run can be
    found in Testsigma's results by commit."""
    body: dict[str, Any] = {"executionId": str(settings.test_plan_id)}
    if settings.testsigma_environment_id is not None:
        body["environmentId"] = str(settings.testsigma_environment_id)
    build = settings.build_version or context.short_sha
    if build:
        body["buildNo"] = build
    if settings.environment_variables:
        body["runtimeData"] = {
            name: value.get_secret_value() for name, value in settings.environment_variables
        }
    return body


def error_message(body: Any) -> Any:
    """Spring's error envelope: `error` is the status phrase, `message` the reason (providers.md 2.1)."""
    said = body.get("message") if isinstance(body, dict) and isinstance(body.get("error"), str) else None
    return said if isinstance(said, str) and said.strip() else envelopes.error_message(body)


class TestsigmaProvider(HttpProvider):
    __test__ = False  # not a pytest test class
    name = "Testsigma"

    def __init__(self, settings: TestsigmaSettings, context: GitHubContext, wiring: Wiring) -> None:
        super().__init__(settings, wiring, error_message=error_message)
        self._settings = settings
        self._context = context
        self._plan_id = settings.test_plan_id  # learnt from the run when attached with `run-id`
        self.sent: Sent | None = None  # what the last trigger sent, to find the run it created

    # -- trigger --------------------------------------------------------------------------------
    def planned_trigger(self) -> PlannedRequest:
        body = trigger_body(self._settings, self._context)
        if "runtimeData" in body:
            body["runtimeData"] = dict.fromkeys(body["runtimeData"], "***")
        return PlannedRequest.json(
            "POST", f"{self._settings.api_url}/api/v1/execution_results", self._headers, body
        )

    def not_adopted(self) -> str:
        return f"no new run of test plan {self._settings.test_plan_id} appeared"

    def send_trigger(self, deadline: Deadline) -> TestRun:
        body = trigger_body(self._settings, self._context)
        _, payload = self.http.json(
            "POST", "/api/v1/execution_results", body=body, deadline=deadline, repeatable=False
        )
        if not isinstance(payload, dict) or integer(payload.get("id")) is None:
            raise MalformedResponse("Testsigma's trigger response has no run id.")
        return self._to_run(payload, confirmed=False)

    # No `marker`: `buildNo` is the one field the run list returns that a trigger sets, and users read it
    # in Testsigma's results as their build number: it is matched, not replaced by a marker.

    def remember_trigger(self, at: datetime, marker: str | None) -> None:
        body = trigger_body(self._settings, self._context)
        fields = {"testPlanId": body["executionId"], "buildNo": body.get("buildNo")}
        self.sent = Sent(at=at, fields={k: v for k, v in fields.items() if v})

    def own_run(self, deadline: Deadline) -> TestRun | None:
        """The run the last trigger created, when exactly one run proves it (`adoption`)."""
        if self.sent is None:
            return None
        plan = self._settings.test_plan_id
        _, payload = self.http.json(
            "GET", "/api/v2/test_runs", params={"query": f"testPlanId:{plan}"}, deadline=deadline
        )
        offset = self.service_offset()
        candidates = []
        for _, item in self.readable(content(payload), ListedRun):
            run_id = str(item.id)
            candidates.append(
                Candidate(
                    run_id=run_id,
                    url=f"{self._settings.dashboard_url}/ui/td/runs/{run_id}",
                    created_at=parse_time(item.startTime),
                    ended_at=parse_time(item.endTime),
                    fields={"testPlanId": item.testPlanId, "buildNo": item.buildNo},
                )
            )
        self._seen = candidates[:5]
        found = choose(candidates, self.sent, offset)
        return self.poll(found.run_id, deadline) if found else None

    # -- poll -----------------------------------------------------------------------------------
    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        status, payload = self.http.json(
            "GET", f"/api/v1/execution_results/{run_id}", deadline=deadline, accept=(404,)
        )
        if status == 404:
            raise RunNotFound(f"Testsigma has no run {run_id} visible to this API key.")
        if not isinstance(payload, dict) or str(payload.get("id")) != run_id:
            raise MalformedResponse(f"Testsigma's answer for run {run_id} is not that run.")
        return self._to_run(payload, confirmed=True)

    def _run_url(self, item: dict[str, Any], run_id: str) -> str:
        app_url = item.get("app_url")
        if isinstance(app_url, str) and app_url.startswith(("https://", "http://")):
            return app_url
        # The open-source server's results page (providers.md 2.1); hosted assumed the same.
        return f"{self._settings.dashboard_url}/ui/td/runs/{run_id}"

    def _to_run(self, raw: dict[str, Any], *, confirmed: bool) -> TestRun:
        item = read(ExecutionResult, raw, "Testsigma's run")
        self._plan_id = self._plan_id or item.executionId
        run_id = str(item.id)
        status = item.status or "unknown"
        result = (item.result or "").upper()
        given = {"total": item.totalCount, "passed": item.passedCount, "failed": item.failedCount}
        counts = Counts(
            total=item.totalCount or 0,
            passed=item.passedCount or 0,
            # Aborted and prerequisite-failed cases did not pass either.
            failed=(item.failedCount or 0) + (item.abortedCount or 0) + (item.preRequisiteFailedCount or 0),
            skipped=(item.notExecutedCount or 0) + (item.stoppedCount or 0),
            missing=frozenset(name for name, value in given.items() if value is None),
        )
        error_code = None
        if status != COMPLETED:
            phase = PHASES.get(status, Phase.RUNNING)
        elif result in PASSED_RESULTS:
            phase = Phase.FINISHED
        elif result in FAILED_RESULTS:
            # A failed plan with no failed test counted would otherwise conclude as a pass.
            phase = Phase.FINISHED if counts.failed else Phase.ERRORED
            error_code = None if counts.failed else result
        else:
            phase = ENDINGS.get(result, Phase.ERRORED)
            error_code = result or "no result"
        state = status if status != COMPLETED else f"{status} ({result or 'no result'})"
        return TestRun(
            id=run_id,
            url=self._run_url(raw, run_id),
            state=state,
            phase=phase,
            counts=counts,
            duration_seconds=_duration(raw),
            error_code=error_code if phase is Phase.ERRORED else None,
            error_meaning=ERROR_CODES.get(error_code or "") if phase is Phase.ERRORED else None,
            created_at=_epoch_iso(item.startTime),
            confirmed=confirmed,
        )

    # -- stop -----------------------------------------------------------------------------------
    def cancel(self, run: TestRun, reason: str, deadline: Deadline) -> bool:
        # The hosted stop path is inferred from the open-source controller (providers.md 2.1, 5.3).
        status, payload = self.http.json(
            "PUT",
            f"/api/v1/execution_results/{run.id}",
            body={"result": "STOPPED"},
            deadline=deadline,
            accept=(400, 409, 412, 422),
        )
        if status < 300:
            return True
        latest = self.poll(run.id, deadline)
        if latest.terminal:
            return False
        said = envelopes.said(payload, error_message) or "no reason given"
        raise RequestRejected(f"Testsigma refused to stop run {run.id} (HTTP {status}): {said}")

    # -- failures -------------------------------------------------------------------------------
    def failures(self, run: TestRun, deadline: Deadline) -> Failures:
        from .failures import FailureReader

        return FailureReader(self.http, self._log).read(run, deadline)

    # -- history --------------------------------------------------------------------------------
    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Deadline) -> History:
        from .history import read_history

        if self._plan_id is None:
            raise ServiceError("the run's test plan is unknown")
        # No commit in Testsigma's runs: the `buildNo` this run was triggered with stands in for it.
        baseline = Baseline.of(run.created_at, trigger_body(self._settings, self._context).get("buildNo"))
        return read_history(self.http, self._plan_id, run, failures, branch, baseline, deadline)


def _duration(item: dict[str, Any]) -> float | None:
    """Seconds; Testsigma's `duration`, `startTime` and `endTime` are epoch milliseconds (providers.md 2.1)."""
    duration = item.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration > 0:
        return duration / 1000
    start, end = item.get("startTime"), item.get("endTime")
    if isinstance(start, int | float) and isinstance(end, int | float) and end > start:
        return (end - start) / 1000
    return None


def _epoch_iso(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return (
            datetime.fromtimestamp(value / 1000, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
    return None
