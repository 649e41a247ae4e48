"""The run as JUnit XML: a pure function from a `Report` to the text of the file.

Valid against the Jenkins JUnit XSD that pytest validates its own output against (tests/fixtures/
junit-10.xsd), with a test case's `file` and `line` (read by GitLab and pytest's xunit1) as the one
extension. One testsuite with one testcase per test the service listed (passed and skipped too, with
their durations where it gives them), else one per failed or flaky execution; its counts are those of
the test cases written, so every reader agrees with itself, and the run's own counts are properties.

A failure is a `<failure>` with the reason as its message and the details as its text. A flaky test
passed in the end, so its testcase passes and carries Surefire's `<flakyFailure>`, which readers that
don't know it (junitparser, dorny/test-reporter, Buildkite) skip. A test's retries ("failed after 3
attempts") and artifacts (its video) are lines of its `<system-out>`, which every reader shows and the
XSD allows; the run's artifacts (its Playwright report) are properties. An errored or timed-out run adds one
testcase with an `<error>`, so no reader shows it green.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import FailedExecution, Outcome, Report, TestResult
from ..untrusted import MESSAGE_BYTES, NAME_CHARS, clip_bytes, clip_chars
from .per_test import retries

# XML 1.0 allows only these characters (W3C XML 1.0, section 2.2); service text can hold anything.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE_CHARS = 1_000  # the `message` attribute: one line that readers show in a table
# A failure's text: its message and its details, each as much as an annotation holds (untrusted.py).
DETAILS_BYTES = 2 * MESSAGE_BYTES + 2_000
# Passed and skipped tests written at the most: with names clipped to NAME_CHARS, about 25 MB of XML at
# worst, the same order as the 20 MB JUnit report Testsigma's own limit allows (bodies.py); a run listing
# more says how many were left out in a property, and its counts stay those of the cases written.
LISTED_CASES = 20_000


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def _time(seconds: float | None) -> dict[str, str]:
    """The `time` attribute, in seconds with three decimals (the XSD's SUREFIRE_TIME); none when unknown."""
    return {"time": f"{seconds:.3f}"} if seconds is not None and seconds >= 0 else {}


def _case(suite: ET.Element, name: str, classname: str, seconds: float | None) -> ET.Element:
    return ET.SubElement(
        suite,
        "testcase",
        {
            "name": _xml(clip_chars(name, NAME_CHARS)),
            "classname": _xml(clip_chars(classname, NAME_CHARS)),
            **_time(seconds),
        },
    )


def _testcase(suite: ET.Element, failure: FailedExecution, provider: str) -> None:
    case = _case(suite, failure.name, failure.group or failure.file or provider, failure.duration_seconds)
    if failure.file:
        case.set("file", _xml(failure.file))
    if failure.line:
        case.set("line", str(failure.line))
    reason = failure.message.strip() or ("Flaky: failed, then passed on retry" if failure.flaky else "Failed")
    details = "\n\n".join(p for p in (failure.message.strip(), failure.details.strip()) if p)
    if failure.url:
        details = f"{details}\n\nReport: {failure.url}".strip()
    kind = "flakyFailure" if failure.flaky else "failure"
    element = ET.SubElement(case, kind, {"message": _xml(_first_line(reason)), "type": kind})
    element.text = _xml(clip_bytes(details, DETAILS_BYTES))
    said = retries(failure)
    lines = [f"Retries: {said}."] if said else []
    lines += [f"{a.label}: {a.url}" for a in failure.artifacts]
    if lines:
        ET.SubElement(case, "system-out").text = _xml(clip_bytes("\n".join(lines), DETAILS_BYTES))


def _listed(suite: ET.Element, test: TestResult, provider: str) -> None:
    """A test the service listed that has no failed execution: passed, or skipped (snoozed and unknown
    outcomes too, with the reason); failed or flaky when the failed executions were not all read, so
    that no failed test reads as passed."""
    case = _case(suite, test.name, test.group or test.file or provider, test.duration_seconds)
    if test.file:
        case.set("file", _xml(test.file))
    if test.status == "passed":
        return
    if test.status in ("failed", "flaky"):
        kind = "flakyFailure" if test.status == "flaky" else "failure"
        said = "Failed (its details were not read; see the report)"
        ET.SubElement(case, kind, {"message": said, "type": kind})
        return
    reason = "Snoozed failure" if test.status == "snoozed" else f"Outcome: {test.status}"
    ET.SubElement(case, "skipped", {"message": _xml(_first_line(reason))})


def render_junit(report: Report) -> str:
    run = report.run
    seconds = run.duration_seconds if run else None
    errored = report.outcome in (Outcome.ERROR, Outcome.TIMED_OUT)
    name = _xml(f"E2E tests ({report.environment})")
    root = ET.Element("testsuites", {"name": name})
    suite = ET.SubElement(root, "testsuite", {"name": name})
    if run:
        if run.created_at:
            suite.set("timestamp", _xml(run.created_at))
        properties = ET.SubElement(suite, "properties")
        c = run.counts
        counted = [("total", c.total), ("passed", c.passed), ("failed", c.failed), ("flaky", c.flaky)]
        counted += [("skipped", c.skipped), ("snoozed", c.snoozed)]
        for key, value in (("provider", report.provider), ("run-id", run.id), ("run-url", run.url)):
            if value:
                ET.SubElement(properties, "property", {"name": key, "value": _xml(value)})
        for key, count in counted:  # the run's own counts, as the service gave them
            if key not in c.missing:
                ET.SubElement(properties, "property", {"name": f"run-{key}", "value": str(count)})
        for artifact in report.failures.artifacts:
            ET.SubElement(properties, "property", {"name": _xml(artifact.label), "value": _xml(artifact.url)})
    executions = report.failures.executions
    for failure in executions:
        _testcase(suite, failure, report.provider)
    written = {f.test_key for f in executions}
    # A failed or flaky test is written from its execution, which has the details; from its listing
    # only when it has none.
    listed = [
        test
        for test in report.failures.tests
        if (test.key is None and test.status not in ("failed", "flaky"))
        or (test.key is not None and test.key not in written)
    ]
    for test in listed[:LISTED_CASES]:
        _listed(suite, test, report.provider)
    if len(listed) > LISTED_CASES:
        found = suite.find("properties")
        if found is None:  # the XSD wants them first
            found = ET.Element("properties")
            suite.insert(0, found)
        left = str(len(listed) - LISTED_CASES)
        ET.SubElement(found, "property", {"name": "listed-tests-left-out", "value": left})
    if errored:
        case = ET.SubElement(
            suite, "testcase", {"name": f"{report.provider} run", "classname": report.provider}
        )
        said = report.problem or (
            "The run did not end in time." if report.outcome is Outcome.TIMED_OUT else ""
        )
        error = ET.SubElement(
            case, "error", {"message": _xml(_first_line(said or "The run errored")), "type": "error"}
        )
        error.text = _xml(said or (f"Error code: {run.error_code}" if run and run.error_code else ""))
    cases = suite.findall("testcase")
    totals = {
        "tests": str(len(cases)),
        "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
        "errors": str(sum(1 for c in cases if c.find("error") is not None)),
        "time": f"{seconds:.3f}" if seconds is not None and seconds >= 0 else "0.000",
    }
    root.attrib.update(totals)  # the XSD allows no `skipped` on `testsuites`
    suite.attrib.update({**totals, "skipped": str(sum(1 for c in cases if c.find("skipped") is not None))})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
