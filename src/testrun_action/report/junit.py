"""The run as JUnit XML: a pure function from a `Report` to the text of the file.

One testsuite with the run's counts (tests, failures, skipped, time) and one testcase per failed or flaky
execution. A failure is a `<failure>` with the reason as its message and the details as its text. A
flaky test passed in the end, so its testcase passes and carries Surefire's `<flakyFailure>`, which
readers that don't know it (junitparser, dorny/test-reporter, Buildkite) skip. An errored or timed-out
run adds one testcase with an `<error>`, so no reader shows it green.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import FailedExecution, Outcome, Report
from ..untrusted import MESSAGE_BYTES, NAME_CHARS, clip_bytes, clip_chars

# XML 1.0 allows only these characters (W3C XML 1.0, section 2.2); service text can hold anything.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE_CHARS = 1_000  # the `message` attribute: one line that readers show in a table
# A failure's text: its message and its details, each as much as an annotation holds (untrusted.py).
DETAILS_BYTES = 2 * MESSAGE_BYTES + 2_000


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def _testcase(suite: ET.Element, failure: FailedExecution, provider: str) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "name": _xml(clip_chars(failure.name, NAME_CHARS)),
            "classname": _xml(clip_chars(failure.group or failure.file or provider, NAME_CHARS)),
            "time": "0",
        },
    )
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


def render_junit(report: Report) -> str:
    run = report.run
    counts = run.counts if run else None
    seconds = run.duration_seconds if run and run.duration_seconds is not None else 0.0
    errored = report.outcome in (Outcome.ERROR, Outcome.TIMED_OUT)
    executions = report.failures.executions
    tests = counts.total if counts and counts.total else len(executions)
    failures = counts.failed if counts else sum(1 for f in executions if not f.flaky)
    totals = {
        "tests": str(tests + (1 if errored else 0)),
        "failures": str(failures),
        "errors": "1" if errored else "0",
        "skipped": str(counts.skipped if counts else 0),
        "time": f"{seconds:.3f}",
    }
    name = _xml(f"E2E tests ({report.environment})")
    root = ET.Element("testsuites", {"name": name, **totals})
    suite = ET.SubElement(root, "testsuite", {"name": name, **totals})
    if run:
        if run.created_at:
            suite.set("timestamp", _xml(run.created_at))
        properties = ET.SubElement(suite, "properties")
        for key, value in (("provider", report.provider), ("run-id", run.id), ("run-url", run.url)):
            if value:
                ET.SubElement(properties, "property", {"name": key, "value": _xml(value)})
    for failure in executions:
        _testcase(suite, failure, report.provider)
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
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
