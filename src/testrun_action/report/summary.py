"""The job summary: a pure function from a `Report` to GitHub-flavoured Markdown within a byte budget.

GitHub drops a step summary over 1 MiB entirely (github-platform.md 6.2), so the failure lists are
trimmed to fit, with a visible note saying how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import FailedExecution, NoveltyKind, Outcome, Phase, Report
from . import markdown as md
from .glance import against, bar, duration, history_note, legend, novelty_label, source_url, trend_line

__all__ = ["NOT_STARTED", "SUMMARY_LIMIT", "duration", "headline", "render_summary", "title"]

# The runner's limit is 1024*1024 bytes (github-platform.md 6.2); stay clearly under it.
SUMMARY_LIMIT = 1_000_000
DETAILS_LIMIT = 4_000  # characters of one failure's details shown in the summary

_ICONS = {
    Outcome.PASSED: "✅",
    Outcome.FAILED: "❌",
    Outcome.ERROR: "💥",
    Outcome.CANCELLED: "🚫",
    Outcome.TIMED_OUT: "⏱️",
    Outcome.TRIGGERED: "🚀",
}


_WORDS = {
    Outcome.PASSED: "E2E tests passed",
    Outcome.FAILED: "E2E tests failed",
    Outcome.CANCELLED: "E2E tests cancelled",
    Outcome.TIMED_OUT: "E2E tests timed out",
    Outcome.TRIGGERED: "E2E tests triggered",
}


CONFIGURATION = "⚙️ Configuration error"
NOT_STARTED = f"{CONFIGURATION}: the step did not start a run"


def headline(report: Report) -> str:
    """The verdict in a few words, e.g. `❌ E2E tests failed`."""
    run = report.run
    if report.outcome is Outcome.ERROR and report.configuration:
        return NOT_STARTED if run is None else CONFIGURATION
    if report.outcome is Outcome.ERROR:
        errored = run is not None and (run.phase is Phase.ERRORED or run.error_code is not None)
        words = "E2E test run errored" if errored else "E2E test outcome unknown"
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


def _notes(report: Report) -> list[str]:
    notes = []
    run = report.run
    if report.problem:
        notes.append(f"> **{md.prose(report.problem, 1000)}**")
    if run and run.error_code:
        meaning = run.error_meaning or ""
        notes.append(
            f"The run ended with error {md.code(run.error_code)}"
            + (f": {md.text(meaning)}." if meaning else ".")
        )
    if report.outcome is Outcome.TIMED_OUT:
        notes.append(timeout_note(report))
    if report.outcome is Outcome.TRIGGERED:
        notes.append("`wait` is `false`: the run was triggered and not followed.")
    if report.failures.note:
        notes.append(md.text(report.failures.note, 1000))
    if run and run.counts.failed and not report.failures.executions and report.failures.complete:
        notes.append("The service listed no failed tests for this run; see the report.")
    if report.verdict_note:
        notes.append(f"**{md.text(report.verdict_note, 1000)}**")
    elif report.reason and not report.passed and report.reason != report.problem:
        notes.append(f"**Verdict:** {md.prose(report.reason, 1000)}")
    return notes


def _glance(report: Report) -> list[str]:
    """The bar and its key with the report link, the trend, and why a comparison is missing."""
    run = report.run
    lines = []
    if run and run.counts.done:
        link = md.link(f"Open the report in {report.provider}", run.url) if run.url else ""
        if run.build_url and run.build_url != run.url:
            link += (" · " if link else "") + md.link("Build logs", run.build_url)
        key = legend(run.counts, report.failures.executions)
        lines.append(f"{bar(run.counts)}\\\n{key}" + (f" · {link}" if link else ""))
    elif run and run.url:
        build = (
            f" · {md.link('Build logs', run.build_url)}" if run.build_url and run.build_url != run.url else ""
        )
        lines.append(
            f"**{md.text(title(report))}** · {md.link(f'Open the report in {report.provider}', run.url)}{build}"
        )
    for line in (trend_line(report), history_note(report)):
        if line:
            lines.append(line)
    return lines


def timeout_note(report: Report) -> str:
    """What a timeout means: the limit, what the run did by then, and what the service says now."""
    limit = f" ({duration(report.timeout_seconds)})" if report.timeout_seconds else ""
    run = report.run
    if run is None:
        return f"The run did not end before `timeout-minutes`{limit}."
    now = f"the service now says {md.code(run.state)}"
    if run.phase in (Phase.CANCELLED, Phase.CANCELLING):
        then = "it was cancelled"
    else:
        then = "it ended meanwhile" if run.terminal else "it was left running"
    seen = ""
    if run.counts.done:
        seen = f" By then {run.counts.done} of {run.counts.total or run.counts.done} tests had run"
        seen += f", {run.counts.failed} failed." if run.counts.failed else ", none failed."
    return f"The run did not end before `timeout-minutes`{limit}; {then} ({now}).{seen}"


def _duration(report: Report) -> str:
    """The run's duration; on a timeout without one, how long it was followed."""
    run = report.run
    if run is None:
        return "–"
    if run.duration_seconds is None and report.elapsed_seconds is not None:
        return f"{duration(report.elapsed_seconds)} (so far)"
    return duration(run.duration_seconds)


