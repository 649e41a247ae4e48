"""Where a run is reported, in two stages; data moves forward only.

1. The publishers record the run: the log (the failed tests), the JUnit file, the check run (`github.check_run`) and the
   Testsigma Test Management record. Each hears `started` once the run exists and `finished` with the
   final `Report`, and returns `Receipts`: what it made (the file's path, the check run's page, the
   record's id). None reads another's state, so their order matters to no one.
2. The writers go last, rendering from the report and every receipt: the step outputs, the job summary
   (one page of sections, `report.page`), the pull-request comment (`github.comment`) and the log's
   last line, the verdict (`report.last_line`).

Each runs on its own: one that fails is a warning and costs no other, and a signal while one writes
ends that one alone; the rest still write, within the short budgets of a cancelled step. The exit code
reflects the tests (or the signal), never a report. The configuration-error path, before any provider
exists, goes through the same writers with a `NotRun` (`report_not_run`).
"""

from __future__ import annotations

import dataclasses
import functools
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import httpx

from .clock import Clock, SystemClock
from .comparison import describe
from .context import GitHubContext
from .errors import Interrupted
from .gha import Actions
from .github.check_run import CheckRunPublisher
from .github.comment import CommentWriter
from .model import NotRun, Report, TestRun
from .receipts import CutShort, Receipts, Unfinished
from .report.last_line import last_line
from .report.outputs import outputs
from .report.page import job_summary
from .settings import Settings
from .untrusted import redacted, valid


class Publisher(Protocol):
    name: str

    def started(self, run: TestRun) -> None: ...

    def finished(self, report: Report) -> Receipts: ...


class Writer(Protocol):
    """Writes last, from the report (or why nothing was started) and every publisher's receipts."""

    name: str

    def write(self, ending: Report | NotRun, receipts: Receipts) -> None: ...


class Publishers:
    """The publishers and writers of one step, each run on its own."""

    def __init__(self, gha: Actions, publishers: Sequence[Publisher], writers: Sequence[Writer]) -> None:
        self._gha = gha
        self.publishers = list(publishers)
        self.writers = list(writers)
        self._interrupted: Interrupted | None = None

    def started(self, run: TestRun) -> None:
        """A publisher that fails to start is a warning; a signal goes on to the flow."""
        for publisher in self.publishers:
            try:
                publisher.started(run)
            except Exception as exc:
                self._problem(publisher.name, exc)

    def finished(self, ending: Report | NotRun, interrupted: Interrupted | None = None) -> Interrupted | None:
        """Every publisher, then every writer with all the receipts. Returns the signal that arrived
        before or during it (`interrupted` first), if any: the step's exit code is then the signal's."""
        self._interrupted = interrupted
        receipts = Receipts()
        if isinstance(ending, Report):  # when nothing was started, there is nothing to record
            for publisher in self.publishers:
                receipts |= self._each(publisher.name, functools.partial(self._finish, publisher, ending))
        for writer in self.writers:
            self._each(writer.name, functools.partial(self._write, writer, ending, receipts))
        return self._interrupted

    def _finish(self, publisher: Publisher, report: Report) -> Receipts:
        return publisher.finished(self._cancelled(report))

    def _write(self, writer: Writer, ending: Report | NotRun, receipts: Receipts) -> Receipts:
        writer.write(self._cancelled(ending) if isinstance(ending, Report) else ending, receipts)
        return Receipts()

    def _cancelled(self, report: Report) -> Report:
        """Once a signal arrived, the rest report as a cancelled step: within its short budgets."""
        if self._interrupted is not None and not report.interrupted:
            return dataclasses.replace(report, interrupted=True)
        return report

    def _each(self, name: str, action: Callable[[], Receipts]) -> Receipts:
        """`action`'s receipts; what it made before it failed or was cut short; else none."""
        try:
            made = action()
            return made if isinstance(made, Receipts) else Receipts()  # a receipt is never a crash
        except Unfinished as unfinished:
            self._problem(name, unfinished.cause)
            return unfinished.receipts
        except Exception as exc:
            self._problem(name, exc)
        except CutShort as cut:
            self._cut_short(name, cut)
            return cut.receipts
        except Interrupted as interruption:
            self._cut_short(name, interruption)
        return Receipts()

    def _problem(self, name: str, exc: Exception) -> None:
        self._gha.warning(
            f"Could not write the {name}: {type(exc).__name__}: {exc}", title="Reporting problem"
        )

    def _cut_short(self, name: str, interruption: Interrupted) -> None:
        self._interrupted = self._interrupted or interruption
        self._gha.warning(
            f"Received {signal.Signals(interruption.signum).name} while writing the {name}; it may be incomplete.",
            title="Reporting problem",
        )


