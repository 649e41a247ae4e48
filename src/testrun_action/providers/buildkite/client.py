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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ... import http, parsing
from ...clock import Deadline
from ...context import GitHubContext
from ...errors import (
    MalformedResponse,
    RequestRejected,
    RunNotFound,
    ServiceError,
    ServiceUnavailable,
    TestrunError,
)
from ...http import Headroom
from ...model import Counts, Failures, History, Phase, TestRun
from ...paging import read_all
from .. import Ended, PlannedRequest, Wiring
from ..adoption import Candidate, Sent, choose, parse_time
from ..base import HttpProvider
from ..readers import text as _text
from ..wire import Count, Wire, read
from . import ERROR_CODES
from .results import TestTally, counts, failed_executions, tally
from .settings import BuildkiteSettings
from .trigger import TRIGGER_ID_VARIABLE, build_body

# Build states (providers.md 3.6); anything unknown is treated as still running.
BUILD_PHASES = {
    "creating": Phase.WAITING,
    "scheduled": Phase.WAITING,
    "waiting": Phase.WAITING,
    "running": Phase.RUNNING,
    "failing": Phase.RUNNING,
    "canceling": Phase.CANCELLING,
}
TESTED_STATES = frozenset({"passed", "failed", "blocked"})  # the build ran; its tests decide
NOT_RUN_STATES = frozenset({"skipped", "not_run", "waiting_failed"})  # the build never ran its tests
CANCELLABLE_STATES = frozenset({"scheduled", "running", "failing"})  # builds.md, "Cancel a build"

PER_PAGE = 100  # the maximum (providers.md 3.4)
# At most 10,000 failed executions are read: the JUnit file lists every one; the job summary (1 MB)
# and the annotations (`max-annotations`, at most 1,000) show fewer, and say so. A run with more
# failures than that is broken as a whole; the report says only the first 10,000 were read.
MAX_FAILED_PAGES = 100
# The build's tests give the counts, all or nothing; the list holds every suite's tests, so it may be
# longer than ours alone: up to 20,000. When it is longer still, only its first page is read and the
# counts come from the failed executions. Both lists at their longest are 300 requests: at the default
# per-user quota of 50 a minute (providers.md 3.4) the rate gate spreads them over six minutes rather
# than running into 429s.
MAX_TEST_PAGES = 200
# A build's Test Engine run appears with its first upload; uploads are processed asynchronously
# (providers.md 3.5), so after the build ends its run may take a little while to show. [I]
RUN_APPEAR_SECONDS = 120.0
DEFAULT_SETTLE_SECONDS = 5.0
# A finished run's counts before the final reads: unknown, so that nothing takes them as zero.
UNREAD = frozenset({"total", "passed", "failed"})
# How far back the build list is read when looking for a build a trigger may have made: wide, because
# the marker, not the time, decides; the adoption rule then checks the creation time against `Date`.
LOOKBACK = timedelta(minutes=10)


class Build(Wire):
    """A Pipelines build (builds.md): the fields the verdict reads, checked; the rest ignored."""

    id: str | None = None
    number: Count | None = None
    state: str | None = None
    blocked: bool | None = None
    web_url: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class EngineRun(Wire):
    """A Test Engine run (seed 004)."""

    id: str
    state: str | None = None
    result: str | None = None
    build_id: str | None = None
    web_url: str | None = None
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class SeenFinished:
    """What the status read that saw a Test Engine run finished saw: what its final reads start from."""

    run_id: str  # the id the flow holds
    result: str
    engine_run: dict[str, Any]
    build: dict[str, Any] | None


def settle_seconds(poll_interval: float | None) -> float:
    """How long after seeing a run finished to look again: two polls' worth, within 1-10 s."""
    if poll_interval is None:
        return DEFAULT_SETTLE_SECONDS
    return min(10.0, max(1.0, 2 * poll_interval))


def error_message(body: Any) -> Any:
    """Buildkite's validation errors: `{"message": "Validation Failed", "errors": [...]}` (providers.md 3.4)."""
    message = http.error_message(body)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(message, str) and isinstance(errors, list) and errors:
        return f"{message}: {'; '.join(str(e) for e in errors)}"
    return message