def _facts(report: Report) -> str:
    run, source = report.run, report.source
    commit = md.link(source.commit[:7], source.commit_url) if source.commit else "–"
    cells = [
        md.link(f"#{run.id}", run.url) if run else "–",
        md.code(report.environment),
        commit,
        md.code(source.branch) if source.branch else "–",
        _duration(report),
        md.text(run.state) if run else "–",
    ]
    return md.table(["Run", "Environment", "Commit", "Branch", "Duration", "State"], [cells])


# -- the failures, grouped by file ------------------------------------------------------------------
_ORDER = {NoveltyKind.NEW: 0, NoveltyKind.FLAKY: 1, NoveltyKind.KNOWN: 2}


def _rank(failure: FailedExecution) -> int:
    return _ORDER[failure.novelty.kind] if failure.novelty else 0


def _groups(failures: list[FailedExecution]) -> list[tuple[str, list[FailedExecution]]]:
    """By file, else by suite or group; new failures first, and groups holding them first."""
    groups: dict[str, list[FailedExecution]] = {}
    for failure in failures:
        groups.setdefault(failure.file or failure.group or "", []).append(failure)
    ordered = sorted(groups.items(), key=lambda item: min(_rank(f) for f in item[1]))  # stable
    return [(name, sorted(members, key=_rank)) for name, members in ordered]


def _place(report: Report, name: str, members: list[FailedExecution]) -> str:
    """The group's cell: the file (linked at the tested commit), else its suite or group."""
    if not name:
        return "–"
    if members[0].file:
        target = source_url(report.source, name)
        return md.link(name, target, 200) if target else md.code(name)
    return md.text(name, 200)


def _message(failure: FailedExecution) -> str:
    message = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
    return md.text(message, 300) if message else "–"


def _columns(
    report: Report, failures: list[FailedExecution], compared: bool
) -> tuple[list[str], Callable[[FailedExecution, str], list[str]]]:
    """One table for the section: status when compared, the file (on the first row of its group), the
    test (linked to the service), the line (linked to the file at the tested commit) and the message's
    first line, each column only when some row has one."""
    with_place = any(f.file or f.group for f in failures)
    with_line = any(f.line for f in failures)
    with_message = any(f.message.strip() for f in failures)
    with_time = any(f.duration_seconds is not None for f in failures)
    where = against(report)
    header = (["Status"] if compared else []) + (["File"] if with_place else []) + ["Test"]
    header += (["Line"] if with_line else []) + (["Time"] if with_time else [])
    header += ["Message"] if with_message else []

    def row(f: FailedExecution, place: str) -> list[str]:
        cells = [novelty_label(f, where)] if compared else []
        cells += [place] if with_place else []
        cells.append(md.link(f.name, f.url, 200))
        if with_line:
            target = source_url(report.source, f.file, f.line) if f.line else None
            cells.append(md.link(f"L{f.line}", target) if target else (f"L{f.line}" if f.line else "–"))
        if with_time:
            cells.append(test_time(f.duration_seconds))
        if with_message:
            cells.append(_message(f))
        return cells

    return header, row


def test_time(seconds: float | None) -> str:
    """One test's time: `850ms`, `3.8s`, `2m 5s`."""
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    return f"{seconds:.1f}s" if seconds < 60 else duration(seconds)


