"""Where a run is reported: the log, a JUnit file, step outputs, the job summary, the check run and the
pull-request comment (the last two in `checks`).

Each publisher hears `started` once the run exists and `finished` with the final `Report`. They read the
report and write through `gha` (or to GitHub); they never call a provider. A publisher that fails is
reported as a warning and never changes the exit code, which reflects the tests alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import httpx

from .clock import Clock, SystemClock
from .comparison import describe
from .context import GitHubContext
from .gha import Actions
from .github.check_run import CheckRunPublisher, CommentPublisher, redacted
from .model import Report, TestRun
from .report.summary import headline, render_summary
from .settings import Settings
from .untrusted import shown_url, state_word, valid


class Publisher(Protocol):
    name: str

    def started(self, run: TestRun) -> None: ...

    def finished(self, report: Report) -> None: ...


class ContributesOutputs(Protocol):
    """A publisher that adds step outputs (written, with all the others, by the `OutputsPublisher`)."""

    def outputs(self) -> Mapping[str, str]: ...


def outputs(report: Report) -> dict[str, str]:
    """The step outputs, every one always present (empty when unknown)."""
    run = report.run
    c = run.counts if run else None
    seconds = run.duration_seconds if run else None
    return {
        "run-id": run.id if run else "",
        # Service data, checked: an http(s) URL with nothing a shell acts on, a state of plain words.
        "run-url": shown_url(run.url) if run else "",
        "state": state_word(run) if run else "",
        "result": report.outcome.value,
        "total": str(c.total) if c else "",
        "passed": str(c.passed) if c else "",
        "failed": str(c.failed) if c else "",
        "flaky": str(c.flaky) if c else "",
        "skipped": str(c.skipped) if c else "",
        "duration-seconds": f"{seconds:.0f}" if seconds is not None else "",
        # Filled in by the publishers that write them (ContributesOutputs), and empty until then.
        "check-run-url": "",
        "junit-file": "",
        "testsigma-tms-run-id": "",
    }


class OutputsPublisher:
    """The one writer of step outputs: the report's, then what other publishers contribute."""

    name = "step outputs"

    def __init__(self, gha: Actions, contributors: Sequence[ContributesOutputs] = ()) -> None:
        self._gha = gha
        self._contributors = contributors

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> None:
        values = outputs(report)
        for contributor in self._contributors:
            try:
                values.update({k: v if isinstance(v, str) else "" for k, v in contributor.outputs().items()})
            except Exception as exc:  # one contributor's defect costs its own output, never the others
                self._gha.warning(
                    f"An output was not available: {type(exc).__name__}.", title="Reporting problem"
                )
        self._gha.set_outputs(values)


class JUnitPublisher:
    name = "JUnit file"

    def __init__(self, path: str, gha: Actions) -> None:
        self._path = Path(path)
        self._gha = gha
        self._written = False

    def outputs(self) -> dict[str, str]:
        return {"junit-file": str(self._path) if self._written else ""}

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> None:
        from .report.junit import render_junit  # imported when needed: XML is not on the way to the trigger

        text = render_junit(redacted(report, self._gha.redact))
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(valid(self._gha.redact(text)), encoding="utf-8")
        self._written = True
        self._gha.log(f"JUnit report written to {self._path}")


class SummaryPublisher:
    name = "job summary"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> None:
        self._gha.write_summary(render_summary(report))


class LogPublisher:
    """The verdict and the failed tests in the log, inside a collapsible group."""

    name = "log"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> None:
        gha, run = self._gha, report.run
        failures = report.failures.executions
        if failures:
            with gha.group(f"{len(failures)} failed or flaky test{'s' if len(failures) != 1 else ''}"):
                for failure in failures:
                    where = (
                        f" ({failure.file}{':' + str(failure.line) if failure.line else ''})"
                        if failure.file
                        else ""
                    )
                    kind = "flaky" if failure.flaky else "failed"
                    if failure.novelty and report.history and not failure.flaky:
                        kind += f", {describe(failure.novelty, report.history.against)}"
                    message = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
                    gha.log(f"  [{kind}] {failure.name}{where}{': ' + message if message else ''}")
        if report.failures.note:
            gha.log(report.failures.note)
        counts = f" ({run.counts.done}/{run.counts.total} tests)" if run and run.counts.total else ""
        gha.log(f"{headline(report)}{counts}.{' Report: ' + run.url if run else ''}")


def default_publishers(
    settings: Settings,
    context: GitHubContext,
    gha: Actions,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Publisher]:
    """In the order they report: local files first; then the records elsewhere (the check run, whose URL
    is an output, and Test Management); the outputs, which collect what the others contribute; the
    comment last. Interrupted, the GitHub calls are bounded so all of it fits the runner's 10 s."""
    publishers: list[Publisher] = [LogPublisher(gha)]
    contributors: list[ContributesOutputs] = []
    if settings.junit_file:
        junit = JUnitPublisher(settings.junit_file, gha)
        publishers.append(junit)
        contributors.append(junit)
    if settings.job_summary:
        publishers.append(SummaryPublisher(gha))
    checks = CheckRunPublisher(settings, context, gha) if settings.check_run else None
    if checks:
        publishers.append(checks)
        contributors.append(checks)
    if settings.tms is not None:
        from .testsigma_tms import TestsigmaTmsPublisher

        tms = TestsigmaTmsPublisher(
            settings.tms, gha, clock=clock or SystemClock(), transport=transport, summary=settings.job_summary
        )
        publishers.append(tms)
        contributors.append(tms)
    publishers.append(OutputsPublisher(gha, contributors))
    if settings.pr_comment:
        publishers.append(CommentPublisher(settings, context, gha, checks))
    return publishers
