"""Buildkite's recent runs, for the trend and for telling new failures from known ones.

    runs      GET /v2/analytics/organizations/{org}/suites/{suite}/runs?per_page=100   newest first
    failures  GET .../runs/{id}/failed_executions?per_page=100                       per compared run
    duration  GET /v2/organizations/{org}/pipelines/{pipeline}/builds?per_page=100    started/finished

Test Engine's run list has no branch filter (providers.md 3.2: `build_id` only), so runs are picked by
their `branch` here. A run counts once it is `finished` with a result of `passed` or `failed`, and only
when it was created before this run's build, on another commit (`commit_sha`; `baseline.py`).

The trend needs durations only: nothing is read per test for it. Failed executions are read only for
the compared runs, and only when this run has failures to tell new from known.

A failed execution does not say whether a retry passed, so in an earlier run a test that failed and
then passed on retry counts as failed there; the trend's failure counts are distinct failed tests.
A run's failed executions beyond three pages leave the other tests' outcome there unknown.
"""

from __future__ import annotations

from typing import Any

from ...clock import Deadline
from ...errors import MalformedResponse, TestrunError
from ...http import HttpClient
from ...model import Failures, History, Outcomes, PastRun
from ...paging import concurrently, read_all
from ..adoption import parse_time
from ..baseline import Baseline
from ..readers import text as _text
from .results import execution_key

HISTORY_RUNS = 10  # the trend's "last 10 ended runs"; also how many runs of the branch are compared
LIST_PAGE = 100  # per_page's maximum (providers.md 3.4)
FAILURE_PAGES = 3  # pages of failed executions read per earlier run
WORKERS = 4  # earlier runs read at once, well inside the 50 requests a minute (providers.md 3.4)


def read_history(
    http: HttpClient,
    *,
    runs_path: str,
    builds_path: str | None,
    current_run: str | None,
    current_build: str | None,
    failures: Failures,
    branch: str | None,
    baseline: Baseline,
    deadline: Deadline,
) -> History:
    _, listed = http.json("GET", runs_path, params={"per_page": LIST_PAGE}, deadline=deadline)
    if not isinstance(listed, list):
        raise MalformedResponse("Buildkite's run list is not a JSON array.")
    ended = [
        run
        for run in listed
        if isinstance(run, dict)
        and run.get("state") == "finished"
        and run.get("result") in ("passed", "failed")
        and _text(run.get("id"))
        and _text(run.get("id")) != current_run
        and (current_build is None or run.get("build_id") != current_build)
        and baseline.admits(run.get("created_at"), run.get("commit_sha"))
    ]
    recent = ended[:HISTORY_RUNS]
    compared = [run for run in ended if run.get("branch") == branch][:HISTORY_RUNS] if branch else []
    durations = _durations(http, builds_path, deadline) if builds_path else {}
    wanted = [_text(run.get("id")) for run in compared] if failures.executions else []
    lists = concurrently(lambda run_id: _failed(http, runs_path, run_id, deadline), wanted, WORKERS)
    read = dict(zip(wanted, lists, strict=True))

    def past(run: dict[str, Any]) -> PastRun:
        failed = read.get(_text(run.get("id")))
        return PastRun(
            id=_text(run.get("id")),
            duration_seconds=durations.get(_text(run.get("build_id"))),
            failed=len(failed[0]) if failed is not None else None,
            branch=_text(run.get("branch")) or None,
        )

    if branch is None:
        return History(recent=tuple(map(past, recent)))
    if not compared:
        return History(
            recent=tuple(map(past, recent)),
            branch=branch,
            unavailable=f"no finished Test Engine run on {branch} to compare with",
        )
    outcomes: dict[str, Outcomes] = {}
    for failure in failures.executions:
        row: list[str | None] = []
        for run in compared:
            failed, complete = read[_text(run.get("id"))]
            row.append("failed" if failure.key in failed else "passed" if complete and failure.key else None)
        outcomes[failure.test_key] = tuple(row)
    return History(
        recent=tuple(map(past, recent)), branch=branch, compared=tuple(map(past, compared)), outcomes=outcomes
    )


def _failed(http: HttpClient, runs_path: str, run_id: str, deadline: Deadline) -> tuple[frozenset[str], bool]:
    """The tests with a failed execution in one run, and whether the list was read to its end."""
    pages = read_all(
        http,
        f"{runs_path}/{run_id}/failed_executions",
        params={"per_page": LIST_PAGE},
        deadline=deadline,
        max_pages=FAILURE_PAGES,
        what="Buildkite's failed executions",
    )
    return frozenset(execution_key(item) for item in pages.items), pages.complete


def _durations(http: HttpClient, builds_path: str, deadline: Deadline) -> dict[str, float]:
    """Seconds each recent ended build took, by build id; {} when the build list can't be read: the
    durations only enrich the trend, and the comparison stands without them."""
    try:
        _, builds = http.json(
            "GET", builds_path, params={"per_page": LIST_PAGE, "exclude_jobs": "true"}, deadline=deadline
        )
    except TestrunError:
        return {}
    found = {}
    for build in builds if isinstance(builds, list) else []:
        if not isinstance(build, dict):
            continue
        start = parse_time(build.get("started_at"))
        end = parse_time(build.get("finished_at"))
        if start and end and end >= start and _text(build.get("id")):
            found[_text(build.get("id"))] = (end - start).total_seconds()
    return found
