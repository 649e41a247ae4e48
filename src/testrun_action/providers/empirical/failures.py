"""Empirical's failed tests: the run's per-test summary (providers.md 1.4), each test's file and project
from `/api/v2/test-cases` (1.5). Best effort: the counts and the verdict stand without details."""

from __future__ import annotations

from typing import Any

from ...clock import Deadline
from ...errors import TestrunError
from ...http import HttpClient
from ...model import FailedExecution, Failures, TestResult, TestRun
from ..readers import first_text, mapping
from .payload import FAILED_STATUSES, summary_details

# GET /api/v2/test-cases takes at most 100 ids (providers.md 1.5).
TEST_CASE_PAGE = 100


def read_failures(http: HttpClient, run: TestRun, deadline: Deadline) -> Failures:
    """The run's failed and flaky tests: its per-test summary, then each test's file from the test cases."""
    try:
        _, payload = http.json("GET", f"/api/test-runs/{run.id}", deadline=deadline)
    except TestrunError as exc:  # best effort: the counts and the verdict stand without details
        return Failures(complete=False, note=f"Failure details were unavailable: {exc.message}")
    details = summary_details(payload)
    if details is None:
        return Failures(
            complete=False, note="Failure details were unavailable: the run had no per-test summary."
        )
    wanted = [d for d in details if _is_failure(d)]
    cases, note = _test_cases(http, [str(d["pw_test_id"]) for d in wanted if d.get("pw_test_id")], deadline)
    executions = []
    for detail in wanted:
        pw_id = str(detail.get("pw_test_id") or "")
        case = cases.get(pw_id, {})
        suites = [s for s in case.get("suites") or [] if isinstance(s, str)]
        executions.append(
            FailedExecution(
                name=" › ".join(
                    [*suites, first_text(case.get("name"), detail.get("name"), pw_id) or "unnamed test"]
                ),
                flaky=str(detail.get("status")).lower() == "flaky",
                file=first_text(case.get("file_path")),
                message=first_text(detail.get("error_message"), detail.get("message"), detail.get("error"))
                or "",
                url=f"{run.url}?test_id={pw_id}" if pw_id else run.url,
                group=first_text(case.get("playwright_project")),
                key=pw_id or None,
            )
        )
    return Failures(
        executions=tuple(executions), complete=note is None, note=note, tests=_tests(details, executions)
    )


def _tests(details: list[dict[str, Any]], executions: list[FailedExecution]) -> tuple[TestResult, ...]:
    """Every test the summary lists, passed and skipped too (no durations: the summary has none)."""
    failed = {f.key: f for f in executions if f.key}
    tests = []
    for detail in details:
        pw_id = str(detail.get("pw_test_id") or "")
        known = failed.get(pw_id)
        status = str(detail.get("status", "")).lower()
        if status in FAILED_STATUSES:
            status = "snoozed" if detail.get("snooze_info") else "failed"
        elif status == "expected":
            status = "passed"
        name = known.name if known else first_text(detail.get("name"), pw_id) or "unnamed test"
        tests.append(
            TestResult(
                name,
                status,
                file=known.file if known else None,
                group=known.group if known else None,
                key=pw_id or None,
            )
        )
    return tuple(tests)


def _test_cases(
    http: HttpClient, ids: list[str], deadline: Deadline
) -> tuple[dict[str, dict[str, Any]], str | None]:
    cases: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), TEST_CASE_PAGE):
        chunk = ids[start : start + TEST_CASE_PAGE]
        try:
            _, payload = http.json(
                "GET",
                "/api/v2/test-cases",
                params={"ids": ",".join(chunk), "per_page": TEST_CASE_PAGE},
                deadline=deadline,
            )
        except TestrunError as exc:
            return cases, f"File paths were unavailable for some tests: {exc.message}"
        for case in mapping(payload, "data").get("test_cases") or []:
            if isinstance(case, dict) and case.get("id") is not None:
                cases[str(case["id"])] = case
    return cases, None


def _is_failure(detail: dict[str, Any]) -> bool:
    status = str(detail.get("status", "")).lower()
    if status == "flaky":
        return True
    # A failure with an active snooze does not count (providers.md 1.5).
    return status in FAILED_STATUSES and not detail.get("snooze_info")