# -- the publishers kept here; the check run is in github.check_run, Test Management in testsigma_tms --
class LogPublisher:
    """The verdict and the failed tests in the log, inside a collapsible group."""

    name = "log"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> Receipts:
        gha = self._gha
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
        return Receipts()


class JUnitPublisher:
    name = "JUnit file"

    def __init__(self, path: str, gha: Actions) -> None:
        self._path = Path(path)
        self._gha = gha

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> Receipts:
        from .report.junit import render_junit  # imported when needed: XML is not on the way to the trigger

        text = render_junit(redacted(report, self._gha.redact))
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(valid(self._gha.redact(text)), encoding="utf-8")
        self._gha.log(f"JUnit report written to {self._path}")
        return Receipts(junit_file=str(self._path))


# -- the writers kept here; the comment is in github.comment ----------------------------------------
class OutputsWriter:
    """The one writer of step outputs: the report's, and what the publishers made."""

    name = "step outputs"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha

    def write(self, ending: Report | NotRun, receipts: Receipts) -> None:
        self._gha.set_outputs(outputs(ending, receipts))


class SummaryWriter:
    """The one writer of the job summary: one page, composed of every section."""

    name = "job summary"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha

    def write(self, ending: Report | NotRun, receipts: Receipts) -> None:
        self._gha.write_summary(job_summary(ending, receipts))


class VerdictLineWriter:
    """The log's last line: the verdict and the counts, or why `fail-on` lets the step pass (or not)."""

    name = "verdict line"

    def __init__(self, gha: Actions) -> None:
        self._gha = gha

    def write(self, ending: Report | NotRun, receipts: Receipts) -> None:
        if isinstance(ending, Report):  # when nothing was started, the error was the last word
            self._gha.log(last_line(ending))


def _files(gha: Actions, summary: bool) -> list[Writer]:
    """The writers of the runner's files: the outputs always, the summary unless `job-summary` is off."""
    return [OutputsWriter(gha), *([SummaryWriter(gha)] if summary else [])]


def default_publishers(
    settings: Settings,
    context: GitHubContext,
    gha: Actions,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Publishers:
    """The local records first (the log, the JUnit file), then the records elsewhere (the check run,
    Test Management); the outputs, the job summary and the comment last. Interrupted, the GitHub calls
    are bounded so that all of it fits the runner's 10 s."""
    publishers: list[Publisher] = [LogPublisher(gha)]
    if settings.junit_file:
        publishers.append(JUnitPublisher(settings.junit_file, gha))
    if settings.check_run:
        publishers.append(CheckRunPublisher(settings, context, gha))
    if settings.tms is not None:
        from .testsigma_tms import TestsigmaTmsPublisher

        publishers.append(
            TestsigmaTmsPublisher(settings.tms, gha, clock=clock or SystemClock(), transport=transport)
        )
    writers = _files(gha, settings.job_summary)
    if settings.pr_comment:
        writers.append(CommentWriter(settings, context, gha))
    writers.append(VerdictLineWriter(gha))  # last, so that it ends the log
    return Publishers(gha, publishers, writers)


def report_not_run(gha: Actions, why: NotRun, *, summary: bool) -> None:
    """The outputs and the job summary when nothing could be started: the same writers, each on its own."""
    Publishers(gha, [], _files(gha, summary)).finished(why)
