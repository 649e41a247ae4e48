"""What people look for about each test, through the whole flow against the simulators: Testsigma's test
times, Buildkite's retries, Empirical's Playwright report and videos; in the job summary and the JUnit
file. A hostile value in any of these fields is dropped: the report stands and the run still fails."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from junitparser import JUnitXml

from testrun_action.model import Artifact, FailedExecution, Failures, TestResult
from testrun_action.providers.readers import MAX_TEST_SECONDS, duration_seconds
from testrun_action.report.junit import render_junit
from testrun_action.report.per_test import retries
from testrun_action.report.summary import render_summary
from testrun_action.untrusted import sanitised
from testrun_sim import buildkite as bk
from testrun_sim.empirical import Scenario
from testrun_sim.server import Fault
from testrun_sim.testsigma import Plan, case_duration_ms

from .conftest import FAST, FAST_BUILD, PLAN_ID, Job, JobResult, Simulated
from .test_junit_schema import schema  # noqa: F401 - the fixture
from .test_summary import render_html, report

HOSTILE_NUMBERS = {
    "a string": "23038",
    "huge": 10**30,
    "negative": -5,
    "NaN": math.nan,
    "a lone surrogate": "\ud800",
    "an object": {"ms": 1},
}


def run_with_junit(job: Job) -> tuple[JobResult, Path]:
    """The step, writing its JUnit file: the result, and where the file is."""
    path = job.tmp / "e2e.xml"
    return job.run(junit_file=str(path)), path


def junit_cases(path: Path) -> dict[str, Any]:
    [suite] = list(JUnitXml.fromfile(str(path)))
    return {case.name: case for case in suite}


# -- Testsigma: each failed test's time ------------------------------------------------------------
def test_testsigma_shows_each_failed_tests_time_in_the_table_the_slowest_and_the_junit_file(
    testsigma_job: Job,
    testsigma: Simulated,
    schema: xmlschema.XMLSchema,  # noqa: F811
) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=0.1, queued=0.1, pre_flight=0.1, duration=0.3, failed=2)
    result, path = run_with_junit(testsigma_job)

    assert result.code == 1
    failed = [c for c in testsigma.app.runs[337].cases if c.result == "FAILURE"]
    seconds = sorted((case_duration_ms(c) / 1000 for c in failed), reverse=True)
    assert "| File | Test | Time | Message |" in result.summary
    slow = result.summary.split("### Slowest failed tests\n\n")[1].split("\n\n")[0]
    assert [line.split(" | ")[0].strip("| ") for line in slow.splitlines()[2:]] == [
        f"{s:.1f}s" for s in seconds
    ]
    text = path.read_text(encoding="utf-8")
    schema.validate(text)
    cases = junit_cases(path)
    assert len(cases) == 12  # every test case the results list, passed ones too
    assert sorted((cases[c.name].time for c in failed), reverse=True) == pytest.approx(seconds)
    assert sum(1 for c in cases.values() if c.is_passed) == 10
    assert len(testsigma.app.recorded("GET", r"/api/v2/test_runs/337/test_case_results/\d+$")) == 2


@pytest.mark.parametrize("value", list(HOSTILE_NUMBERS.values()), ids=list(HOSTILE_NUMBERS))
def test_a_testsigma_test_time_that_is_not_a_believable_duration_is_dropped(
    testsigma_job: Job, testsigma: Simulated, value: Any
) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=0.1, queued=0.1, pre_flight=0.1, duration=0.3, failed=2)
    testsigma.app.script(
        Fault("GET", r"/test_case_results/\d+$", "status", times=100, status=200, body={"duration": value})
    )
    result, path = run_with_junit(testsigma_job)

    assert (result.code, result.result) == (1, "failed")
    assert "### Failed tests (2)" in result.summary
    assert "| Time |" not in result.summary
    assert "Slowest" not in result.summary
    assert all(case.time is None for case in junit_cases(path).values())  # no `time` written


# -- Buildkite: retries ----------------------------------------------------------------------------
def test_buildkite_says_which_tests_failed_after_retries_and_which_passed_on_retry(
    bk_job: Job,
    buildkite: Simulated,
    schema: xmlschema.XMLSchema,  # noqa: F811
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(
        **{**FAST_BUILD, "failed": 1, "flaky": 1, "retries": 2}
    )
    result, path = run_with_junit(bk_job)

    assert result.code == 1
    failed_section, flaky_section = result.summary.split("### Flaky tests (1): passed on retry")
    assert "| Time | Retries | Message |" in failed_section
    assert "| failed after 3 attempts |" in failed_section
    assert "| passed on retry \\(1 of 2 attempts failed\\) |" in flaky_section
    text = path.read_text(encoding="utf-8")
    schema.validate(text)
    outs = [case.system_out for case in junit_cases(path).values() if case.system_out]
    assert sorted(outs) == [
        "Retries: failed after 3 attempts.",
        "Retries: passed on retry (1 of 2 attempts failed).",
    ]


def _hostile_build_tests(by_result: Any) -> list[dict[str, Any]]:
    """The build's tests as a hostile service lists them: the one failed test, with odd counts."""
    [case] = [c for c in bk.make_cases(bk.Scenario(**{**FAST_BUILD, "failed": 1})) if c.outcome == "failed"]
    web = f"{bk.WEB}/organizations/{bk.ORGANIZATION}/analytics/suites/e2e/tests/{case.id}"
    return [{"id": case.id, "name": case.name, "location": case.location, "web_url": web,
             "executions_count_by_result": by_result}]  # fmt: skip


