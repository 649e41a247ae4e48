"""Testsigma's earlier runs of the test plan, for the trend and for telling new failures from known ones.

    runs      GET /api/v2/test_runs?query=testPlanId:{plan}              providers.md 2.1
    outcomes  GET /api/v1/execution_results/{id}/test_case_results       per compared run

Testsigma's runs carry no branch (only a `buildNo`), so the comparison is with the plan's earlier
completed runs, whatever they tested; the report says so rather than naming a branch.

Only runs that started before this one (`startTime`) count. Testsigma gives no commit: the stand-in is
the `buildNo`, which the trigger sets to the short commit SHA unless `build-version` names the build, so a
run with this run's `buildNo` is this build (a sibling job, a re-run) and is left out (`baseline.py`).
The trend reads the list alone; a compared run's test case results are read only when this run has
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
from ..wire import count_or_none

HISTORY_RUNS = 10  # the trend's "last 10 ended runs"; also how many earlier runs are compared
PAGE_SIZE = 50
WORKERS = 4
COMPLETED_RESULTS = frozenset({"SUCCESS", "PASSED", "FAILURE", "FAILED"})
_OUTCOMES = {
    "SUCCESS": "passed",
    "PASSED": "passed",
    "FAILURE": "failed",
    "FAILED": "failed",
    "ABORTED": "failed",
}


def read_history(
    http: HttpClient,
    plan_id: int,
    run: TestRun,
    failures: Failures,
    branch: str | None,
    baseline: Baseline,
    deadline: Deadline,
) -> History:
    _, payload = http.json(
        "GET",
        "/api/v2/test_runs",
        params={"query": f"testPlanId:{plan_id}", "pageSize": PAGE_SIZE},
        deadline=deadline,
    )
    items = payload.get("content") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise MalformedResponse("Testsigma's run list has no `content`.")
    ended = sorted(
        (
            item
            for item in items
            if isinstance(item, dict)
            and _id(item) is not None
            and str(_id(item)) != run.id
            and str(item.get("testPlanId", plan_id)) == str(plan_id)
            and str(item.get("result", "")).upper() in COMPLETED_RESULTS
            and baseline.admits(item.get("startTime"), item.get("buildNo"))
        ),
        key=lambda item: -(_id(item) or 0),  # newest first, whatever order the page has
    )[:HISTORY_RUNS]
    recent = tuple(_past(item) for item in ended)
    if branch is None:
        return History(recent=recent)
    against = f"in earlier runs of test plan {plan_id}"
    if not ended:
        return History(
            recent=recent,
            branch=branch,
            baseline=against,
            unavailable=f"no earlier completed run of test plan {plan_id}",
        )
    outcomes: dict[str, Outcomes] = {}
    if failures.executions:
        per_run = concurrently(lambda past: _results(http, past.id, deadline), recent, WORKERS)
        for failure in failures.executions:
            outcomes[failure.test_key] = tuple(
                by_id.get(failure.key or "", by_name.get(failure.name)) for by_id, by_name in per_run
            )
    return History(recent=recent, branch=branch, compared=recent, outcomes=outcomes, baseline=against)


def _id(item: dict[str, Any]) -> int | None:
    return count_or_none(item.get("id"))


def _number(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        else None
    )


def _past(item: dict[str, Any]) -> PastRun:
    metrics = item.get("metrics") if isinstance(item.get("metrics"), dict) else {}
    # A count that is not a whole number is unknown for the trend, never 0 (`wire`).
    failed = count_or_none(metrics.get("failedCount")) if metrics else None
    if failed is None:
        failed = count_or_none(item.get("failedCount"))
    duration = _number(item.get("duration"))  # milliseconds, as in v1 (providers.md 2.1)
    return PastRun(
        id=str(_id(item)),
        duration_seconds=duration / 1000 if duration else None,
        failed=failed,
        branch=None,
    )


def _results(
    http: HttpClient, run_id: str, deadline: Deadline
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Each test case's outcome in one earlier run, by test case id and by name."""
    _, payload = http.json("GET", f"/api/v1/execution_results/{run_id}/test_case_results", deadline=deadline)
    cases = payload.get("testCases") if isinstance(payload, dict) else None
    if not isinstance(cases, list):
        raise MalformedResponse(f"Testsigma's run {run_id} has no `testCases`.")
    by_id: dict[str, str | None] = {}
    by_name: dict[str, str | None] = {}
    for case in cases:
        if not isinstance(case, dict):
            continue
        outcome = _OUTCOMES.get(str(case.get("result", "")).upper())  # not executed or stopped: None
        if case.get("testCaseId") is not None:
            by_id[str(case["testCaseId"])] = outcome
        if isinstance(case.get("testCaseName"), str):
            by_name[case["testCaseName"].strip()] = outcome
    return by_id, by_name
