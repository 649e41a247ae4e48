"""Testsigma Test Management: a record of the run, whatever the provider (seed 003, providers.md 2.2).

Test Management executes nothing: a "test run" there is a container for results. So it is a place the
report is published to, not a provider. Once the run has ended:

    POST /projects/{project}/test_runs                          the record (seed 003's body)
    POST /projects/{project}/junit-import/test-run/{run}        the run's JUnit results, multipart `junit_xml`
    GET  /projects/{project}/junit-imports/{import}/status      until the import is done (bounded)

The service rate-limits at about 10 requests a second and answers the excess with HTTP 500
`{"message":"rate limit exceeded"}` (providers.md 2.2): the HTTP layer retries that answer, for the
creating requests too, since it acted on nothing. Anything else that goes wrong is a warning: the exit
code reflects the tests alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from . import __version__
from .clock import Clock, Deadline
from .errors import DeliveryUncertain, MalformedResponse, ServiceError, TestrunError
from .gha import Actions
from .http import HttpClient
from .model import Outcome, Report, TestRun
from .receipts import Receipts, Recorded, handing_on
from .report import markdown as md
from .report.junit import render_junit
from .report.summary import headline, title
from .settings import TmsSettings

SERVICE = "Testsigma Test Management"
RECORD_SECONDS = 120.0  # the whole record: create, import and the wait for the import
IMPORT_POLL_SECONDS = 1.0  # a tenth of the rate limit's budget per second, leaving room for retries
TITLE_LIMIT = 250  # no documented limit; titles this long are already unreadable in lists
DONE = frozenset({"COMPLETED", "COMPLETE", "SUCCESS", "SUCCEEDED", "DONE", "FINISHED", "PROCESSED"})
FAILED = frozenset({"FAILED", "FAILURE", "ERROR", "ERRORED"})


def rate_limited(response: httpx.Response) -> bool:
    """Test Management's rate limit: HTTP 500 with `{"message":"rate limit exceeded"}` (providers.md 2.2)."""
    if response.status_code != 500:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("message", "")).strip().lower() == "rate limit exceeded"


def _epoch_ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return round(parsed.timestamp() * 1000) if parsed.tzinfo else None


def record_body(settings: TmsSettings, report: Report, started_ms: int, ended_ms: int) -> dict[str, Any]:
    """The create body per seed 003. Dates are epoch MILLISECONDS: that is what the service stores and
    returns (providers.md 2.2, observed), although its Postman page says seconds."""
    source, run = report.source, report.run
    where = " @ ".join(part for part in (source.branch, source.commit[:7] if source.commit else None) if part)
    name = f"E2E {report.environment}" + (f" · {where}" if where else "")
    lines = [f"{headline(report)}: {title(report)} ({report.provider})."]
    if run is not None:
        lines.append(f"Report: {run.url}")
    if source.commit_url:
        lines.append(f"Commit: {source.commit_url}")
    if source.pull_request and source.repository:
        lines.append(f"Pull request: {source.server_url}/{source.repository}/pull/{source.pull_request}")
    body: dict[str, Any] = {
        "title": md.clip(name, TITLE_LIMIT),
        "description": "\n".join(lines),
        "status": "ACTIVE",
        "project_id": settings.project,
        "selection_type": "STATIC",
        "static_selection_filters": (
            [{"field": "id", "operator": "IN", "values": list(settings.test_cases)}]
            if settings.test_cases
            else []
        ),
        "start_date": min(started_ms, ended_ms),
        "end_date": ended_ms,
        "label_names": list(settings.labels),
        "environment_ids": list(settings.environments),
    }
    if settings.assignee:
        body["assignee_id"] = settings.assignee
    return body


def _find(payload: Any, *paths: tuple[str, ...]) -> str | None:
    """The first string or number found at one of `paths`: the import answers are not documented."""
    for path in paths:
        node = payload
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str | int) and not isinstance(node, bool) and str(node).strip():
            return str(node).strip()
    return None


