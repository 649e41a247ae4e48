"""Echo's client: trigger `POST /runs`, poll `GET /runs/{id}`, failures `GET /runs/{id}/failures`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from testrun_action.clock import Deadline
from testrun_action.context import GitHubContext
from testrun_action.errors import MalformedResponse
from testrun_action.model import Counts, FailedExecution, Failures, History, Phase, TestRun
from testrun_action.providers import PlannedRequest, Wiring
from testrun_action.providers.base import HttpProvider
from testrun_action.providers.readers import mapping, text
from testrun_action.providers.wire import Count, Wire, read

from . import ERROR_CODES
from .settings import EchoSettings

PHASES = {"queued": Phase.WAITING, "running": Phase.RUNNING, "done": Phase.FINISHED, "silent": Phase.ERRORED}


class EchoRun(Wire):
    id: Count
    state: str
    total: Count | None = None
    passed: Count | None = None
    failed: Count | None = None


class EchoProvider(HttpProvider):
    name = "Echo"

    def __init__(self, settings: EchoSettings, context: GitHubContext, wiring: Wiring) -> None:
        super().__init__(settings, wiring)
        self._settings = settings

    def planned_trigger(self) -> PlannedRequest:
        return PlannedRequest.json("POST", f"{self._settings.api_url}/runs", self._headers, self._body())

    def _body(self) -> dict[str, Any]:
        return {"word": self._settings.word, "failures": self._settings.failures}

    def not_adopted(self) -> str:
        return "the echo service keeps no list of runs"

    def send_trigger(self, deadline: Deadline) -> TestRun:
        _, payload = self.http.json("POST", "/runs", body=self._body(), deadline=deadline, repeatable=False)
        return self._to_run(payload, confirmed=False)

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        return self._to_run(self.http.json("GET", f"/runs/{run_id}", deadline=deadline)[1], confirmed=True)

    def _to_run(self, payload: Any, *, confirmed: bool) -> TestRun:
        if not isinstance(payload, dict):
            raise MalformedResponse("Echo's run is not a JSON object.")
        item = read(EchoRun, payload, "Echo's run")
        given = {"total": item.total, "passed": item.passed, "failed": item.failed}
        code = "silent" if item.state == "silent" else None
        return TestRun(
            id=str(item.id),
            url=f"{self._settings.dashboard_url}/runs/{item.id}",
            state=item.state,
            phase=PHASES.get(item.state, Phase.RUNNING),
            counts=Counts(
                total=item.total or 0,
                passed=item.passed or 0,
                failed=item.failed or 0,
                missing=frozenset(name for name, value in given.items() if value is None),
            ),
            error_code=code,
            error_meaning=ERROR_CODES.get(code or ""),
            confirmed=confirmed,
        )

    def remember_trigger(self, at: datetime, marker: str | None) -> None:
        pass  # nothing a run list could prove: the echo service has none

    def own_run(self, deadline: Deadline) -> TestRun | None:
        return None

    def cancel(self, run: TestRun, reason: str, deadline: Deadline) -> bool:
        status, _ = self.http.json("POST", f"/runs/{run.id}/cancel", deadline=deadline, accept=(409,))
        return status != 409

    def failures(self, run: TestRun, deadline: Deadline) -> Failures:
        _, payload = self.http.json("GET", f"/runs/{run.id}/failures", deadline=deadline)
        listed = payload if isinstance(payload, list) else []
        return Failures(
            executions=tuple(
                FailedExecution(
                    name=text(item.get("name")) or "unnamed test",
                    file=text(item.get("file")) or None,
                    line=item.get("line") if isinstance(item.get("line"), int) else None,
                    message=text(mapping(item, "error").get("message")),
                    url=run.url,
                )
                for item in listed
                if isinstance(item, dict)
            )
        )

    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Deadline) -> History:
        return History()  # the echo service forgets every run