@pytest.mark.parametrize(
    "by_result",
    [{"failed": 10**12}, {"failed": -1}, {"failed": math.nan}, {"failed": "\ud800"}, {"failed": [3]}],
    ids=["huge", "negative", "NaN", "a lone surrogate", "a list"],
)
def test_buildkite_attempts_that_are_not_believable_counts_are_dropped_and_the_run_still_fails(
    bk_job: Job, buildkite: Simulated, by_result: Any
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**{**FAST_BUILD, "failed": 1})
    buildkite.app.script(
        Fault(
            "GET",
            r"/builds/[0-9a-f-]{36}/tests$",
            "status",
            times=100,
            status=200,
            body=_hostile_build_tests(by_result),
        )
    )

    result = bk_job.run()

    assert (result.code, result.result) == (1, "failed")
    assert "### Failed tests (1)" in result.summary
    assert "attempts" not in result.summary
    assert "Retries" not in result.summary


# -- Empirical: the Playwright report and each test's video ----------------------------------------
def test_empirical_links_the_playwright_report_and_each_failed_tests_video(
    job: Job,
    empirical: Simulated,
    schema: xmlschema.XMLSchema,  # noqa: F811
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=2, flaky=1)
    result, path = run_with_junit(job)

    assert result.code == 1
    [run] = empirical.app.runs.values()
    report = f"https://reports.empirical.run/acme-shop/{17147585452 + run.id}"
    assert f"· [Playwright report]({report}/index.html)" in result.summary
    videos = [line for line in result.summary.splitlines() if "/video.webm" in line]
    assert len(videos) == 3  # two failed, one flaky
    assert all(f"[Video \\(if recorded\\)]({report}/data/" in line for line in videos)
    assert f"{report}/data/{_slug_of_first_failure(empirical)}-chromium/video.webm" in result.summary
    text = path.read_text(encoding="utf-8")
    schema.validate(text)
    [suite] = list(JUnitXml.fromfile(str(path)))
    assert {p.name: p.value for p in suite.properties()}["Playwright report"] == f"{report}/index.html"
    outs = [case.system_out for case in suite if case.system_out]
    assert len(outs) == 3
    assert all(out.splitlines()[-1].startswith(f"Video (if recorded): {report}/data/") for out in outs)
    assert sorted(out.splitlines()[0] for out in outs if "\n" in out) == ["Retries: passed on retry."]


def _slug_of_first_failure(empirical: Simulated) -> str:
    """The simulator's slug of a test: the first 8 characters of its Playwright id."""
    [run] = empirical.app.runs.values()
    return next(c.id[:8] for c in run.cases if c.status == "failed")


