"""The job summary: a pure function from a `Report` to GitHub-flavoured Markdown within a byte budget.

GitHub drops a step summary over 1 MiB entirely (github-platform.md 6.2), so the failure lists are
trimmed to fit, with a visible note saying how many were left out.
"""

from __future__ import annotations

from . import markdown as md
from .model import FailedExecution, Outcome, Report

# The runner's limit is 1024*1024 bytes (github-platform.md 6.2); stay clearly under it.
SUMMARY_LIMIT = 1_000_000
DETAILS_LIMIT = 4_000  # characters of one failure's details shown in the summary

# Error codes of a failed Empirical run (seed 002), and Testsigma's.
ERROR_CODES = {
    "merge_conflict": "Merge conflict detected when merging the test branch",
    "dispatch_failed": "Failed to dispatch the test run to workers",
    "report_not_generated": "Test report was not generated",
    "run_failed_with_error": "Test run failed with an error during execution",
    "worker_interrupted": "Test run worker was interrupted",
    "merge_reports_failed": "Failed to merge sharded reports",
    # Results of a completed Testsigma run that is neither a pass nor a failure (providers.md 2.1).
    "ABORTED": "Testsigma aborted the run before its tests could complete",
    "NOT_EXECUTED": "Testsigma did not execute the test plan's tests",
    "FAILURE": "Testsigma reported the run as failed without counting a failed test; see the report",
    # Buildkite (providers/buildkite.py): why a build's outcome is unknown or not a pass.
    "stale": "Test Engine received no results for the run in time (stale)",
    "no_results": "The Test Engine run finished without any test results",
    "no_test_run": "No Test Engine run appeared for the build in this suite; do its jobs upload test results?",
    "failures_unlisted": "Test Engine reported failed tests, but they could not be listed",
    "build_failed": "The build failed although no test failed",
    "blocked": "The build stopped at a block step",
    "skipped": "The build was skipped",
    "not_run": "The build was not run",
    "waiting_failed": "A build the pipeline waited on failed",
}

_ICONS = {
    Outcome.PASSED: "✅",
    Outcome.FAILED: "❌",
    Outcome.ERROR: "💥",
    Outcome.CANCELLED: "🚫",
    Outcome.TIMED_OUT: "⏱️",
    Outcome.TRIGGERED: "🚀",
}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


_WORDS = {
    Outcome.PASSED: "E2E tests passed",
    Outcome.FAILED: "E2E tests failed",
    Outcome.CANCELLED: "E2E tests cancelled",
    Outcome.TIMED_OUT: "E2E tests timed out",
    Outcome.TRIGGERED: "E2E tests triggered",
}


def headline(report: Report) -> str:
    """The verdict in a few words, e.g. `❌ E2E tests failed`."""
    run = report.run
    if report.outcome is Outcome.ERROR:
        words = "E2E test run errored" if run and run.terminal else "E2E test outcome unknown"
    else:
        words = _WORDS[report.outcome]
    return f"{_ICONS[report.outcome]} {words}"


def title(report: Report) -> str:
    """A one-line count summary, e.g. `3 failed, 120 passed, 2 flaky`."""
    run = report.run
    if run is None or not run.counts.total:
        return headline(report)
    c = run.counts
    parts = [
        (c.failed, "failed"),
        (c.passed, "passed"),
        (c.flaky, "flaky"),
        (c.skipped, "skipped"),
        (c.snoozed, "snoozed"),
    ]
    return ", ".join(f"{n} {word}" for n, word in parts if n) or f"{c.total} tests"


def _facts(report: Report) -> str:
    run, source = report.run, report.source
    commit = md.link(source.commit[:7], source.commit_url) if source.commit else "–"
    cells = [
        md.link(f"#{run.id}", run.url) if run else "–",
        md.code(report.environment),
        commit,
        md.code(source.branch) if source.branch else "–",
        duration(run.duration_seconds) if run else "–",
        md.text(run.state) if run else "–",
    ]
    return md.table(["Run", "Environment", "Commit", "Branch", "Duration", "State"], [cells])


def _counts(report: Report) -> str:
    c = report.run.counts if report.run else None
    if c is None or not c.total:
        return ""
    header = ["Total", "✅ Passed", "❌ Failed", "⚠️ Flaky", "⏭️ Skipped"]
    cells = [c.total, c.passed, c.failed, c.flaky, c.skipped]
    if c.snoozed:
        header.append("💤 Snoozed")
        cells.append(c.snoozed)
    return md.table(header, [[str(n) for n in cells]], align="r" * len(cells))