class BuildkiteProvider(HttpProvider):
    name = "Buildkite"

    def __init__(self, settings: BuildkiteSettings, context: GitHubContext, wiring: Wiring) -> None:
        super().__init__(settings, wiring, error_message=error_message)
        self._settings = settings
        self._context = context
        self._settle = settle_seconds(settings.poll_interval)
        org, suite = settings.organization, settings.suite
        self._builds = f"/v2/organizations/{org}/pipelines/{settings.pipeline}/builds"
        self._runs = f"/v2/analytics/organizations/{org}/suites/{suite}/runs"
        self._build_tests = f"/v2/analytics/organizations/{org}/builds"
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
        body = build_body(self._settings, self._context, self._trigger_id)
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
            said = str(build.get("message") or "")[:200] if isinstance(build, dict) else None
            raise RequestRejected(
                f"Buildkite has no pipeline '{self._settings.pipeline}' in organization "
                f"'{self._settings.organization}' visible to this token ({said or 'HTTP 404'}). "
                "Check the `organization` and `pipeline` inputs."
            )
        return self._on_build(_build_number(build), build)

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
        by_number: dict[str, dict[str, Any]] = {}
        candidates = []
        for build in builds if isinstance(builds, list) else []:
            if not isinstance(build, dict) or not isinstance(build.get("number"), int):
                continue
            env: dict[str, Any] = build["env"] if isinstance(build.get("env"), dict) else {}
            number = str(build["number"])
            by_number[number] = build
            candidates.append(
                Candidate(
                    run_id=number,
                    url=_text(build.get("web_url")),
                    created_at=parse_time(build.get("created_at")),
                    ended_at=parse_time(build.get("finished_at")),
                    fields={"branch": build.get("branch"), "commit": build.get("commit")},
                    marker=env.get(TRIGGER_ID_VARIABLE)
                    if isinstance(env.get(TRIGGER_ID_VARIABLE), str)
                    else None,
                )
            )
        found = choose(candidates, self.sent, offset)
        return dict(by_number[found.run_id]) if found else None

    def own_run(self, deadline: Deadline) -> TestRun | None:
        """The build the last trigger created, when its marker proves it (`adoption`)."""
        build = self._own_build(deadline)
        return self._on_build(_build_number(build), build) if build is not None else None

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
            state=_label(build, state, result),
            phase=Phase.RUNNING,
            created_at=_text((build or run).get("created_at")) or None,
            duration_seconds=_duration(build) if build else None,
            build_url=_text(build.get("web_url")) or None if build else None,
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
        failures, tests = self._results(_text(seen.engine_run.get("id")), build_id, deadline)
        run_counts = counts(list(failures.executions), tests)
        build, result = seen.build, seen.result
        blocked = build is not None and (build.get("blocked") is True or build.get("state") == "blocked")
        build_passed = build is None or (build.get("state") == "passed" and not blocked)
        error_code = None
        if run_counts.failed:
            pass  # failed tests say it all, whatever the build did
        elif result == "failed" and not run_counts.flaky:
            error_code = "failures_unlisted"
        elif not build_passed:
            error_code = "blocked" if blocked else "build_failed"
        elif result not in ("passed", "failed"):  # failed here: every failure passed on retry (flaky)
            error_code = "no_results"
        phase = Phase.ERRORED if error_code else Phase.FINISHED
        return Ended(
            self._ended(replace(run, phase=phase, counts=run_counts, error_code=error_code)), failures
        )

    def _results(
        self, engine_run_id: str, build_id: str, deadline: Deadline
    ) -> tuple[Failures, TestTally | None]:
        """The failed executions, flaky where the build's tests say so, and those tests' tally."""
        tests = self._tests(build_id, deadline)
        flaky = tests.flaky if tests else frozenset()
        try:
            pages = read_all(
                self.http,
                f"{self._runs}/{engine_run_id}/failed_executions",
                params={"include_failure_expanded": "true", "per_page": PER_PAGE},
                deadline=deadline,
                max_pages=MAX_FAILED_PAGES,
                what="Buildkite's failed executions",
            )
        except ServiceUnavailable:
            raise  # the wait tolerates an outage and looks again
        except ServiceError as exc:
            return Failures(complete=False, note=f"Failed executions were unavailable: {exc.message}"), tests
        executions = failed_executions(pages.items, flaky)
        note = None
        if not pages.complete:
            note = (
                f"Only the first {len(pages.items)} failed executions were read ({pages.pages_read} pages)."
            )
        return Failures(tuple(executions), complete=pages.complete, note=note), tests

    def _tests(self, build_id: str, deadline: Deadline) -> TestTally | None:
        """The build's tests in our suite, or None when they can't be read completely."""
        if not parsing.is_uuid(build_id):
            return None
        try:
            pages = read_all(
                self.http,
                f"{self._build_tests}/{build_id}/tests",
                params={"per_page": PER_PAGE},
                deadline=deadline,
                max_pages=MAX_TEST_PAGES,
                what="Buildkite's build tests",
                all_or_nothing=True,
            )
        except TestrunError as exc:  # 404 included: where Test Engine is not enabled for the token
            self._log(f"Test counts are unavailable ({exc.message}); counting the failed executions only.")
            return None
        if not pages.complete:
            return None
        try:
            return tally(pages.items, self._settings.suite or "")
        except ValueError as exc:
            self._log(f"Test counts are unavailable (Buildkite's build tests are malformed: {exc}).")
            return None

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
        return self._results(engine_run_id, build_id, deadline)[0]

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
            deadline=deadline,
        )


def _label(build: dict[str, Any] | None, state: str, result: str) -> str:
    """The state shown to users: e.g. `build failed; tests finished (failed)`."""
    prefix = ""
    if build is not None:
        prefix = "build blocked; " if build.get("blocked") is True else f"build {_text(build.get('state'))}; "
    return f"{prefix}tests {state} ({result})"


def _build_number(build: Any) -> str:
    number = build.get("number") if isinstance(build, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise MalformedResponse("Buildkite's new build has no build number.")
    return str(number)


def _duration(build: dict[str, Any]) -> float | None:
    start = parse_time(build.get("started_at")) or parse_time(build.get("created_at"))
    end = parse_time(build.get("finished_at"))
    return (end - start).total_seconds() if start and end and end >= start else None
