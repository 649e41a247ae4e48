"""The JUnit file, read back with junitparser as CI tools read it."""

from __future__ import annotations

from pathlib import Path

from junitparser import Error, Failure, JUnitXml, TestSuite

from testrun_action.model import (
    Counts,
    FailedExecution,
    FailOn,
    Failures,
    Outcome,
    Phase,
    Report,
    Source,
    TestRun,
)
from testrun_action.report.junit import render_junit
from testrun_sim.empirical import Scenario

from .conftest import FAST, Job, Simulated


def suite_of(path: Path) -> TestSuite:
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    return suites[0]


def test_junit_file_has_the_counts_and_one_case_per_failed_or_flaky_test(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 20}, failed=3, flaky=2, skipped=1)
    path = job.tmp / "reports" / "e2e.xml"

    result = job.run(junit_file=str(path))

    assert result.outputs["junit-file"] == str(path)
    suite = suite_of(path)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (20, 3, 0, 1)
    assert suite.name == "E2E tests (staging)"
    cases = list(suite)
    assert len(cases) == 20  # every test the service lists (issue 15; it was the 5 failed or flaky ones)
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    assert len(failed) == 3
    for case in failed:
        (failure,) = case.result
        assert failure.message == "Failed"
        assert "Report: https://dash.empirical.run/acme-shop/test-runs/1001?test_id=" in failure.text
        assert case.classname == "chromium"
    flaky = [c for c in cases if c._elem.find("flakyFailure") is not None]
    assert len(flaky) == 2
    assert all(c.is_passed for c in flaky)  # passed in the end; `flakyFailure` says it needed a retry
    assert all(" › " in c.name for c in failed + flaky)
    properties = {p.name: p.value for p in suite.properties()}
    assert properties["run-url"] == "https://dash.empirical.run/acme-shop/test-runs/1001"


def test_junit_messages_details_and_unsafe_text(tmp_path: Path) -> None:
    report = Report(
        provider="Empirical",
        environment="staging",
        outcome=Outcome.FAILED,
        passed=False,
        fail_on=FailOn.FAILURES,
        source=Source(),
        run=TestRun(
            "7", "https://x.test/7", "ended", Phase.FINISHED, Counts(total=2, passed=1, failed=1), 12.5
        ),
        failures=Failures(
            (
                FailedExecution(
                    name='Cart <adds> "an item" & \x1b[31mcolour',
                    file="tests/cart.spec.ts",
                    line=42,
                    message="Expected 2\nReceived 3",
                    details="at cart.spec.ts:42\x00\x07",
                    group="Cart",
                ),
            )
        ),
    )
    path = tmp_path / "e2e.xml"
    path.write_text(render_junit(report), encoding="utf-8")

    suite = suite_of(path)
    # The counts are those of the test cases written (issue 15; `tests` was the run's total, 2).
    assert (suite.tests, suite.failures, suite.time) == (1, 1, 12.5)
    (case,) = list(suite)
    assert case.name == 'Cart <adds> "an item" & \ufffd[31mcolour'
    assert case.classname == "Cart"
    (failure,) = case.result
    assert failure.message == "Expected 2"
    assert failure.text == "Expected 2\nReceived 3\n\nat cart.spec.ts:42\ufffd\ufffd"
    assert case._elem.get("file") == "tests/cart.spec.ts"
    assert case._elem.get("line") == "42"


def test_errored_run_has_an_error_case(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, error_code="worker_interrupted")
    path = job.tmp / "e2e.xml"

    job.run(junit_file=str(path))

    suite = suite_of(path)
    assert suite.errors == 1
    errors = [c for c in suite if any(isinstance(r, Error) for r in c.result)]
    assert [c.name for c in errors] == ["Empirical run"]
    assert "worker_interrupted" in errors[0].result[0].text
