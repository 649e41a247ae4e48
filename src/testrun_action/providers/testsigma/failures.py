"""Testsigma's failed tests and why each failed: the run's test case results, each failure's reason from
the v2 step results, or from the run's JUnit report when those are unavailable, and its time from its v2
test case result's `duration` (providers.md 2.1). Every test case the results list is a listed test, for
the JUnit file. Testsigma documents no screenshot or video field in either result."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

from ...clock import Deadline
from ...envelopes import service_message
from ...errors import TestrunError
from ...http import HttpClient
from ...model import FailedExecution, Failures, TestResult, TestRun
from ...paging import concurrently
from ..readers import duration_seconds, text
from .payload import FAILED_RESULTS, PASSED_RESULTS, content, integer

# Failure reasons and times come from two requests per failed test (step results, the test case
# result): the first few are fetched, a few at a time, and the summary says when the rest were left out.
STEP_LOOKUPS = 25
STEP_PAGES = 5  # pages of step results read per test before giving up on finding the failed step
JUNIT_LIMIT = 20_000_000  # bytes of JUnit report read for the fallback, counted as it streams in
_JUNIT_MESSAGE = re.compile(
    r'Test failed with message:"(.*?)"\s*\.\s*please visit', re.DOTALL | re.IGNORECASE
)


class FailureReader:
    """Reads one run's failures; any error degrades the report, never the verdict (the counts decided)."""

    def __init__(self, http: HttpClient, log: Callable[[str], None]) -> None:
        self.http = http
        self._log = log

    def read(self, run: TestRun, deadline: Deadline) -> Failures:
        try:
            _, payload = self.http.json(
                "GET", f"/api/v1/execution_results/{run.id}/test_case_results", deadline=deadline
            )
        except TestrunError as exc:
            self._log(f"Test case results were unavailable ({exc.message}); reading the JUnit report.")
            # Any error here degrades the report, never the verdict, which the run's counts decided.
            return self._junit_failures(run, deadline, exc.message)
        cases = payload.get("testCases") if isinstance(payload, dict) else None
        if not isinstance(cases, list):
            return self._junit_failures(run, deadline, "the test case results had no `testCases`")
        failed = [
            c for c in cases if isinstance(c, dict) and str(c.get("result", "")).upper() not in PASSED_RESULTS
        ]
        looked_up = failed[:STEP_LOOKUPS]
        # Both requests of a test in one task, a few tests at a time; an interruption drops the rest.
        read = concurrently(
            lambda case: (self._step_reason(run, case, deadline), self._case_seconds(run, case, deadline)),
            looked_up,
        )
        reasons = [reason for reason, _ in read]
        times = [seconds for _, seconds in read]
        missing = [index for index, reason in enumerate(reasons) if reason is None]
        if missing:
            # The v2 step results were unusable for these: the JUnit report has a reason per failed test.
            fallback = self._junit_reasons(run, deadline, [looked_up[index] for index in missing])
            for index, reason in zip(missing, fallback, strict=True):
                reasons[index] = reason
        executions = []
        for index, case in enumerate(failed):
            reason = reasons[index] if index < len(reasons) else None
            message, details = reason or ("", "")
            executions.append(
                FailedExecution(
                    name=text(case.get("testCaseName")) or f"test case {case.get('testCaseId', '?')}",
                    message=message,
                    details=details,
                    url=run.url,
                    group=_group(case.get("testSuiteName"), case.get("machineTitle")),
                    key=_key(case),
                    duration_seconds=times[index] if index < len(times) else None,
                )
            )
        note = None
        if len(failed) > len(looked_up):
            note = (
                f"Failure reasons were fetched for the first {len(looked_up)} of {len(failed)} failed tests; "
                "see the report in Testsigma for the rest."
            )
        listed = tuple(
            TestResult(
                name=text(c.get("testCaseName")) or f"test case {c.get('testCaseId', '?')}",
                # As the failed executions: whatever did not pass counts as failed (written from those).
                status="passed" if str(c.get("result", "")).upper() in PASSED_RESULTS else "failed",
                group=_group(c.get("testSuiteName"), c.get("machineTitle")),
                key=_key(c),
            )
            for c in cases
            if isinstance(c, dict)
        )
        return Failures(executions=tuple(executions), complete=note is None, note=note, tests=listed)

    def _case_seconds(self, run: TestRun, case: dict[str, Any], deadline: Deadline) -> float | None:
        """The test's time: its v2 test case result's `duration`, in milliseconds (providers.md 2.1)."""
        case_result = integer(case.get("testCaseResultId"))
        if case_result is None:
            return None
        path = f"/api/v2/test_runs/{run.id}/test_case_results/{case_result}"
        try:
            _, payload = self.http.json("GET", path, deadline=deadline)
        except TestrunError:
            return None
        return duration_seconds(payload.get("duration"), 1000) if isinstance(payload, dict) else None

    def _step_reason(self, run: TestRun, case: dict[str, Any], deadline: Deadline) -> tuple[str, str] | None:
        """The first failed step's message and action, from the v2 step results (providers.md 2.1)."""
        case_result = integer(case.get("testCaseResultId"))
        if case_result is None:
            return None
        path = f"/api/v2/test_runs/{run.id}/test_case_results/{case_result}/step_results"
        for page in range(STEP_PAGES):
            try:
                _, payload = self.http.json("GET", path, params={"page": page}, deadline=deadline)
            except TestrunError:
                return None
            for step in content(payload):
                if str(step.get("result", "")).upper() in FAILED_RESULTS:
                    message = text(step.get("message")) or "The step failed."
                    details = [f"Step: {text(step.get('action')) or '?'}"]
                    kind = " ".join(
                        str(step[k]) for k in ("errorType", "errorCode") if step.get(k) is not None
                    )
                    if kind:
                        details.append(f"Error: {kind}")
                    return message, "\n".join(details)
            if not isinstance(payload, dict) or payload.get("isLast") is not False:
                break
        return "", ""  # the steps were read and none failed: no reason to give

    # -- the JUnit report, the fallback source --------------------------------------------------
    def _junit(self, run: TestRun, deadline: Deadline) -> list[dict[str, str]] | None:
        try:
            response = self.http.send(
                "GET",
                f"/api/v1/reports/junit/{run.id}",
                deadline=deadline,
                repeatable=True,
                limit=JUNIT_LIMIT,
            )
        except TestrunError as exc:
            self._log(f"The JUnit report was unavailable: {exc.message}")
            return None
        if not response.is_success:
            self._log(
                f"The JUnit report was unavailable (HTTP {response.status_code}) {service_message(response, self.http.error_message)}"
            )
            return None
        return parse_junit(response.content)

    def _junit_reasons(
        self, run: TestRun, deadline: Deadline, cases: list[dict[str, Any]]
    ) -> list[tuple[str, str] | None]:
        by_name = {(c["classname"], c["name"]): c for c in self._junit(run, deadline) or []}
        reasons: list[tuple[str, str] | None] = []
        for case in cases:
            found = by_name.get((str(case.get("testSuiteName", "")), str(case.get("testCaseName", ""))))
            reasons.append((found["message"], found["details"]) if found else None)
        return reasons

    def _junit_failures(self, run: TestRun, deadline: Deadline, why: str) -> Failures:
        cases = self._junit(run, deadline)
        if cases is None:
            return Failures(complete=False, note=f"Failure details were unavailable: {why}.")
        return Failures(
            executions=tuple(
                FailedExecution(
                    name=c["name"] or "unnamed test",
                    message=c["message"],
                    details=c["details"],
                    url=run.url,
                    group=_group(c["classname"], c["machine"]),
                )
                for c in cases
            )
        )


def parse_junit(content: bytes) -> list[dict[str, str]] | None:
    """The failed test cases of Testsigma's JUnit report (providers.md 2.1: one suite per machine named
    `<plan> || <machine>`, a failure text `Test failed with message:"<message>".please visit ...`)."""
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - no entity expansion in expat >= 2.4 (3.11)
    except ElementTree.ParseError:
        return None
    failed = []
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    for suite in suites:
        machine = (suite.get("name") or "").rpartition("||")[2].strip()
        for case in suite.iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is None:
                continue
            text = (problem.text or "").strip()
            quoted = _JUNIT_MESSAGE.search(text)
            if quoted:
                message = quoted.group(1)
            else:
                message = problem.get("message") or (text.splitlines()[0] if text else "")
            failed.append(
                {
                    "name": case.get("name") or "",
                    "classname": case.get("classname") or "",
                    "machine": machine,
                    "message": (message or "").strip(),
                    "details": text if text != message else "",
                }
            )
    return failed


def _key(case: dict[str, Any]) -> str | None:
    return str(case["testCaseId"]) if case.get("testCaseId") is not None else None


def _group(*parts: Any) -> str | None:
    words = [p for p in (text(part) for part in parts) if p]
    return " · ".join(words) or None
