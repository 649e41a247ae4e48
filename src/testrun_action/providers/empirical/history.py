"""Empirical's recent runs, for the trend and for telling new failures from known ones.

    runs      GET /api/test-runs?state=ended&per_page=100&page=N   newest first, at most 3 pages
              (and, before the wait, page 1 alone: how long recent runs took, for the poll schedule)
    outcomes  GET /api/test-runs/{id}   per-test statuses of each compared run (providers.md 1.4)

The trend is the environment's last ended runs, any branch; the compared runs are those of the branch.
The list's `branch` filter is not used: the docs don't say whether it matches the build's branch or the
test repository's (`test_run_branch`), so runs are picked here by the build's branch when they have
one, else the tests' branch.

Both are only runs created before this one (`created_at`), on another commit (`commit`; `baseline.py`).
The trend reads the list alone; a compared run's per-test statuses are read only when this run has
failures to tell new from known.
"""

from __future__ import annotations

from typing import Any

from ...clock import Deadline
from ...errors import MalformedResponse
from ...http import HttpClient
from ...model import Failures, History, Outcomes, PastRun, TestRun
from ...paging import concurrently
from ..baseline import Baseline
from ..readers import count, positive
from .payload import FAILED_STATUSES, run_items, summary_details

HISTORY_RUNS = 10  # the trend's "last 10 ended runs"; also how many runs of the branch are compared
LIST_PAGE = 100  # per_page's maximum (providers.md 1.2): the environment's runs are picked from these
LIST_PAGES = 3  # pages of runs read to find ten of the branch, at most
WORKERS = 4  # per-run details fetched at once


def read_history(
    http: HttpClient,
    environment: str,
    run: TestRun,
    failures: Failures,
    branch: str | None,
    baseline: Baseline,
    deadline: Deadline,
) -> History:
    recent: list[PastRun] = []
    compared: list[PastRun] = []
    for page in range(1, LIST_PAGES + 1):
        _, payload = http.json(
            "GET",
            "/api/test-runs",
            params={"state": "ended", "per_page": LIST_PAGE, "page": page},
            deadline=deadline,
        )
        items = run_items(payload)  # newest first
        for item in items:
            if item.get("environment_slug") not in (None, environment) or item.get("state") != "ended":
                continue
            if str(item.get("id")) == run.id or not baseline.admits(
                item.get("created_at"), item.get("commit")
            ):
                continue
            past = _past(item)
            if len(recent) < HISTORY_RUNS:
                recent.append(past)
            if branch is not None and past.branch == branch and len(compared) < HISTORY_RUNS:
                compared.append(past)
        enough = len(recent) >= HISTORY_RUNS and (branch is None or len(compared) >= HISTORY_RUNS)
        if enough or len(items) < LIST_PAGE:
            break
    if branch is None:
        return History(recent=tuple(recent))
    if not compared:
        return History(
            recent=tuple(recent),
            branch=branch,
            unavailable=f"no ended run of {environment} on {branch} to compare with",
        )
    wanted = {f.test_key: f.key for f in failures.executions}
    outcomes: dict[str, Outcomes] = {}
    if wanted:
        per_run = concurrently(lambda past: _statuses(http, past.id, deadline), compared, WORKERS)
        outcomes = {
            key: tuple(statuses.get(pw_id or "") for statuses in per_run) for key, pw_id in wanted.items()
        }
    return History(recent=tuple(recent), branch=branch, compared=tuple(compared), outcomes=outcomes)


def _branch(item: dict[str, Any]) -> str | None:
    build = item.get("build_branch")
    if isinstance(build, str) and build:
        return build
    tests = item.get("test_run_branch")
    return tests if isinstance(tests, str) and tests else None


def recent_durations(http: HttpClient, environment: str, deadline: Deadline) -> list[float]:
    """How long the environment's newest ended runs ran, for the poll schedule, before the wait: one
    page, one attempt (the schedule does without when it fails)."""
    _, payload = http.json(
        "GET",
        "/api/test-runs",
        params={"state": "ended", "per_page": LIST_PAGE},
        deadline=deadline,
        attempts=1,
    )
    durations = []
    for item in run_items(payload):
        seconds = _past(item).duration_seconds
        if item.get("environment_slug") in (None, environment) and item.get("state") == "ended" and seconds:
            durations.append(seconds)
    return durations[:HISTORY_RUNS]


def _past(item: dict[str, Any]) -> PastRun:
    failed = count(item, "failed_count_after_snoozing")
    duration_ms = positive(item.get("duration"))
    return PastRun(
        id=str(item.get("id")),
        # `duration` is milliseconds (seed 000's example: 120000 for two minutes).
        duration_seconds=duration_ms / 1000 if duration_ms else None,
        failed=failed if failed is not None else count(item, "failed_count"),
        branch=_branch(item),
    )


def _statuses(http: HttpClient, run_id: str, deadline: Deadline) -> dict[str, str | None]:
    """Each test's outcome in one run, by Playwright test id: failed, flaky, passed, or None (skipped)."""
    _, payload = http.json("GET", f"/api/test-runs/{run_id}", deadline=deadline)
    details = summary_details(payload)
    if details is None:
        raise MalformedResponse(f"Empirical's run {run_id} has no per-test summary")
    statuses: dict[str, str | None] = {}
    for detail in details:
        pw_id = detail.get("pw_test_id")
        if not isinstance(pw_id, str) or not pw_id:
            continue
        status = str(detail.get("status", "")).lower()
        # A snoozed failure still failed: for history it counts as one.
        if status in FAILED_STATUSES:
            statuses[pw_id] = "failed"
        elif status == "flaky":
            statuses[pw_id] = "flaky"
        elif status in ("passed", "expected"):
            statuses[pw_id] = "passed"
        else:
            statuses[pw_id] = None  # skipped, or a status we don't know: not a run of the test
    return statuses