# The failed test of `Scenario(failed=1)`: the simulator knows its Playwright project (`chromium`).
[FAILING] = [c for c in Scenario(**FAST, failed=1).cases() if c.status == "failed"]


def _details(token: Any, slug: Any) -> dict[str, Any]:
    """A run's per-test summary as a hostile service sends it: one failed test, which the simulator's
    test cases know, so that only the hostile field can stand between it and a video link."""
    return {"data": {"test_run": {
        "testRun": {"id": 1, "run_id": token, "state": "ended"},
        "flattenedSummaryDetails": [{"name": "signs in", "pw_test_id": FAILING.id, "status": "failed",
                                     "slug": slug, "snooze_info": []}]}}}  # fmt: skip


@pytest.mark.parametrize(
    "token",
    [1.5, 10**30, -5, "1714758545\ud800", {"id": 1}, True],
    ids=["a fraction", "huge", "negative", "a lone surrogate", "an object", "a boolean"],
)
def test_an_empirical_run_token_that_is_not_a_run_number_builds_no_report_link(
    job: Job, empirical: Simulated, token: Any
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)
    empirical.app.script(
        Fault(
            "GET", r"/api/test-runs/\d+$", "status", times=100, status=200, body=_details(token, "signs-in")
        )
    )

    result = job.run()

    assert (result.code, result.result) == (1, "failed")
    assert "### Failed tests (1)" in result.summary
    assert "reports.empirical.run" not in result.summary
    assert "Artifacts" not in result.summary


@pytest.mark.parametrize(
    "slug",
    ["\ud800", "../../evil", "a/b", "x" * 10_000, ["signs-in"], 7],
    ids=["a lone surrogate", "a parent path", "a path", "huge", "a list", "a number"],
)
def test_an_empirical_test_slug_that_is_not_a_plain_segment_builds_no_video_link(
    job: Job, empirical: Simulated, slug: Any
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)
    empirical.app.script(
        Fault(
            "GET", r"/api/test-runs/\d+$", "status", times=100, status=200, body=_details("17147585452", slug)
        )
    )

    result = job.run()

    assert (result.code, result.result) == (1, "failed")
    assert (
        "[Playwright report](https://reports.empirical.run/acme-shop/17147585452/index.html)"
        in result.summary
    )
    assert "video" not in result.summary.lower()


# -- the words, and the reader of a test's time ----------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, None),
        ({"attempts": 3, "failed_attempts": 3}, "failed after 3 attempts"),
        ({"failed_attempts": 2}, "failed 2 times"),
        ({"attempts": 1, "failed_attempts": 1}, None),
        ({"flaky": True}, "passed on retry"),
        ({"flaky": True, "attempts": 3, "failed_attempts": 2}, "passed on retry (2 of 3 attempts failed)"),
        ({"flaky": True, "attempts": 2, "failed_attempts": 2}, "passed on retry"),  # counts that disagree
    ],
)
def test_the_retries_of_a_test_are_said_in_words(changes: dict[str, Any], words: str | None) -> None:
    assert retries(FailedExecution(name="t", **changes)) == words


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [
        (23038, 1000, 23.038),
        (3.79073, 1, 3.79073),
        (0, 1, 0.0),
        (MAX_TEST_SECONDS, 1, MAX_TEST_SECONDS),
        (MAX_TEST_SECONDS + 1, 1, None),
        (10**400, 1000, None),  # too large for a float
        (math.inf, 1, None),
        (math.nan, 1, None),
        (-0.5, 1, None),
        (True, 1, None),
        ("23038", 1000, None),
        (None, 1, None),
    ],
)
def test_a_tests_time_is_read_only_when_it_is_a_believable_duration(
    value: Any, unit: float, seconds: float | None
) -> None:
    assert duration_seconds(value, unit) == (pytest.approx(seconds) if seconds is not None else None)


