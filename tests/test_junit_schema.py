"""The JUnit file against the Jenkins JUnit XSD that pytest validates its own output against
(tests/fixtures/junit/), plus a test case's `file` and `line`, the one extension; and read back by
junitparser with counts that agree with the test cases written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import xmlschema
from junitparser import JUnitXml, Skipped

from testrun_action.model import Counts, FailedExecution, Failures, Outcome, Phase, TestResult
from testrun_action.report.junit import LISTED_CASES, render_junit
from testrun_sim.empirical import Scenario

from .conftest import FAST, Job, Simulated
from .test_summary import report

XSD = Path(__file__).parent / "fixtures" / "junit" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    text = XSD.read_text(encoding="utf-8")
    # The testcase's attributes end with `group`; `file` and `line` are added after it, nowhere else.
    marker = '<xs:attribute name="group" type="xs:string"/>\n        </xs:complexType>\n    </xs:element>\n\n    <xs:element name="testsuite">'
    assert text.count(marker) == 1
    extended = text.replace(
        marker,
        '<xs:attribute name="group" type="xs:string"/>\n'
        '            <xs:attribute name="file" type="xs:string"/>\n'
        '            <xs:attribute name="line" type="xs:string"/>\n' + marker.split("\n", 1)[1],
    )
    return xmlschema.XMLSchema(extended)


FAILED = (
    FailedExecution(name="Checkout › pays", file="tests/checkout.spec.ts", line=42, message="boom", key="a",
                    duration_seconds=3.79073),
    FailedExecution(name="Search › types", flaky=True, file="tests/search.spec.ts", key="b"),
)  # fmt: skip
LISTED = (
    TestResult("Checkout › pays", "failed", key="a"),
    TestResult("Search › types", "flaky", key="b"),
    TestResult("Login › signs in", "passed", file="tests/login.spec.ts", key="c", duration_seconds=1.5),
    TestResult("Login › signs out", "skipped", key="d"),
    TestResult("Cart › adds", "snoozed", key="e"),
)


def reports() -> dict[str, object]:
    base = report(FAILED)
    return {
        "failures only": base,
        "every test listed": dataclasses.replace(base, failures=Failures(FAILED, tests=LISTED)),
        "timed out": report(outcome=Outcome.TIMED_OUT),
        "errored": dataclasses.replace(
            report(outcome=Outcome.ERROR, problem="Service: <broken> & \x00"),
            run=dataclasses.replace(report().run, phase=Phase.ERRORED, error_code="worker_interrupted"),  # type: ignore[arg-type]
        ),
        "passed, nothing listed": report(outcome=Outcome.PASSED, passed=True),
        "no run": report(run=None, outcome=Outcome.ERROR, problem="no run"),
    }


@pytest.mark.parametrize("name", list(reports()))
def test_every_junit_file_is_valid_against_the_jenkins_xsd(
    schema: xmlschema.XMLSchema, name: str, tmp_path: Path
) -> None:
    text = render_junit(reports()[name])  # type: ignore[arg-type]

    schema.validate(text)
    path = tmp_path / "e2e.xml"
    path.write_text(text, encoding="utf-8")
    [suite] = list(JUnitXml.fromfile(str(path)))
    cases = list(suite)
    assert suite.tests == len(cases)  # the counts are those of the test cases written
    assert suite.failures == sum(1 for c in cases if c.is_failure)
    assert suite.skipped == sum(1 for c in cases if c.is_skipped)
    assert 'testsuites name="E2E tests (staging)" tests=' in text
    assert "skipped" not in text.split("<testsuite ")[0]  # the XSD allows no `skipped` on `testsuites`


def test_the_file_and_line_extension_is_the_only_one(schema: xmlschema.XMLSchema) -> None:
    text = render_junit(reports()["failures only"])  # type: ignore[arg-type]

    schema.validate(text)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(text.replace('line="42"', 'line="42" retries="1"'))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(text.replace("<testsuites ", '<testsuites skipped="1" '))


def test_every_listed_test_is_written_with_its_outcome_and_duration(tmp_path: Path) -> None:
    path = tmp_path / "e2e.xml"
    path.write_text(render_junit(reports()["every test listed"]), encoding="utf-8")  # type: ignore[arg-type]

    [suite] = list(JUnitXml.fromfile(str(path)))
    cases = {c.name: c for c in suite}
    assert list(cases) == [
        "Checkout › pays",
        "Search › types",
        "Login › signs in",
        "Login › signs out",
        "Cart › adds",
    ]
    assert (suite.tests, suite.failures, suite.skipped) == (5, 1, 2)
    assert cases["Checkout › pays"].time == pytest.approx(3.791)
    assert cases["Login › signs in"].is_passed
    assert cases["Login › signs in"].time == 1.5
    assert isinstance(cases["Cart › adds"].result[0], Skipped)
    assert cases["Cart › adds"].result[0].message == "Snoozed failure"
    properties = {p.name: p.value for p in suite.properties()}
    assert (properties["run-total"], properties["run-failed"]) == ("125", "3")  # the run's own counts


def test_a_run_listing_every_test_writes_them_all_valid(
    schema: xmlschema.XMLSchema, job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 20}, failed=3, flaky=2, skipped=1)
    path = job.tmp / "e2e.xml"

    job.run(junit_file=str(path))

    text = path.read_text(encoding="utf-8")
    schema.validate(text)
    [suite] = list(JUnitXml.fromfile(str(path)))
    assert (suite.tests, suite.failures, suite.skipped, len(list(suite))) == (20, 3, 1, 20)
    assert sum(1 for c in suite if c.is_passed) == 16  # 14 passed and the 2 flaky, which passed on retry


def test_a_service_counting_only_failures_writes_counts_equal_to_its_cases() -> None:
    only = report(FAILED[:1])
    run = dataclasses.replace(only.run, counts=Counts(failed=1, missing=frozenset({"total", "passed"})))  # type: ignore[arg-type]

    text = render_junit(dataclasses.replace(only, run=run))

    assert 'tests="1" failures="1" errors="0"' in text
    assert 'name="run-total"' not in text  # a count the service did not give is not written


def test_a_run_listing_more_tests_than_the_file_holds_says_how_many_were_left_out(
    schema: xmlschema.XMLSchema,
) -> None:
    many = tuple(TestResult(name=f"Suite › test {i}", status="passed") for i in range(LISTED_CASES + 7))
    base = reports()["every test listed"]
    listing = dataclasses.replace(base, failures=dataclasses.replace(base.failures, tests=many))

    text = render_junit(listing)

    schema.validate(text)
    [suite] = list(JUnitXml.fromstring(text))
    cases = list(suite)
    assert len(cases) == suite.tests <= LISTED_CASES + len(base.failures.executions)
    properties = {p.name: p.value for p in suite.properties()}
    assert properties["listed-tests-left-out"] == "7"
