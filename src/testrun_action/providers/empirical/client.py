"""Empirical (empirical.run): trigger with `PUT /api/test-runs`, poll `GET /api/test-runs?id=`, cancel with
`POST /api/test-runs/{id}/cancel`, failures from the run's summary details and `/api/v2/test-cases`.

Documented shapes (seeds 000-002) are read strictly; the observed ones (providers.md 1.4-1.5: the
single-run details and test cases) defensively: anything missing degrades the report, never the verdict.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ... import envelopes
from ...clock import Deadline
from ...context import GitHubContext
from ...errors import (
    MalformedResponse,
    RunNotFound,
    ServiceError,
)
from ...model import Counts, Failures, History, Phase, TestRun
from .. import PlannedRequest, Wiring
from ..adoption import Candidate, Sent, choose, parse_time
from ..base import HttpProvider
from ..baseline import Baseline
from ..readers import mapping, positive
from ..wire import Count, Wire, read, whole_number
from . import ERROR_CODES
from .payload import run_items
from .settings import EmpiricalSettings

PHASES = {
    "pending": Phase.WAITING,
    "queued": Phase.WAITING,
    "started": Phase.RUNNING,
    "cancelling": Phase.CANCELLING,
    "ended": Phase.FINISHED,
    "error": Phase.ERRORED,
    "cancelled": Phase.CANCELLED,
}


class RunItem(Wire):
    """One run in `GET /api/test-runs` (seed 002; `state`, `error_code` and the snooze counts observed)."""

    id: Count
    state: str | None = None
    total_count: Count | None = None
    success_count: Count | None = None
    failed_count: Count | None = None
    failed_count_after_snoozing: Count | None = None
    snoozed_failed_count: Count | None = None
    skipped_count: Count | None = None
    flaky_count: Count | None = None
    duration: Any = None
    error_code: Any = None
    error_type: Any = None
    error: Any = None
    environment_slug: str | None = None
    test_run_branch: str | None = None
    build_url: str | None = None
    build_branch: str | None = None
    commit: str | None = None
    created_at: str | None = None


# The counts a finished run must give (seed 002's list item); `success_count` is the passed count.
COUNTS = {"total": "total_count", "passed": "success_count", "failed": "failed_count"}


def trigger_body(settings: EmpiricalSettings, context: GitHubContext) -> dict[str, Any]:
    """The request body per seed 001: documented fields only, empty values omitted."""
    body: dict[str, Any] = {"environment": settings.environment}
    if settings.test_branch:
        # The API forbids `branch` together with `build` (seed 001).
        body["branch"] = settings.test_branch
    else:
        build = {
            "url": settings.build_url or context.deployment_url,
            "branch": context.branch,
            "commit": context.sha,
            "commit_url": context.commit_url,
            "version": settings.build_version,
        }
        build = {key: value for key, value in build.items() if value}
        if build:
            body["build"] = build
    if settings.metadata:
        body["metadata"] = dict(settings.metadata)
    if settings.environment_variables:
        body["environment_variables_overrides"] = [
            {"name": name, "value": value.get_secret_value()}
            for name, value in settings.environment_variables
        ]
    if settings.tags:
        body["tags"] = list(settings.tags)
    optional = {
        "send_notifications": settings.send_notifications,
        "total_shards": settings.total_shards,
        "rerun_source_id": settings.rerun_of,
        "rerun_only_failed": settings.rerun_only_failed,
        "github_actor": context.actor,
    }
    body.update({key: value for key, value in optional.items() if value is not None and value != ""})
    return body


class EmpiricalProvider(HttpProvider):
    name = "Empirical"
    # After an ambiguous trigger the service may still be creating the run: look again after these pauses.
    adoption_pauses = (0.0, 2.0, 5.0)

    def __init__(self, settings: EmpiricalSettings, context: GitHubContext, wiring: Wiring) -> None:
        project = {"x-project-id": str(settings.project_id)} if settings.project_id is not None else {}
        super().__init__(settings, wiring, headers=project)
        self._settings = settings
        self._context = context
        self._slug: str | None = None
        self._environment: str | None = None  # as the run names it, once read
        self.sent: Sent | None = None  # what the last trigger sent, to find the run it created

    # -- trigger --------------------------------------------------------------------------------
    def planned_trigger(self) -> PlannedRequest:
        body = trigger_body(self._settings, self._context)
        for override in body.get("environment_variables_overrides", []):
            override["value"] = "***"
        return PlannedRequest.json("PUT", f"{self._settings.api_url}/api/test-runs", self._headers, body)

    def not_adopted(self) -> str:
        return (
            f"no run of environment '{self._settings.environment}' for this commit appeared since it was sent"
        )

    def send_trigger(self, deadline: Deadline) -> TestRun:
        body = trigger_body(self._settings, self._context)
        _, payload = self.http.json("PUT", "/api/test-runs", body=body, deadline=deadline, repeatable=False)
        data = mapping(payload, "data")
        if mapping(data, "trigger").get("success") is not True:
            raise ServiceError(f"Empirical did not confirm the trigger: {_message(payload)}")
        run = mapping(data, "test_run")
        try:
            run_id = whole_number(run.get("id"))
        except ValueError:
            raise MalformedResponse("Empirical's trigger response has no run id.") from None
        return self._to_run(
            {"id": run_id, "state": run.get("state"), "created_at": run.get("created_at")}, confirmed=False
        )

    # No `marker`: the run list returns nothing a trigger could mark its run with (seed 002).
    def remember_trigger(self, at: datetime, marker: str | None) -> None:
        self.sent = _sent(trigger_body(self._settings, self._context), at)

    def own_run(self, deadline: Deadline) -> TestRun | None:
        """The run the last trigger created, when exactly one run proves it (`adoption`)."""
        if self.sent is None:
            return None
        _, payload = self.http.json(
            "GET", "/api/test-runs", params={"interval_in_days": 1, "per_page": 100}, deadline=deadline
        )
        offset = self.service_offset()
        self._remember_slug(payload)
        items: dict[str, dict[str, Any]] = {}
        candidates = []
        for raw, item in self.readable(run_items(payload), RunItem):
            created = parse_time(item.created_at)
            ended = None
            if PHASES.get(item.state or "", Phase.RUNNING).terminal and created is not None:
                ended = created + timedelta(milliseconds=positive(item.duration) or 0.0)
            run_id = str(item.id)
            items[run_id] = raw
            candidates.append(
                Candidate(
                    run_id=run_id,
                    url=self._run_url(run_id),
                    created_at=created,
                    ended_at=ended,
                    fields={
                        "environment_slug": item.environment_slug,
                        "commit": item.commit,
                        "build_url": item.build_url,
                        "build_branch": item.build_branch,
                        "test_run_branch": item.test_run_branch,
                    },
                )
            )
        since = self.sent.at + offset - timedelta(minutes=10)
        self._seen = [c for c in candidates if c.created_at is not None and c.created_at >= since]
        found = choose(candidates, self.sent, offset)
        return self._to_run(items[found.run_id], confirmed=True) if found else None

    # -- poll -----------------------------------------------------------------------------------
    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        _, payload = self.http.json("GET", "/api/test-runs", params={"id": run_id}, deadline=deadline)
        self._remember_slug(payload)
        for item in run_items(payload):
            if str(item.get("id")) == run_id:
                run = self._to_run(item, confirmed=True)
                self._environment = run.environment or self._environment
                return run
        raise RunNotFound(f"Empirical has no run {run_id} visible to this API key.")

    def _remember_slug(self, payload: Any) -> None:
        slug = mapping(mapping(payload, "data"), "project").get("slug")
        if isinstance(slug, str) and slug:
            self._slug = slug

    def _run_url(self, run_id: str) -> str:
        base = self._settings.dashboard_url
        return f"{base}/{self._slug}/test-runs/{run_id}" if self._slug else f"{base}/test-runs/{run_id}"

    def _to_run(self, raw: dict[str, Any], *, confirmed: bool) -> TestRun:
        item = read(RunItem, raw, "Empirical's run")
        run_id = str(item.id)
        state = item.state or "unknown"
        failed_all = item.failed_count
        failed = (
            item.failed_count_after_snoozing if item.failed_count_after_snoozing is not None else failed_all
        )
        snoozed = item.snoozed_failed_count
        if snoozed is None:
            snoozed = max(0, failed_all - failed) if failed_all is not None and failed is not None else 0
        missing = frozenset(name for name, key in COUNTS.items() if getattr(item, key) is None)
        error_code = next(
            (
                value
                for value in (item.error_code, item.error_type, item.error)
                if isinstance(value, str) and value
            ),
            None,
        )
        duration_ms = positive(item.duration)
        return TestRun(
            id=run_id,
            url=self._run_url(run_id),
            state=state,
            phase=PHASES.get(state, Phase.RUNNING),
            counts=Counts(
                total=item.total_count or 0,
                passed=item.success_count or 0,
                failed=failed or 0,
                flaky=item.flaky_count or 0,
                skipped=item.skipped_count or 0,
                snoozed=snoozed,
                missing=missing,
            ),
            # `duration` is milliseconds: the documented example has 120000 for a two-minute run.
            duration_seconds=duration_ms / 1000 if duration_ms else None,
            error_code=error_code,
            error_meaning=ERROR_CODES.get(error_code or ""),
            created_at=item.created_at,
            confirmed=confirmed,
            environment=item.environment_slug or None,
        )

    # -- history, for the poll schedule -----------------------------------------------------------
    def recent_durations(self, deadline: Deadline) -> list[float]:
        from .history import recent_durations

        return recent_durations(self.http, self._environment or self._settings.environment, deadline)

    # -- cancel ---------------------------------------------------------------------------------
    def cancel(self, run: TestRun, reason: str, deadline: Deadline) -> bool:
        # 412: the run had already ended (providers.md 1.2).
        status, _ = self.http.json(
            "POST",
            f"/api/test-runs/{run.id}/cancel",
            body={"reason": reason},
            deadline=deadline,
            accept=(412,),
        )
        return status != 412

    # -- failures -------------------------------------------------------------------------------
    def failures(self, run: TestRun, deadline: Deadline) -> Failures:
        from .failures import read_failures

        return read_failures(self.http, run, deadline, self._slug, self._settings.reports_url)

    # -- history --------------------------------------------------------------------------------
    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Deadline) -> History:
        from .history import read_history

        # The run's `created_at` comes from the trigger's answer or a status read; the commit is the one sent.
        baseline = Baseline.of(run.created_at, self._context.sha)
        environment = run.environment or self._settings.environment  # an attached run's own
        return read_history(self.http, environment, run, failures, branch, baseline, deadline)


def _sent(body: dict[str, Any], at: datetime) -> Sent:
    """The trigger's fields that the run list returns (seed 002), as the list names them."""
    build = body.get("build") or {}
    fields = {
        "environment_slug": body.get("environment"),
        "commit": build.get("commit"),
        "build_url": build.get("url"),
        "build_branch": build.get("branch"),
        "test_run_branch": body.get("branch"),
    }
    return Sent(at=at, fields={k: v for k, v in fields.items() if isinstance(v, str) and v})


def _message(payload: Any) -> str:
    return envelopes.said(payload) or "no reason given"
