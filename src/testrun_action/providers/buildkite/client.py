"""Buildkite: trigger a Pipelines build, follow it and then its Test Engine run, read the failed executions.

    trigger   POST /v2/organizations/{org}/pipelines/{pipeline}/builds            providers.md 3.6
    build     GET  .../pipelines/{pipeline}/builds/{number}
    run       GET  /v2/analytics/organizations/{org}/suites/{suite}/runs?build_id=  then .../runs/{id}
    failures  GET  .../runs/{id}/failed_executions?include_failure_expanded=true   Link-paginated, 3.4
    counts    GET  /v2/analytics/organizations/{org}/builds/{build uuid}/tests      Link-paginated, 3.2
    cancel    PUT  .../pipelines/{pipeline}/builds/{number}/cancel

The id the flow holds is the build number (the handle for cancel, and what `build-number` takes), or a
Test Engine run UUID when attached to a run alone. A `poll` is one status read of two stages: the
build until it ends, then its Test Engine run until it is finished. The wait loop does the rest: a
finished run can reopen when late results arrive (providers.md 3.3), so "finished" counts only when a
second look `settle_seconds` later agrees; then `final_reads` reads the build's tests and the failed
executions, which decide the counts, and gives both.

The verdict never passes on doubt: a `stale` run, a run that finished without results, a build that
failed, was blocked, skipped or not run while no test failed, or a build whose suite never got a run
are all errors. Until the final reads, a finished run's counts are missing, never zero.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ... import envelopes, parsing
from ...clock import Deadline
from ...context import GitHubContext
from ...errors import (
    MalformedResponse,
    RequestRejected,
    RunNotFound,
    ServiceError,
    ServiceUnavailable,
)
from ...model import Counts, Failures, History, Phase, TestRun
from ...quota import Headroom
from .. import Ended, PlannedRequest, Wiring
from ..adoption import Sent, choose
from ..base import HttpProvider
from ..baseline import Baseline
from ..readers import text as _text
from ..wire import read
from . import ERROR_CODES
from .final_reads import PER_PAGE, ResultReader, SeenFinished, settle_seconds
from .final_reads import error_code as final_error_code
from .precheck import check_target
from .results import counts
from .settings import BuildkiteSettings
from .states import (
    BUILD_PHASES,
    CANCELLABLE_STATES,
    NOT_RUN_STATES,
    TESTED_STATES,
    Build,
    EngineRun,
    build_number,
    duration,
    error_message,
    state_label,
)
from .trigger import build_body, candidates

# A build's Test Engine run appears with its first upload; uploads are processed asynchronously
# (providers.md 3.5), so after the build ends its run may take a little while to show. [I]
RUN_APPEAR_SECONDS = 120.0
# A finished run's counts before the final reads: unknown, so that nothing takes them as zero.
UNREAD = frozenset({"total", "passed", "failed"})
# How far back the build list is read when looking for a build a trigger may have made: wide, because
# the marker, not the time, decides; the adoption rule then checks the creation time against `Date`.
LOOKBACK = timedelta(minutes=10)


class BuildkiteProvider(HttpProvider):
    name = "Buildkite"

    def __init__(self, settings: BuildkiteSettings, context: GitHubContext, wiring: Wiring) -> None:
        super().__init__(settings, wiring, error_message=error_message)
        self._warn = wiring.warn or wiring.log
        self._settings = settings
        self._context = context
        self._settle = settle_seconds(settings.poll_interval)
        org, suite = settings.organization, settings.suite
        self._builds = f"/v2/organizations/{org}/pipelines/{settings.pipeline}/builds"
        self._runs = f"/v2/analytics/organizations/{org}/suites/{suite}/runs"
        self._reader = ResultReader(
            self.http, self._runs, f"/v2/analytics/organizations/{org}/builds", suite or "", self._log
        )
        self._trigger_id = str(uuid.uuid4())  # the marker: one per trigger, in the build's env
        self.sent: Sent | None = None  # what the last trigger sent, to find the build it created
        self._build: dict[str, Any] | None = None
        self._build_ended_at: float | None = None
        self._run_id: str | None = None  # the Test Engine run, once found
        self._finished: SeenFinished | None = None  # the last status read, when it saw the run finished

    def headroom(self) -> Headroom | None:
        """The REST quota left (providers.md 3.4), for the poll schedule."""
        return self.http.gate.headroom()

    # -- trigger --------------------------------------------------------------------------------
    def planned_trigger(self) -> PlannedRequest:
        body = build_body(self._settings, self._context, "<generated per trigger>")
        secret = {name for name, _ in self._settings.environment_variables}
        body["env"] = {name: "***" if name in secret else value for name, value in body["env"].items()}
        return PlannedRequest.json("POST", f"{self._settings.api_url}{self._builds}", self._headers, body)

    def trigger(self, deadline: Deadline) -> TestRun:
        body = build_body(self._settings, self._context, self._trigger_id)  # input errors before any request
        check_target(self.http, self._settings, deadline, self._warn)  # a misspelt slug triggers nothing
        self.remember_trigger(datetime.now(UTC), self._trigger_id)
        status, build = self.trigger_or_adopt(
            lambda: self.http.json(
                "POST", self._builds, body=body, deadline=deadline, repeatable=False, accept=(404,)
            ),
            lambda: self._adopted(deadline),
            deadline,
            noun="build",
            missing="no build from this trigger appeared",
            label=lambda found: f"build #{found[1].get('number')}",
        )
        if status == 404:
            raise RequestRejected(
                f"Buildkite has no pipeline '{self._settings.pipeline}' in organization "
                f"'{self._settings.organization}' visible to this token ({envelopes.said(build) or 'HTTP 404'}). "
                "Check the `organization` and `pipeline` inputs."
            )
        return self._on_build(build_number(build), build)

    def _adopted(self, deadline: Deadline) -> tuple[int, Any] | None:
        """The build the trigger created, found by the trigger id in its env, as if the trigger said so."""
        build = self._own_build(deadline)
        return (201, build) if build is not None else None

    @property
    def marker(self) -> str:
        """The unique value the next trigger puts in the build's env, to find the build again."""
        return self._trigger_id

    def remember_trigger(self, at: datetime, marker: str | None) -> None:
        self._trigger_id = marker or self._trigger_id
        body = build_body(self._settings, self._context, self._trigger_id)
        commit = {"commit": body["commit"]} if body["commit"] != "HEAD" else {}
        self.sent = Sent(at=at, fields={"branch": body["branch"], **commit}, marker=self._trigger_id)

    def _own_build(self, deadline: Deadline) -> dict[str, Any] | None:
        if self.sent is None:
            return None
        params: dict[str, str | int] = {
            "branch": self.sent.fields["branch"],
            "created_from": (self.sent.at - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "per_page": PER_PAGE,
            "exclude_jobs": "true",
        }
        commit = self.sent.fields.get("commit", "")
        if len(commit) == 40:  # the filter takes full SHAs only (builds.md, list query strings)
            params["commit"] = commit
        _, builds = self.http.json("GET", self._builds, params=params, deadline=deadline)
        offset = self.service_offset()
        by_number = candidates(builds)
        found = choose([candidate for _, candidate in by_number.values()], self.sent, offset)
        return dict(by_number[found.run_id][0]) if found else None

    def own_run(self, deadline: Deadline) -> TestRun | None:
        """The build the last trigger created, when its marker proves it (`adoption`)."""
        build = self._own_build(deadline)
        return self._on_build(build_number(build), build) if build is not None else None

    # -- poll -----------------------------------------------------------------------------------
    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        self._finished = None
        return replace(self._read(run_id, deadline), confirmed=True)

    def settle_seconds(self, run: TestRun) -> float:
        """A finished Test Engine run is looked at again before it is believed (providers.md 3.3)."""
        return self._settle if run.phase is Phase.FINISHED else 0.0

    def _read(self, run_id: str, deadline: Deadline) -> TestRun:
        if parsing.is_uuid(run_id):
            return self._follow_run(run_id, self._get_run(run_id, deadline), None)
        status, build = self.http.json(
            "GET",
            f"{self._builds}/{run_id}",
            params={"exclude_jobs": "true"},
            deadline=deadline,
            accept=(404,),
        )
        if status == 404:
            raise RunNotFound(
                f"Buildkite has no build #{run_id} of pipeline '{self._settings.pipeline}' visible to this token."
            )
        return self._on_build(run_id, build, deadline)

    def _on_build(self, number: str, build: Any, deadline: Deadline | None = None) -> TestRun:
        if not isinstance(build, dict):
            raise MalformedResponse("Buildkite's build is not a JSON object.")
        read(Build, build, "Buildkite's build")
        self._build = build
        state = _text(build.get("state")) or "unknown"
        blocked = build.get("blocked") is True or state == "blocked"
        url = _text(build.get("web_url")) or f"{self._settings.dashboard_url}/{self._settings.organization}"
        base = TestRun(
            id=number,
            url=url,
            state=f"build {state}",
            phase=BUILD_PHASES.get(state, Phase.RUNNING),
            created_at=_text(build.get("created_at")) or None,
        )
        if state == "canceled":
            return self._ended(replace(base, phase=Phase.CANCELLED))
        if state in NOT_RUN_STATES:
            return self._ended(replace(base, phase=Phase.ERRORED, error_code=state))
        if state not in TESTED_STATES or deadline is None:
            self._build_ended_at = None  # a retried job puts an ended build back to running
            return base
        label = "build blocked" if blocked else f"build {state}"
        now = self._clock.now()
        self._build_ended_at = self._build_ended_at if self._build_ended_at is not None else now
        run = self._find_run(build, deadline)
        if run is None:
            if now - self._build_ended_at < RUN_APPEAR_SECONDS:
                return replace(base, state=f"{label}; waiting for test results", phase=Phase.RUNNING)
            return self._ended(
                replace(
                    base, state=f"{label}; no test results", phase=Phase.ERRORED, error_code="no_test_run"
                )
            )
        return self._follow_run(number, run, build)

    def _find_run(self, build: dict[str, Any], deadline: Deadline) -> dict[str, Any] | None:
        if self._run_id is not None:
            return self._get_run(self._run_id, deadline)
        build_id = _text(build.get("id"))
        if not build_id:
            raise MalformedResponse("Buildkite's build has no `id`.")
        status, runs = self.http.json(
            "GET",
            self._runs,
            params={"build_id": build_id, "per_page": PER_PAGE},
            deadline=deadline,
            accept=(404,),
        )
        if status == 404:
            raise RunNotFound(
                f"Buildkite Test Engine has no suite '{self._settings.suite}' in organization "
                f"'{self._settings.organization}' visible to this token. Check the `suite` input and the token's "
                "`read_suites` scope; a 404 also means Test Engine is not enabled for the organization."
            )
        for run in runs if isinstance(runs, list) else []:
            if isinstance(run, dict) and _text(run.get("id")) and run.get("build_id") in (None, build_id):
                self._run_id = _text(run["id"])
                self._log(f"Test Engine run {self._run_id} belongs to the build: {_text(run.get('web_url'))}")
                return run
        return None

    def _get_run(self, run_id: str, deadline: Deadline) -> dict[str, Any]:
        status, run = self.http.json("GET", f"{self._runs}/{run_id}", deadline=deadline, accept=(404,))
        if status == 404:
            raise RunNotFound(
                f"Buildkite Test Engine has no run {run_id} in suite '{self._settings.suite}' visible to this "
                "token (or Test Engine is not enabled for the organization)."
            )
        if not isinstance(run, dict):
            raise MalformedResponse("Buildkite's Test Engine run is not a JSON object.")
        read(EngineRun, run, "Buildkite's Test Engine run")
        return run

    def _follow_run(self, run_id: str, run: dict[str, Any], build: dict[str, Any] | None) -> TestRun:
        state, result = _text(run.get("state")) or "unknown", _text(run.get("result")) or "pending"
        base = TestRun(
            id=run_id,
            url=_text(run.get("web_url")) or (_text(build.get("web_url")) if build else ""),
            state=state_label(build, state, result),
            phase=Phase.RUNNING,
            created_at=_text((build or run).get("created_at")) or None,
            duration_seconds=duration(build) if build else None,
            build_url=(_text(build.get("web_url")) or None) if build else None,
        )
        if result == "stale":
            return self._ended(replace(base, phase=Phase.ERRORED, error_code="stale"))
        if state != "finished":
            return base
        # Finished as this read saw it; its counts are read once a second look agrees (`final_reads`).
        self._finished = SeenFinished(run_id, result, run, build)
        return replace(base, phase=Phase.FINISHED, counts=Counts(missing=UNREAD))

    # -- the final reads ------------------------------------------------------------------------
    def final_reads(self, run: TestRun, deadline: Deadline) -> Ended:
        """The build's tests and the failed executions of a run the last status read saw finished:
        together they decide the counts (up to 300 requests, paced by the rate gate)."""
        if run.phase is not Phase.FINISHED:
            return Ended(run)
        seen = self._finished
        if seen is None or seen.run_id != run.id:  # the wait looks at the run again first
            raise ServiceUnavailable(f"Run {run.id} was not seen finished by the last status read.")
        build_id = _text(seen.engine_run.get("build_id")) or (
            _text(seen.build.get("id")) if seen.build else ""
        )
        failures, tests = self._reader.results(_text(seen.engine_run.get("id")), build_id, deadline)
        run_counts = counts(list(failures.executions), tests)
        error_code = final_error_code(run_counts, seen)
        phase = Phase.ERRORED if error_code else Phase.FINISHED
        return Ended(
            self._ended(replace(run, phase=phase, counts=run_counts, error_code=error_code)), failures
        )

    def _ended(self, run: TestRun) -> TestRun:
        """Every run this provider sees ended leaves through here, final reads done or not needed."""
        return replace(run, error_meaning=ERROR_CODES.get(run.error_code or ""))

    # -- cancel ---------------------------------------------------------------------------------
    def cancel(self, run: TestRun, reason: str, deadline: Deadline) -> bool:
        if parsing.is_uuid(run.id):
            raise ServiceError(
                "A Test Engine run can't be cancelled, only the build that runs the tests (attach with `build-number`)."
            )
        if self._build is not None and self._build.get("state") not in CANCELLABLE_STATES | {None}:
            return False  # it has ended (or is already being cancelled)
        # 422: the build is no longer scheduled, running or failing (builds.md, "Cancel a build").
        status, _ = self.http.json("PUT", f"{self._builds}/{run.id}/cancel", deadline=deadline, accept=(422,))
        return status != 422

    # -- failures -------------------------------------------------------------------------------
    def failures(self, run: TestRun, deadline: Deadline) -> Failures:
        """Read now. The wait's final reads already give them (they decide the counts), so the flow
        asks only when those did not run."""
        engine_run_id = self._run_id or (run.id if parsing.is_uuid(run.id) else None)
        if engine_run_id is None:
            return Failures(
                complete=False, note="Failure details were unavailable: no Test Engine run was found."
            )
        build_id = _text(self._build.get("id")) if self._build else ""
        return self._reader.results(engine_run_id, build_id, deadline)[0]

    # -- history --------------------------------------------------------------------------------
    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Deadline) -> History:
        from .history import read_history

        return read_history(
            self.http,
            runs_path=self._runs,
            builds_path=self._builds if self._settings.pipeline else None,
            current_run=self._run_id or (run.id if parsing.is_uuid(run.id) else None),
            current_build=_text(self._build.get("id")) or None if self._build else None,
            failures=failures,
            branch=branch,
            # The build's creation: a sibling's Test Engine run that began after it is never earlier.
            baseline=Baseline.of(run.created_at, self._context.sha),
            deadline=deadline,
        )
