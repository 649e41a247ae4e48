"""The log's last line: the verdict and the counts, or why the step passes (or fails) when `fail-on`
decides otherwise than the tests. Pure: a `Report` in, one line out."""

from __future__ import annotations

from ..model import Counts, FailOn, Outcome, Report
from .summary import headline

_ENDED = {
    Outcome.TIMED_OUT: "the run timed out",
    Outcome.CANCELLED: "the run was cancelled",
    Outcome.ERROR: "the run errored",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def counted(counts: Counts) -> str:
    """`3 of 48 failed, 2 flaky`, or `48 tests`: never a fraction that reads as "all failed"."""
    if counts.failed:
        total = f" of {counts.total}" if counts.total >= counts.done else ""
        words = [f"{counts.failed}{total} failed"]
    else:
        words = [_plural(counts.total or counts.done, "test")]
    words += [f"{n} {word}" for n, word in ((counts.flaky, "flaky"), (counts.skipped, "skipped")) if n]
    return ", ".join(words)


def _what(report: Report) -> str:
    """What happened, in a few words, when `fail-on` and the outcome disagree."""
    run = report.run
    counts = run.counts if run else Counts()
    if report.outcome is Outcome.FAILED and counts.failed:
        total = f" of {counts.total}" if counts.total >= counts.done else ""
        words = f"{counts.failed}{total} tests failed" if counts.failed != 1 else f"1{total} test failed"
        return words + (", none new" if report.fail_on is FailOn.NEW_FAILURES and report.passed else "")
    if report.outcome is Outcome.PASSED and counts.flaky:
        return _plural(counts.flaky, "flaky test")
    if report.outcome in _ENDED:
        return _ENDED[report.outcome]
    return report.reason.split(" (`fail-on`")[0].rstrip(".") or report.outcome.value


def last_line(report: Report) -> str:
    run = report.run
    link = f" Report: {run.url}" if run and run.url else ""
    if report.outcome is not Outcome.TRIGGERED and report.passed != (report.outcome is Outcome.PASSED):
        icon, verb = ("✅", "passes") if report.passed else ("❌", "fails")
        return f"{icon} Step {verb}: {_what(report)} (fail-on: {report.fail_on.value}).{link}"
    counts = f" ({counted(run.counts)})" if run and (run.counts.total or run.counts.failed) else ""
    return f"{headline(report)}{counts}.{link}"
