"""The log's last line: counts that can't read as "all failed", and why `fail-on` lets a step pass."""

from __future__ import annotations

import dataclasses

from testrun_action.model import Counts, FailOn, Outcome, Phase
from testrun_action.report.last_line import counted, last_line

from .test_summary import report

URL = "https://dash.empirical.run/acme-shop/test-runs/1001"


def test_a_failed_run_says_how_many_of_the_tests_failed() -> None:
    line = last_line(report())

    assert line == f"❌ E2E tests failed (3 of 125 failed, 2 flaky, 1 skipped). Report: {URL}"


def test_a_passing_run_counts_its_tests() -> None:
    passed = report(outcome=Outcome.PASSED, passed=True)
    run = dataclasses.replace(passed.run, counts=Counts(total=48, passed=48))  # type: ignore[arg-type]

    assert last_line(dataclasses.replace(passed, run=run)) == f"✅ E2E tests passed (48 tests). Report: {URL}"


def test_fail_on_never_says_why_the_step_passes() -> None:
    line = last_line(report(passed=True, fail_on=FailOn.NEVER))

    assert line == f"✅ Step passes: 3 of 125 tests failed (fail-on: never). Report: {URL}"


def test_fail_on_new_failures_says_none_was_new() -> None:
    line = last_line(report(passed=True, fail_on=FailOn.NEW_FAILURES))

    assert line.startswith("✅ Step passes: 3 of 125 tests failed, none new (fail-on: new-failures).")


def test_a_timeout_that_fail_on_never_accepts_says_so() -> None:
    line = last_line(report(outcome=Outcome.TIMED_OUT, passed=True, fail_on=FailOn.NEVER))

    assert line.startswith("✅ Step passes: the run timed out (fail-on: never).")


def test_flaky_tests_that_fail_the_step_say_why() -> None:
    line = last_line(report(outcome=Outcome.PASSED, passed=False, fail_on=FailOn.FLAKY))

    assert line.startswith("❌ Step fails: 2 flaky tests (fail-on: flaky).")


def test_a_service_counting_only_failures_gives_no_false_total() -> None:
    assert counted(Counts(failed=2, flaky=1, missing=frozenset({"total", "passed"}))) == "2 failed, 1 flaky"


def test_a_run_without_counts_has_just_the_headline() -> None:
    plain = report(outcome=Outcome.ERROR)
    run = dataclasses.replace(plain.run, counts=Counts(), phase=Phase.ERRORED)  # type: ignore[arg-type]

    assert last_line(dataclasses.replace(plain, run=run)) == f"💥 E2E test run errored. Report: {URL}"
