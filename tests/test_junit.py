"""The JUnit renderer: a valid document with the run's counts, one testcase per failed or flaky test, an
error case when the run ended without a verdict, and untrusted text that cannot break the XML."""

from __future__ import annotations

from xml.etree import ElementTree

from testrun_action.junit import render_junit
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


def parse(document: str) -> ElementTree.Element:
    return ElementTree.fromstring(document)  # noqa: S314 - the renderer's own output


def report(outcome: Outcome, failures: tuple[FailedExecution, ...] = (), **run: object) -> Report:
    test_run = TestRun(
        id="337",
        url="https://app.testsigma.com/ui/td/runs/337",
        state="STATUS_COMPLETED (FAILURE)",
        phase=Phase.FINISHED,
        counts=Counts(total=12, passed=9, failed=2, flaky=1),
        duration_seconds=42.5,
        **run,  # type: ignore[arg-type]
    )
    return Report(
        provider="Testsigma",
        environment="staging",
        outcome=outcome,
        passed=outcome is Outcome.PASSED,
        fail_on=FailOn.FAILURES,
        source=Source(commit="6dcb09b5b57875f334f61aebed695e2e4193db5e", branch="main"),
        run=test_run,
        failures=Failures(executions=failures),
    )


def test_failed_and_flaky_tests_become_testcases_with_the_runs_counts() -> None:
    failures = (
        FailedExecution(name="Apply a discount code", message="Element is not displayed.", group="Checkout"),
        FailedExecution(name="Sign in", flaky=True, message="Timed out once", group="Login"),
    )

    root = parse(render_junit(report(Outcome.FAILED, failures)))

    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("time")) == (
        "12",
        "2",
        "0",
        "42.500",
    )
    failed, flaky = suite.findall("testcase")
    assert (failed.get("name"), failed.get("classname")) == ("Apply a discount code", "Checkout")
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == "Element is not displayed."
    assert flaky.find("failure") is None
    assert "Flaky" in (flaky.findtext("system-out") or "")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["run-url"] == "https://app.testsigma.com/ui/td/runs/337"


def test_a_run_that_errored_without_failures_is_an_error_case_not_a_pass() -> None:
    root = parse(render_junit(report(Outcome.ERROR, error_code="ABORTED")))

    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("errors") == "1"
    error = suite.find("testcase/error")
    assert error is not None
    assert "ABORTED" in (error.text or "")


def test_hostile_text_stays_inside_the_document() -> None:
    nasty = 'x"/><testcase name="injected"/>]]>\x00\x1b<!-- &amp; \ud800'
    failures = (FailedExecution(name=nasty, message=nasty, details=nasty, group=nasty),)

    document = render_junit(report(Outcome.FAILED, failures))
    root = parse(document)

    names = [case.get("name") for case in root.iter("testcase")]
    assert len(names) == 1
    assert names[0] is not None
    assert names[0].startswith('x"/><testcase name="injected"/>]]>')
    assert "\x00" not in document
    assert "\x1b" not in document