def test_an_empirical_test_slug_as_observed_builds_the_video_link(job: Job, empirical: Simulated) -> None:
    """The control of the test above: the same answer with a plain slug links the video."""
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)
    empirical.app.script(
        Fault(
            "GET",
            r"/api/test-runs/\d+$",
            "status",
            times=100,
            status=200,
            body=_details("17147585452", "signs-in"),
        )
    )

    result = job.run()

    video = "https://reports.empirical.run/acme-shop/17147585452/data/signs-in-chromium/video.webm"
    assert f"[Video \\(if recorded\\)]({video})" in result.summary


def test_a_passed_empirical_run_written_to_junit_links_its_playwright_report(
    job: Job, empirical: Simulated
) -> None:
    result, path = run_with_junit(job)

    assert result.code == 0
    [run] = empirical.app.runs.values()
    report = f"https://reports.empirical.run/acme-shop/{17147585452 + run.id}/index.html"
    assert f"[Playwright report]({report})" in result.summary
    assert f'<property name="Playwright report" value="{report}" />' in path.read_text(encoding="utf-8")


def test_artifacts_are_links_that_cannot_inject_markdown_or_a_script_nor_show_credentials() -> None:
    evil = FailedExecution(
        name="t",
        artifacts=(
            Artifact("](javascript:alert(1)) | <script>", "https://reports.example/v.webm?a=|b"),
            Artifact("Video", "javascript:alert(1)"),
            Artifact("Trace", "https://user:hunter2@reports.example/t.zip"),
        ),
    )
    failures = Failures((evil,), artifacts=(Artifact("Report <b>", "data:text/html,<script>"),))

    safe = sanitised(dataclasses.replace(report(), failures=failures), str)
    html = render_html(render_summary(safe))
    junit = render_junit(safe)

    assert 'href="javascript:' not in html
    assert "<script>" not in html
    assert "data:text/html" not in html  # not an http(s) URL: dropped
    assert "hunter2" not in html  # the credentials in a URL never shown
    [table] = [t for t in html.split("<table>")[1:] if "Artifacts" in t]
    header, row = table.split("</tr>")[:2]
    assert row.count("<td>") == header.count("<th>") == 2  # a `|` in a label breaks no cell
    assert 'href="https://reports.example/t.zip"' in html
    assert "Trace: https://reports.example/t.zip" in junit  # the file has each artifact, made as safe
    assert not any(word in junit for word in ("hunter2", "Video: javascript", "data:text"))


def test_buildkite_writes_every_test_of_the_suite_to_the_junit_file(
    bk_job: Job,
    buildkite: Simulated,
    schema: xmlschema.XMLSchema,  # noqa: F811
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(
        **{**FAST_BUILD, "failed": 2, "flaky": 1, "skipped": 1}
    )
    result, path = run_with_junit(bk_job)

    assert result.code == 1
    schema.validate(path.read_text(encoding="utf-8"))
    [suite] = list(JUnitXml.fromfile(str(path)))
    cases = list(suite)
    assert (suite.tests, suite.failures, suite.skipped) == (12, 2, 1)  # not the other suite's test
    assert sum(1 for c in cases if c.is_passed) == 9  # 8 passed and the flaky one, passed on retry
    assert all(c.classname != "unit" for c in cases)


def test_a_listed_failed_test_whose_details_were_not_read_is_a_failure_in_the_junit_file(
    schema: xmlschema.XMLSchema,  # noqa: F811
) -> None:
    listed = (
        TestResult("read", "failed", key="a"),
        TestResult("not read", "failed", key="b"),
        TestResult("flaky, not read", "flaky", key="c"),
        TestResult("passed", "passed", key="d"),
    )
    failures = Failures((FailedExecution("read", key="a"),), complete=False, tests=listed)

    text = render_junit(dataclasses.replace(report(), failures=failures))

    schema.validate(text)
    [suite] = list(JUnitXml.fromstring(text))
    cases = {c.name: c for c in suite}
    assert (suite.tests, suite.failures) == (4, 2)
    assert not cases["not read"].is_passed
    assert cases["not read"].result[0].message == "Failed (its details were not read; see the report)"
    assert "flakyFailure" in text.split('name="flaky, not read"')[1].split("</testcase>")[0]
