"""Empirical's failed tests: the run's per-test summary (providers.md 1.4), each test's file and project
from `/api/v2/test-cases` (1.5). Best effort: the counts and the verdict stand without details.

Artifacts (providers.md 1.5, 1.6), observed rather than documented: the run's Playwright HTML report at
`{reports-url}/{project slug}/{run token}/index.html` (`https://reports.empirical.run` unless set), where the run token is the run's
`testRun.run_id` (a CI run number, not its id), and a test's video at
`…/data/{test slug}-{Playwright project}/video.webm`. A link is built only from those fields as read,
each a plain path segment; the video's is labelled "if recorded", as Playwright records one only when
configured to.
"""

from __future__ import annotations

import re
from typing import Any

from ...clock import Deadline
from ...errors import TestrunError
from ...http import HttpClient
from ...model import Artifact, FailedExecution, Failures, TestResult, TestRun
from ..readers import first_text, mapping
from .payload import FAILED_STATUSES, summary_details

# GET /api/v2/test-cases takes at most 100 ids (providers.md 1.5).
TEST_CASE_PAGE = 100
# A slug or project name as a path segment: what the observed ones are made of (`lorem-ipsum`,
# `chromium`), at most 200 characters, as no real one nears; anything else builds no link.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
# The run token: a CI run number (`17147585452` in providers.md 1.6), digits only.
_TOKEN = re.compile(r"[0-9]{1,20}")


def read_failures(
    http: HttpClient, run: TestRun, deadline: Deadline, project: str | None = None, reports: str = ""
) -> Failures:
    """The run's failed and flaky tests: its per-test summary, then each test's file from the test cases;
    the report's links, under `reports`, where `project` (its slug) and the run's token are known."""
    try:
        _, payload = http.json("GET", f"/api/test-runs/{run.id}", deadline=deadline)
    except TestrunError as exc:  # best effort: the counts and the verdict stand without details
        return Failures(complete=False, note=f"Failure details were unavailable: {exc.message}")
    details = summary_details(payload)
    if details is None:
        return Failures(
            complete=False, note="Failure details were unavailable: the run had no per-test summary."
        )
    report = _report_url(payload, project, reports)
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
                artifacts=_video(report, detail.get("slug"), case.get("playwright_project")),
            )
        )
    return Failures(
        executions=tuple(executions),
        complete=note is None,
        note=note,
        tests=_tests(details, executions),
        artifacts=(Artifact("Playwright report", f"{report}/index.html"),) if report else (),
    )


def _segment(value: Any) -> str | None:
    return value if isinstance(value, str) and _SEGMENT.fullmatch(value) and ".." not in value else None


def _report_url(payload: Any, project: str | None, reports: str) -> str | None:
    """The root of the run's Playwright report, when the project's slug and the run's token are known."""
    token = mapping(mapping(mapping(payload, "data"), "test_run"), "testRun").get("run_id")
    if isinstance(token, int) and not isinstance(token, bool):
        token = str(token)
    slug = _segment(project)
    if not reports or not slug or not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return f"{reports}/{slug}/{token}"


def _video(report: str | None, test_slug: Any, project: Any) -> tuple[Artifact, ...]:
    slug, name = _segment(test_slug), _segment(project)
    if not report or not slug or not name:
        return ()
    return (Artifact("Video (if recorded)", f"{report}/data/{slug}-{name}/video.webm"),)


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
