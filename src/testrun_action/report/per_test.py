"""What the reports say about each test beyond why it failed: its time, its retries, its artifacts, and
the slowest tests of the run. Pure: values in, text out.

Which service gives what (each provider's reader says where it reads it):
- time: Buildkite (each failed execution's `duration`) and Testsigma (each failed test case result's
  `duration`); Empirical's per-test summary has none.
- retries: Buildkite (each test's executions in the build: "failed after 3 attempts", "passed on retry
  (1 of 2 attempts failed)") and Empirical (a test's status `flaky`: "passed on retry", no count);
  Testsigma documents none.
- artifacts: Empirical (the run's Playwright HTML report, and each failed test's video where Playwright
  recorded one: both on reports.empirical.run, observed rather than documented, so labelled as such);
  Buildkite's executions link to Test Engine, which holds what the uploader sent; Testsigma documents
  no screenshot or video field in its test case or step results.
"""

from __future__ import annotations

from ..model import Artifact, FailedExecution, Report
from . import markdown as md
from .glance import duration

SLOWEST = 5  # tests listed as the slowest


def test_time(seconds: float | None) -> str:
    """One test's time: `850ms`, `3.8s`, `2m 5s`."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    return f"{seconds:.1f}s" if seconds < 60 else duration(seconds)


def _times(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def retries(failure: FailedExecution) -> str | None:
    """How the test's retries went, in words, where the service says; None when it ran once (or the
    service does not say)."""
    ran, failed = failure.attempts, failure.failed_attempts
    if failure.flaky:
        if ran and failed and failed < ran:
            return f"passed on retry ({failed} of {_times(ran, 'attempt')} failed)"
        return "passed on retry"
    if ran and ran > 1:
        return f"failed after {_times(ran, 'attempt')}"
    if failed and failed > 1:
        return f"failed {_times(failed, 'time')}"
    return None


def counted_retries(failure: FailedExecution) -> bool:
    """Whether the service counted the test's attempts (more than "it was flaky")."""
    return bool(failure.attempts and failure.attempts > 1) or bool(
        failure.failed_attempts and failure.failed_attempts > 1
    )


def artifact_links(artifacts: tuple[Artifact, ...]) -> str:
    """`[Playwright report](…) · [Video (if recorded)](…)`; "" when there are none."""
    return " · ".join(md.link(a.label, a.url, 80) for a in artifacts if md.safe_url(a.url))


def slowest(report: Report) -> str | None:
    """The slowest tests whose times the service gave (every listed test, else the failed ones)."""
    timed: dict[str, tuple[float, str, str | None]] = {}
    for f in report.failures.executions:
        if f.duration_seconds is not None:
            timed[f.test_key] = (f.duration_seconds, f.name, f.url)
    for t in report.failures.tests:
        key = t.key or f"{t.file or t.group or ''}::{t.name}"
        if t.duration_seconds is not None and key not in timed:
            timed[key] = (t.duration_seconds, t.name, None)
    if not timed:
        return None
    top = sorted(timed.values(), key=lambda item: -item[0])[:SLOWEST]
    # "tests" only when the service timed listed tests, not just the failed ones.
    listed = any(t.duration_seconds is not None for t in report.failures.tests)
    which = "tests" if listed else "failed tests"
    rows = [[test_time(seconds), md.link(name, url, 200)] for seconds, name, url in top]
    return f"### Slowest {which}\n\n" + md.table(["Time", "Test"], rows, align="r-")