def _notes(report: Report) -> list[str]:
    notes = []
    run = report.run
    if report.problem:
        notes.append(f"> **{md.text(report.problem, 1000)}**")
    if run and run.error_code:
        meaning = ERROR_CODES.get(run.error_code, "")
        notes.append(
            f"The run ended with error {md.code(run.error_code)}"
            + (f": {md.text(meaning)}." if meaning else ".")
        )
    if report.outcome is Outcome.TIMED_OUT:
        notes.append("The run did not end before `timeout-minutes`; it was cancelled.")
    if report.outcome is Outcome.TRIGGERED:
        notes.append("`wait` is `false`: the run was triggered and not followed.")
    if report.failures.note:
        notes.append(md.text(report.failures.note, 1000))
    if run and run.counts.failed and not report.failures.executions and report.failures.complete:
        notes.append("The service listed no failed tests for this run; see the report.")
    return notes


def _location(failure: FailedExecution) -> str:
    if not failure.file:
        return md.text(failure.group) if failure.group else "–"
    return md.code(f"{failure.file}:{failure.line}" if failure.line else failure.file)


def _row(failure: FailedExecution, with_message: bool) -> list[str]:
    cells = [md.link(failure.name, failure.url, 200), _location(failure)]
    if with_message:
        message = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
        cells.append(md.text(message, 300) if message else "–")
    return cells


def _details(failure: FailedExecution) -> str:
    body = "\n\n".join(part for part in (failure.message.strip(), failure.details.strip()) if part)
    return f"<details><summary>{md.text(failure.name, 200)}</summary>\n\n{md.fenced(body, DETAILS_LIMIT)}\n\n</details>"


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, piece: str) -> bool:
        size = len(piece.encode("utf-8")) + 1
        if size > self.left:
            return False
        self.left -= size
        return True


def _failure_section(
    heading: str, failures: list[FailedExecution], budget: _Budget, reserve: int
) -> list[str]:
    """A heading, a table and details, row by row while the budget lasts (keeping `reserve` bytes)."""
    if not failures:
        return []
    with_message = any(f.message.strip() for f in failures)
    columns = ["Test", "Location", "Message"] if with_message else ["Test", "Location"]
    header = f"### {heading} ({len(failures)})\n\n" + md.table(columns, [])
    if not budget.take(header) or budget.left < reserve:
        return [f"_{len(failures)} {heading.lower()} not listed: the summary reached its size limit._"]
    rows, shown = [], 0
    for failure in failures:
        row = "| " + " | ".join(_row(failure, with_message)) + " |"
        if budget.left - reserve < len(row.encode("utf-8")) or not budget.take(row):
            break
        rows.append(row)
        shown += 1
    lines = [header + ("\n" + "\n".join(rows) if rows else "")]
    if shown < len(failures):
        lines.append(
            f"_…and {len(failures) - shown} more not listed here (size limit); see the full report._"
        )
    kept = []
    for block in (_details(f) for f in failures[:shown] if f.message.strip() or f.details.strip()):
        if budget.left - reserve < len(block.encode("utf-8")) or not budget.take(block):
            break
        kept.append(block)
    lines.extend(kept)
    return lines


def render_summary(report: Report, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary as Markdown, at most `limit` bytes encoded as UTF-8."""
    run = report.run
    parts = [f"## {headline(report)} on {md.code(report.environment)}"]
    if run and run.url:
        parts.append(
            f"**{md.text(title(report))}** · {md.link(f'Open the report in {report.provider}', run.url)}"
        )
    parts.append(_facts(report))
    counts = _counts(report)
    if counts:
        parts.append(counts)
    parts.extend(_notes(report))
    footer = f"<sub>fail-on: `{report.fail_on.value}` · step {'passed' if report.passed else 'failed'}</sub>"
    budget = _Budget(limit)
    head = "\n\n".join(parts)
    if not budget.take(head) or not budget.take(footer):
        return md.clip(head, limit // 4)  # pragma: no cover - a head never nears a megabyte
    failed = [f for f in report.failures.executions if not f.flaky]
    flaky = [f for f in report.failures.executions if f.flaky]
    reserve = 200  # room for the flaky section's "not listed" note and the footer's newline
    sections = _failure_section("Failed tests", failed, budget, reserve)
    sections += _failure_section("Flaky tests", flaky, budget, 0)
    return "\n\n".join([head, *sections, footer]) + "\n"
