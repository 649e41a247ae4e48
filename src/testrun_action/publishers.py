"""Where a run is reported: step outputs, the job summary and the log.

Each publisher hears `started` once the run exists and `finished` with the final `Report`. They read the
report and write through `gha`; they never call a provider. A publisher that fails is reported as a
warning and never changes the exit code, which reflects the tests alone.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from .clock import Clock, SystemClock
from .gha import Actions
from .model import Report, TestRun
from .settings import Settings
from .summary import headline, render_summary


class Publisher(Protocol):
    name: str

    def started(self, run: TestRun) -> None: ...

    def finished(self, report: Report) -> None: ...


def outputs(report: Report) -> dict[str, str]:
    """The step outputs, every one always present (empty when unknown)."""
    run = report.run
    c = run.counts if run else None
    seconds = run.duration_seconds if run else None
    return {
        "run-id": run.id if run else "",
        "run-url": run.url if run else "",
        "state": run.state if run else "",
        "result": report.outcome.value,
        "total": str(c.total) if c else "",
        "passed": str(c.passed) if c else "",
        "failed": str(c.failed) if c else "",
        "flaky": str(c.flaky) if c else "",
        "skipped": str(c.skipped) if c else "",
        "duration-seconds": f"{seconds:.0f}" if seconds is not None else "",
    }


class OutputsPublisher:
    """The one writer of step outputs: the run's own, plus those other publishers contribute (a record
    id, a check-run URL). It runs last, so every contribution is in."""

    name = "step outputs"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha
        self._contributed: dict[str, str] = {}

    def contribute(self, name: str, value: str) -> None:
        """Add or update an output; a publisher contributes "" first, so the output is always set."""
        self._contributed[name] = value

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> None:
        self._gha.set_outputs({**outputs(report), **self._contributed})


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
                    message = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
                    gha.log(f"  [{kind}] {failure.name}{where}{': ' + message if message else ''}")
        counts = f" ({run.counts.done}/{run.counts.total} tests)" if run and run.counts.total else ""
        gha.log(f"{headline(report)}{counts}.{' Report: ' + run.url if run else ''}")


def default_publishers(
    settings: Settings,
    gha: Actions,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Publisher]:
    """In order: the log, the summary, the records elsewhere, then the outputs, which collect what the
    others contribute."""
    step_outputs = OutputsPublisher(gha)
    publishers: list[Publisher] = [LogPublisher(gha)]
    if settings.job_summary:
        publishers.append(SummaryPublisher(gha))
    if settings.tms is not None:
        from .testsigma_tms import TestsigmaTmsPublisher

        publishers.append(
            TestsigmaTmsPublisher(
                settings.tms,
                gha,
                step_outputs.contribute,
                clock=clock or SystemClock(),
                transport=transport,
                summary=settings.job_summary,
            )
        )
    publishers.append(step_outputs)
    return publishers