class TestsigmaTmsPublisher:
    """Records the finished run in Test Management; its receipts hold the record's id (the
    `testsigma-tms-run-id` output) and, once the results are in, a line for the job summary."""

    __test__ = False  # not a pytest test class
    name = "Testsigma Test Management record"

    def __init__(
        self,
        settings: TmsSettings,
        gha: Actions,
        *,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._gha = gha
        self._record_id = ""
        self._recorded: Recorded | None = None
        self._clock = clock
        self._transport = transport
        self._wall = wall
        self._started_ms = self._now_ms()

    def _receipts(self) -> Receipts:
        return Receipts(tms_run_id=self._record_id, recorded=(self._recorded,) if self._recorded else ())

    def _now_ms(self) -> int:
        return round(self._wall() * 1000)

    def started(self, run: TestRun) -> None:
        self._started_ms = self._now_ms()

    def finished(self, report: Report) -> Receipts:
        if report.run is None or report.interrupted or report.outcome is Outcome.TRIGGERED:
            why = "the step was cancelled" if report.interrupted else "there are no results to record"
            self._gha.log(f"{SERVICE}: not recording the run: {why}.")
            return Receipts()
        with handing_on(self._receipts):  # a record created before a signal is still handed on
            try:
                self._record(report, report.run)
            except TestrunError as exc:
                self._gha.warning(
                    f"The run was not fully recorded in {SERVICE}: {exc.message} The step's result is unaffected.",
                    title=SERVICE,
                )
        return self._receipts()

    def _record(self, report: Report, run: TestRun) -> None:
        settings, gha = self._settings, self._gha
        ended = self._now_ms()
        started = _epoch_ms(run.created_at) or self._started_ms
        if run.duration_seconds:
            started = min(started, ended - round(run.duration_seconds * 1000))
        http = HttpClient(
            service=SERVICE,
            base_url=settings.url,
            headers={
                "User-Agent": f"testrun-action/{__version__}",
                "Accept": "application/json",
                "Authorization": f"Bearer {settings.api_key.get_secret_value()}",
            },
            clock=self._clock,
            log=gha.log,
            transport=self._transport,
            unprocessed=rate_limited,
            credential_input="testsigma-tms-api-key",
            url_input="testsigma-tms-url",
        )
        deadline = Deadline(self._clock, RECORD_SECONDS)
        project = settings.project
        try:
            try:
                _, created = http.json(
                    "POST",
                    f"/projects/{project}/test_runs",
                    body=record_body(settings, report, started, ended),
                    deadline=deadline,
                    repeatable=False,
                )
            except DeliveryUncertain as exc:
                raise ServiceError(
                    f"{exc.message} Not creating another record, to avoid a duplicate."
                ) from None
            record_id = _find(created, ("data", "test_run", "id"))
            if record_id is None:
                raise MalformedResponse(f"{SERVICE} did not return the id of the test run it created.")
            shown = _find(created, ("data", "test_run", "human_id")) or record_id
            self._record_id = record_id
            gha.log(f"{SERVICE}: recorded as test run {shown} ({record_id}); importing the JUnit results…")
            imported = self._import(http, report, record_id, deadline)
        finally:
            http.close()
        gha.log(f"{SERVICE}: {imported}")
        self._recorded = Recorded(SERVICE, shown, imported)

    def _import(self, http: HttpClient, report: Report, record_id: str, deadline: Deadline) -> str:
        project = self._settings.project
        xml = render_junit(report).encode("utf-8")
        try:
            _, answer = http.json(
                "POST",
                f"/projects/{project}/junit-import/test-run/{record_id}",
                files={"junit_xml": ("testrun-junit.xml", xml, "application/xml")},
                deadline=deadline,
                repeatable=False,  # a second import would record every result twice
            )
        except DeliveryUncertain as exc:
            raise ServiceError(f"{exc.message} Not importing again, to avoid duplicate results.") from None
        # The import answer is not documented (providers.md 2.2 shows only the curl): read it defensively.
        import_id = _find(
            answer,
            ("data", "import_id"),
            ("data", "junit_import", "id"),
            ("data", "id"),
            ("import_id",),
            ("id",),
        )
        if import_id is None:
            return "the JUnit import was accepted (no import id to follow)."
        while True:
            status, said = self._import_status(http, project, import_id, deadline)
            if status in DONE:
                return "the JUnit results were imported."
            if status in FAILED:
                raise ServiceError(f"the JUnit import failed{': ' + said if said else '.'}")
            if deadline.remaining() <= IMPORT_POLL_SECONDS:
                raise ServiceError(
                    f"the JUnit import was still {status or 'pending'} after {deadline.elapsed():.0f} s; "
                    "it may complete later."
                )
            self._clock.sleep(IMPORT_POLL_SECONDS)

    def _import_status(
        self, http: HttpClient, project: str, import_id: str, deadline: Deadline
    ) -> tuple[str, str]:
        _, payload = http.json(
            "GET", f"/projects/{project}/junit-imports/{import_id}/status", deadline=deadline
        )
        status = _find(payload, ("data", "junit_import", "status"), ("data", "status"), ("status",)) or ""
        said = _find(payload, ("data", "junit_import", "error"), ("data", "error"), ("message",)) or ""
        return status.upper(), said