SLOWEST = 5  # tests listed as the slowest


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
    which = "tests" if report.failures.tests else "failed tests"
    rows = [[test_time(seconds), md.link(name, url, 200)] for seconds, name, url in top]
    return f"### Slowest {which}\n\n" + md.table(["Time", "Test"], rows, align="r-")


def _details(failure: FailedExecution) -> str:
    body = "\n\n".join(part for part in (failure.message.strip(), failure.details.strip()) if part)
    return f"<details><summary>{md.text(failure.name, 200)}</summary>\n\n{md.fenced(body, DETAILS_LIMIT)}\n\n</details>"


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, piece: str, reserve: int = 0) -> bool:
        size = len(piece.encode("utf-8")) + 2
        if size + reserve > self.left:
            return False
        self.left -= size
        return True


def _section_heading(report: Report, heading: str, failures: list[FailedExecution], compared: bool) -> str:
    text = f"### {heading} ({len(failures)})"
    if compared:
        kinds = [f.novelty.kind for f in failures if f.novelty]
        new = kinds.count(NoveltyKind.NEW)
        known = kinds.count(NoveltyKind.KNOWN)
        flaky = kinds.count(NoveltyKind.FLAKY)
        parts = [f"{new} new"] if new else []
        parts += [f"{known} also failing {against(report)}"] if known else []
        parts += [f"{flaky} flaky lately"] if flaky else []
        if parts:
            text += ": " + ", ".join(parts)
    return text


def _failure_section(
    report: Report, heading: str, failures: list[FailedExecution], budget: _Budget, reserve: int
) -> list[str]:
    """A heading, one table of every failure grouped by file, then the collapsed details, while the
    budget lasts (keeping `reserve` bytes for what follows)."""
    if not failures:
        return []
    compared = any(f.novelty for f in failures) and not all(f.flaky for f in failures)
    title_line = _section_heading(report, heading, failures, compared)
    header, row = _columns(report, failures, compared)
    table = md.table(header, [])
    if not budget.take(title_line, reserve) or not budget.take(table, reserve):
        return [f"_{len(failures)} {heading.lower()} not listed: the summary reached its size limit._"]
    rows: list[str] = []
    listed: list[FailedExecution] = []
    full = False
    for name, members in _groups(failures):
        place = _place(report, name, members)
        for failure in members:
            line = "| " + " | ".join(cell or " " for cell in row(failure, place)) + " |"
            full = not budget.take(line, reserve)
            if full:
                break
            rows.append(line)
            listed.append(failure)
            place = "″" if place != "–" else place  # the same file as the row above
        if full:
            break
    blocks = [title_line, table + "".join("\n" + r for r in rows)]
    for failure in listed:
        # The table has the message's first line: a block only when there is more to read.
        if failure.details.strip() or len(failure.message.strip().splitlines()) > 1:
            block = _details(failure)
            if budget.take(block, reserve):
                blocks.append(block)
    if len(listed) < len(failures):
        blocks.append(
            f"_…and {len(failures) - len(listed)} more not listed here (size limit); see the full report._"
        )
    return blocks


def render_summary(report: Report, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary as Markdown, at most `limit` bytes encoded as UTF-8."""
    parts = [f"## {headline(report)} on {md.code(report.environment)}"]
    parts.extend(_glance(report))
    parts.append(_facts(report))
    parts.extend(_notes(report))
    footer = f"<sub>fail-on: `{report.fail_on.value}` · step {'passed' if report.passed else 'failed'}</sub>"
    budget = _Budget(limit)
    head = "\n\n".join(parts)
    if not budget.take(head) or not budget.take(footer):
        return md.clip(head, limit // 4)  # pragma: no cover - a head never nears a megabyte
    failed = [f for f in report.failures.executions if not f.flaky]
    flaky = [f for f in report.failures.executions if f.flaky]
    reserve = 300  # room for the flaky section's "not listed" note and the size-limit notes
    sections = _failure_section(report, "Failed tests", failed, budget, reserve)
    sections += _failure_section(report, "Flaky tests", flaky, budget, 100)
    slow = slowest(report)
    if slow and budget.take(slow):
        sections.append(slow)
    return "\n\n".join([head, *sections, footer]) + "\n"
