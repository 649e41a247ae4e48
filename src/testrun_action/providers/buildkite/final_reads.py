"""Buildkite's final reads: once a second look agrees that a Test Engine run finished, the build's tests
and the failed executions are read; together they decide the counts, and what the build did decides
whether an end with no failed test is an error.

    failures  GET  .../runs/{id}/failed_executions?include_failure_expanded=true   Link-paginated, 3.4
    counts    GET  /v2/analytics/organizations/{org}/builds/{build uuid}/tests      Link-paginated, 3.2
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ... import parsing
from ...clock import Deadline
from ...errors import ServiceError, ServiceUnavailable, TestrunError
from ...http import HttpClient
from ...model import Counts, Failures
from ...paging import read_all
from .results import TestTally, failed_executions, tally

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
DEFAULT_SETTLE_SECONDS = 5.0  # the second look at a finished run (it can reopen: providers.md 3.3)


def settle_seconds(poll_interval: float | None) -> float:
    """How long after seeing a run finished to look again: two polls' worth, within 1-10 s."""
    if poll_interval is None:
        return DEFAULT_SETTLE_SECONDS
    return min(10.0, max(1.0, 2 * poll_interval))


@dataclass(frozen=True, slots=True)
class SeenFinished:
    """What the status read that saw a Test Engine run finished saw: what its final reads start from."""

    run_id: str  # the id the flow holds
    result: str
    engine_run: dict[str, Any]
    build: dict[str, Any] | None


def error_code(run_counts: Counts, seen: SeenFinished) -> str | None:
    """Why a finished run with these counts is an error, or None when the counts decide."""
    build, result = seen.build, seen.result
    blocked = build is not None and (build.get("blocked") is True or build.get("state") == "blocked")
    build_passed = build is None or (build.get("state") == "passed" and not blocked)
    if run_counts.failed:
        return None  # failed tests say it all, whatever the build did
    if result == "failed" and not run_counts.flaky:
        return "failures_unlisted"
    if not build_passed:
        return "blocked" if blocked else "build_failed"
    if result not in ("passed", "failed"):  # failed here: every failure passed on retry (flaky)
        return "no_results"
    return None


@dataclass(frozen=True, slots=True)
class ResultReader:
    """Reads one Buildkite suite's results: the failed executions of a run, and a build's tests."""

    http: HttpClient
    runs_path: str  # .../suites/{suite}/runs
    build_tests_path: str  # .../organizations/{org}/builds
    suite: str
    log: Callable[[str], None]

    def results(
        self, engine_run_id: str, build_id: str, deadline: Deadline
    ) -> tuple[Failures, TestTally | None]:
        """The failed executions, flaky where the build's tests say so, and those tests' tally."""
        tests = self._tests(build_id, deadline)
        flaky = tests.flaky if tests else frozenset()
        attempts = tests.attempts if tests else None
        try:
            pages = read_all(
                self.http,
                f"{self.runs_path}/{engine_run_id}/failed_executions",
                params={"include_failure_expanded": "true", "per_page": PER_PAGE},
                deadline=deadline,
                max_pages=MAX_FAILED_PAGES,
                what="Buildkite's failed executions",
            )
        except ServiceUnavailable:
            raise  # the wait tolerates an outage and looks again
        except ServiceError as exc:
            return Failures(complete=False, note=f"Failed executions were unavailable: {exc.message}"), tests
        executions = failed_executions(pages.items, flaky, attempts)
        note = None
        if not pages.complete:
            note = (
                f"Only the first {len(pages.items)} failed executions were read ({pages.pages_read} pages)."
            )
        listed = tests.tests if tests else ()
        return Failures(tuple(executions), complete=pages.complete, note=note, tests=listed), tests

    def _tests(self, build_id: str, deadline: Deadline) -> TestTally | None:
        """The build's tests in our suite, or None when they can't be read completely."""
        if not parsing.is_uuid(build_id):
            return None
        try:
            pages = read_all(
                self.http,
                f"{self.build_tests_path}/{build_id}/tests",
                params={"per_page": PER_PAGE},
                deadline=deadline,
                max_pages=MAX_TEST_PAGES,
                what="Buildkite's build tests",
                all_or_nothing=True,
            )
        except TestrunError as exc:  # 404 included: where Test Engine is not enabled for the token
            self.log(f"Test counts are unavailable ({exc.message}); counting the failed executions only.")
            return None
        if not pages.complete:
            return None
        try:
            return tally(pages.items, self.suite)
        except ValueError as exc:
            self.log(f"Test counts are unavailable (Buildkite's build tests are malformed: {exc}).")
            return None
