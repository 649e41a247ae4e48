"""The flow, in one direction:

    settings + GitHub context -> provider (trigger, wait, failures) -> report -> publishers -> exit code

`run_action` is the single entry for both the action and `testrun run`. It masks secrets before anything
is printed, and holds the one handler that turns every `TestrunError` into an `::error::` line, a
job-summary note, outputs and an exit code. SIGINT and SIGTERM cancel the remote run and report it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import httpx

from . import findings, signals
from .clock import Clock, Deadline, SystemClock
from .comparison import compare
from .context import GitHubContext, load_context
from .errors import (
    AuthenticationError,
    ConfigurationError,
    Interrupted,
    MalformedResponse,
    RequestRejected,
    ServiceError,
    ServiceUnavailable,
    TestrunError,
    TlsFailure,
)
from .gha import Actions
from .http import RetryPolicy
from .input_names import input_warnings
from .model import Failures, History, NotRun, Outcome, Report, TestRun
from .providers import Provider, Wiring, create_provider
from .publishers import Publishers, default_publishers, report_not_run
from .report.outputs import outcome
from .settings import Settings, attached_as, insecure_urls, load_settings, read_raw_inputs, secret_inputs
from .untrusted import sanitised
from .verdict import Verdict, decide
from .waiting import plan, wait_for_run

# The cancel request on a signal; with the check run's and comment's shares (github.*.INTERRUPTED_*) the
# step exits within 5 s, well before the runner's kill 10 s after SIGINT (github-platform.md 3.1).
CANCEL_SECONDS = 1.5
CLEANUP_SECONDS = 20.0  # the cancel request at the deadline, when nothing is about to kill us


@dataclass
class Hooks:
    """Seams for tests and benchmarks; the defaults are the real thing."""

    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.BaseTransport | None = None
    policy: RetryPolicy | None = None  # timeouts and retries; tests shorten them
    stream: TextIO | None = None  # the log; stdout by default
    outcome: TextIO | None = None  # where the outcome is printed as one JSON object at the end (`--json`)
    publishers: Callable[[Settings, GitHubContext, Actions], Publishers] | None = None
    handle_signals: bool = True


def run_action(
    environ: Mapping[str, str], flags: Mapping[str, str] | None = None, hooks: Hooks | None = None
) -> int:
    hooks = hooks or Hooks()
    gha = Actions(environ, hooks.stream)
    code = _run_action(gha, environ, flags, hooks)
    if hooks.outcome is not None:
        gha.print_outcome(hooks.outcome, outcome(gha.outputs, code))
    return code


def _run_action(
    gha: Actions, environ: Mapping[str, str], flags: Mapping[str, str] | None, hooks: Hooks
) -> int:
    raw = read_raw_inputs(environ, flags)
    for secret in secret_inputs(raw):
        gha.mask(secret)
    for title, message in input_warnings(environ, flags):
        gha.warning(message, title=title)
    try:
        settings = load_settings(raw)
        context = load_context(environ)
    except ConfigurationError as exc:
        _report_error(gha, exc)
        _not_run(gha, raw, exc.title, exc.message, configuration=True)
        return exc.exit_code
    except Exception as exc:  # a defect of ours while reading the inputs: still no traceback, still outputs
        if gha.debug:
            gha.log(traceback.format_exc())
        message = f"Internal error ({type(exc).__name__}) while reading the inputs. Please report it."
        gha.error(message, title="testrun-action failed")
        _not_run(gha, raw, "testrun-action failed", message)
        return ServiceError.exit_code
    for secret in settings.secrets():
        gha.mask(secret)
    if context.local_source:
        gha.log(context.local_source)
    for name, host in insecure_urls(settings):
        gha.warning(
            f"Input '{name}' is a plain http:// URL to {host}: the API key travels unencrypted. Use https://.",
            title="Unencrypted API URL",
        )
    make_publishers = hooks.publishers or (
        lambda s, c, g: default_publishers(s, c, g, clock=hooks.clock, transport=hooks.transport)
    )
    flow = Flow(settings, context, gha, hooks, make_publishers)
    with signals.handled(hooks.handle_signals) as guard:
        gha.on_reader_gone = guard.reader_gone if guard is not None else None
        return flow.execute()


def _not_run(
    gha: Actions, raw: Mapping[str, str], title: str, message: str, *, configuration: bool = False
) -> None:
    """Outputs and a summary note when nothing could be started, through the usual writers."""
    summary = raw.get("job-summary", "true").strip().lower() != "false"  # settings are not there to ask
    report_not_run(gha, NotRun(title, message, configuration), summary=summary)


def _report_error(gha: Actions, exc: TestrunError) -> None:
    gha.error(exc.message, title=exc.title)


class Flow:
    def __init__(
        self,
        settings: Settings,
        context: GitHubContext,
        gha: Actions,
        hooks: Hooks,
        make_publishers: Callable[[Settings, GitHubContext, Actions], Publishers],
    ) -> None:
        self.settings = settings
        self.context = context
        self.gha = gha
        self.hooks = hooks
        self.clock = hooks.clock
        self.make_publishers = make_publishers
        self.publishers = make_publishers(settings, context, gha)
        self.run: TestRun | None = None
        self.verdict: Verdict | None = None
        self.triggering = False  # a trigger was sent and its run is not known yet
        # True once the remote run no longer needs us: ended, cancelled, or meant to keep going.
        self.settled = False

    def execute(self) -> int:
        wiring = Wiring(
            self.clock,
            self.gha.log,
            self.hooks.transport,
            self.hooks.policy,
            warn=lambda line: self.gha.warning(line, title="Not checked before the trigger"),
        )
        provider = create_provider(self.settings, self.context, wiring)
        late: Interrupted | None = None
        try:
            if self.settings.dry_run:
                return self._dry_run(provider)
            try:
                report = self._conclude(provider)
            except Interrupted as interruption:  # arrived while another ending was being worked out
                report = self._interrupted(provider, interruption)
        finally:
            try:
                provider.close()
            except Interrupted as interruption:
                late = interruption
        code = self.verdict.exit_code if self.verdict else ServiceError.exit_code
        if late is not None and not report.interrupted:
            report, code = dataclasses.replace(report, interrupted=True), late.exit_code
        return self._publish(report, code)

    def _conclude(self, provider: Provider) -> Report:
        """The report, whatever happens on the way; the verdict it was built from holds the exit code."""
        try:
            report = self._follow(provider)
        except Interrupted as interruption:
            return self._interrupted(provider, interruption)
        except TestrunError as exc:
            _report_error(self.gha, exc)
            return self._report(
                self._decide(problem=f"{exc.title}: {exc.message}", problem_exit=exc.exit_code),
                configuration=exc.configuration,
            )
        except Exception as exc:  # a defect of ours: still no traceback, still outputs, never a pass
            if self.gha.debug:
                self.gha.log(traceback.format_exc())
            message = (
                f"Internal error ({type(exc).__name__}: {exc}); the outcome is unknown. Please report it."
            )
            self.gha.error(message, title="testrun-action failed")
            return self._report(self._decide(problem=message, problem_exit=ServiceError.exit_code))
        return report

    # -- the happy path ---------------------------------------------------------------------------
    def _follow(self, provider: Provider) -> Report:
        settings, gha = self.settings, self.gha
        deadline = Deadline(self.clock, settings.timeout_seconds)
        if settings.run_id:
            run = provider.poll(settings.run_id, deadline)
            settings = attached_as(settings, run.id, run.environment)  # labelled as its own environment
            if settings is not self.settings:  # the publishers write for that one; none has started yet
                self.settings, self.publishers = settings, self.make_publishers(settings, self.context, gha)
            gha.log(f"Attached to {provider.name} run {run.id} ({run.state}): {run.url}")
        else:
            gha.log(f"Triggering a run on {provider.name} for {settings.target}…")
            # Saved first: if the step is killed before the answer, the post step can find the run.
            gha.save_state("trigger_at", datetime.now(UTC).isoformat())
            gha.save_state("trigger_marker", provider.marker or "")
            self.triggering = True
            try:
                run = provider.trigger(deadline)
            except MalformedResponse:
                self._orphan(provider, "the trigger's answer was unreadable", CLEANUP_SECONDS)
                raise
            except (ConfigurationError, RequestRejected, AuthenticationError, TlsFailure):
                self.triggering = False  # refused, or never sent past the handshake: it created nothing
                raise
            self.triggering = False
            gha.save_state("run_id", run.id)
            self.run = run
            try:
                run = provider.poll(run.id, deadline)  # learns the report URL and confirms the state
            except (ServiceUnavailable, MalformedResponse) as exc:  # the wait looks again
                gha.log(f"Status check failed: {exc.message} The wait looks again.")
            gha.log(f"Triggered {provider.name} run {run.id} ({run.state}): {run.url}")
        self.run = run
        self.publishers.started(run)
        if not settings.wait:
            self.settled = True
            return self._report(self._decide(waited=False))
        waited = wait_for_run(
            provider,
            run,
            deadline=deadline,
            schedule=plan(provider, settings.poll_interval, self.clock, gha.log, ended=run.terminal),
            clock=self.clock,
            log=gha.log,
            on_update=self._remember,
        )
        run = waited.run
        if waited.timed_out:
            gha.log(f"The run did not end within {settings.timeout_seconds / 60:g} minutes.")
            if settings.cancel_on_abort:
                self._cancel(provider, run, "timeout-minutes reached", CLEANUP_SECONDS)
            elapsed = deadline.elapsed()
            self.run, failures = findings.seen_so_far(provider, run, self.clock, gha.log)
            verdict = self._decide(timed_out=True, unreadable=waited.unreadable)
            return dataclasses.replace(
                self._report(verdict, failures=failures),
                timeout_seconds=settings.timeout_seconds,
                elapsed_seconds=elapsed,
            )
        failures = Failures()
        if run.counts.failed or run.counts.flaky:  # read by the wait where they decided the counts
            failures = (
                waited.failures
                if waited.failures is not None
                else findings.failures(provider, run, Deadline(self.clock, findings.FAILURES_SECONDS))
            )
        elif settings.junit_file or settings.tms:  # a passed run's tests, for the records that list them
            failures = findings.listed(provider, run, self.clock)
        history = findings.history(provider, run, failures, self.settings, self.context, self.clock, gha)
        judged = compare(failures, history)
        findings.say_comparison(history, judged, gha.log)
        verdict = self._decide(failures=judged, history=history)
        return self._report(verdict, failures=judged, history=history)

    def _remember(self, run: TestRun) -> None:
        self.run = run

    # -- other endings ----------------------------------------------------------------------------
    def _interrupted(self, provider: Provider, interruption: Interrupted) -> Report:
        name, why = interruption.name, interruption.why
        self.gha.log(f"Received {name}: {why[0].lower()}{why[1:]}; stopping.")
        if self.run is not None and not self.run.terminal and self.settings.cancel_on_abort:
            self._cancel(provider, self.run, f"{why} ({name})", CANCEL_SECONDS)
        elif self.run is None and self.triggering:
            self._orphan(provider, f"{why} ({name}) during the trigger", CANCEL_SECONDS)
        verdict = self._decide(interrupted=interruption.signum)
        return self._report(verdict, problem=f"The step was cancelled ({name}).", interrupted=True)

    def _orphan(self, provider: Provider, reason: str, seconds: float) -> None:
        """A trigger whose run is not known may still have created one: cancel it when it is provably
        ours (the adoption rule), so that nothing is left running that no one follows."""
        if not self.settings.cancel_on_abort:
            return
        try:
            run = provider.own_run(Deadline(self.clock, seconds))
        except TestrunError as exc:
            self.gha.warning(
                f"A run the trigger may have created is left alone: {exc.message}", title="Run not cancelled"
            )
            return
        if run is None:
            self.gha.log("No run created by the trigger was found; nothing to cancel.")
            return
        self.run = run
        self._cancel(provider, run, reason, seconds)

    def _cancel(self, provider: Provider, run: TestRun, reason: str, seconds: float) -> None:
        try:
            if provider.cancel(run, reason, Deadline(self.clock, seconds)):
                self.gha.log(f"Cancelled {provider.name} run {run.id}.")
            else:
                self.gha.log(f"{provider.name} run {run.id} had already ended.")
            self.settled = True
        except TestrunError as exc:
            self.gha.warning(f"Could not cancel run {run.id}: {exc.message}", title="Cancel failed")

    def _dry_run(self, provider: Provider) -> int:
        try:
            planned = provider.planned_trigger()
            self.gha.log(
                f"Dry run: nothing is sent. The trigger request would be:\n{planned.method} {planned.url}"
            )
            for name, value in planned.headers.items():
                self.gha.log(f"{name}: {value}")
            self.gha.log(json.dumps(planned.body, indent=2, ensure_ascii=False))
        except TestrunError as exc:  # an input the request needs (a branch to build, ...)
            _report_error(self.gha, exc)
            report_not_run(
                self.gha, NotRun(exc.title, exc.message, exc.configuration), summary=self.settings.job_summary
            )
            return exc.exit_code
        except Interrupted as interruption:  # nothing was sent, so nothing to cancel
            return interruption.exit_code
        return 0

    # -- reporting --------------------------------------------------------------------------------
    def _decide(self, **evidence: Any) -> Verdict:
        return decide(self.run, fail_on=self.settings.fail_on, min_tests=self.settings.min_tests, **evidence)

    def _report(
        self,
        verdict: Verdict,
        *,
        failures: Failures | None = None,
        problem: str | None = None,
        interrupted: bool = False,
        history: History | None = None,
        configuration: bool = False,
    ) -> Report:
        self.verdict = verdict
        if verdict.outcome is not Outcome.PASSED or not verdict.passed:
            self.gha.log(f"Verdict: {verdict.reason}")
        if verdict.note and not verdict.passed:
            self.gha.log(verdict.note)
        unknown = verdict.exit_code not in (0, 1) and not interrupted
        return Report(
            provider=self.settings.provider_name,
            environment=self.settings.environment,
            outcome=verdict.outcome,
            passed=verdict.passed,
            fail_on=self.settings.fail_on,
            source=self.context.source(),
            run=self.run,
            failures=failures or Failures(),
            problem=problem or (verdict.reason if unknown else None),
            configuration=configuration,
            interrupted=interrupted,
            history=history,
            verdict_note=verdict.note,
            reason=verdict.reason,
            conclusion=verdict.conclusion,
        )

    def _publish(self, report: Report, code: int) -> int:
        """Every publisher hears the report, each on its own: one that fails costs no other, and a signal
        while one is writing ends that one alone. The rest, outputs included, still write, within the
        short budgets of a cancelled step; the exit code is then the signal's (`publishers`)."""
        interrupted: Interrupted | None = None
        try:
            with contextlib.suppress(Exception):  # a defect here costs no report: every writer is safe too
                report = sanitised(report, self.gha.redact)
            run = self.run
            # A trigger whose run is still unknown leaves the post step to look for it once more.
            unknown = run is None and self.triggering
            if (
                self.settled
                or (run is None and not unknown)
                or (run is not None and run.terminal)
                or not self.settings.cancel_on_abort
            ):
                self.gha.save_state("settled", report.outcome.value)  # the post step has nothing to do
        except Interrupted as interruption:
            interrupted = interruption
        interrupted = self.publishers.finished(report, interrupted)
        return interrupted.exit_code if interrupted is not None else code
