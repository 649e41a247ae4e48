"""JUnit XML of a report: a pure function, values in, a string out.

One `<testsuite>` with the run's counts, and one `<testcase>` per failed or flaky execution (the neutral
model knows the failures, not every passed test). A run that errored, was cancelled or timed out with no
failed test to show gets one `<testcase>` with an `<error>`, so a consumer never reads it as a pass.
Untrusted text is escaped by ElementTree, and characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from .model import FailedExecution, Outcome, Report

# Characters outside XML 1.0's `Char` production (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TEXT_LIMIT = 65_536  # characters of one failure's text; a report never needs more to be useful


def _clean(text: str, limit: int = TEXT_LIMIT) -> str:
    text = _NOT_XML.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _testcase(parent: ElementTree.Element, failure: FailedExecution, classname: str) -> None:
    case = ElementTree.SubElement(
        parent,
        "testcase",
        name=_clean(failure.name, 1000),
        classname=_clean(failure.group or classname, 1000),
    )
    if failure.file:
        case.set("file", _clean(failure.file, 1000))
        if failure.line:
            case.set("line", str(failure.line))
    body = "\n\n".join(
        part for part in (failure.message.strip(), failure.details.strip(), failure.url or "") if part
    )
    if failure.flaky:
        out = ElementTree.SubElement(case, "system-out")
        out.text = _clean(f"Flaky: failed, then passed on retry.\n\n{body}".strip())
        return
    element = ElementTree.SubElement(
        case, "failure", message=_clean(_first_line(failure.message), 1000), type="failure"
    )
    element.text = _clean(body)


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (UTF-8, with its declaration)."""
    run = report.run
    counts = run.counts if run else None
    failures = report.failures.executions
    suite_name = f"{report.provider} {report.environment}"
    errored = report.outcome in (Outcome.ERROR, Outcome.CANCELLED, Outcome.TIMED_OUT)
    failed = counts.failed if counts else sum(1 for f in failures if not f.flaky)
    errors = 1 if errored and not any(not f.flaky for f in failures) else 0
    attributes = {
        "name": _clean(suite_name, 1000),
        "tests": str(max(counts.total if counts else 0, len(failures) + errors)),
        "failures": str(failed),
        "errors": str(errors),
        "skipped": str(counts.skipped if counts else 0),
        "time": f"{run.duration_seconds:.3f}" if run and run.duration_seconds is not None else "0",
    }
    root = ElementTree.Element("testsuites", {k: v for k, v in attributes.items() if k != "name"})
    root.set("name", "testrun")
    suite = ElementTree.SubElement(root, "testsuite", attributes)
    properties = ElementTree.SubElement(suite, "properties")
    facts = {
        "provider": report.provider,
        "environment": report.environment,
        "outcome": report.outcome.value,
        "run-id": run.id if run else "",
        "run-url": run.url if run else "",
        "state": run.state if run else "",
        "commit": report.source.commit or "",
        "branch": report.source.branch or "",
    }
    for name, value in facts.items():
        if value:
            ElementTree.SubElement(properties, "property", name=name, value=_clean(value, 2000))
    for failure in failures:
        _testcase(suite, failure, suite_name)
    if errors:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            name=_clean(f"{report.provider} run {run.id if run else ''}".strip()),
            classname=suite_name,
        )
        why = report.problem or (f"The run ended with {run.error_code}." if run and run.error_code else "")
        words = {
            Outcome.ERROR: "The run errored",
            Outcome.CANCELLED: "The run was cancelled",
            Outcome.TIMED_OUT: "The run timed out",
        }
        message = words.get(report.outcome, "The run did not complete")
        element = ElementTree.SubElement(case, "error", message=_clean(message), type=report.outcome.value)
        element.text = _clean("\n\n".join(part for part in (why, run.url if run else "") if part))
    if report.failures.note:
        ElementTree.SubElement(suite, "system-out").text = _clean(report.failures.note)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
