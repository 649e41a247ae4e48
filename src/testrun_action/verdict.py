"""The verdict: passed, failed or unknown, from evidence. Pure: values in, one `Verdict` out.

A pass needs all of:
- a terminal state seen on a status read of the run, not only in the trigger's answer;
- the failed count and either the total or the passed count given by the service; counts that add up
  where a total is given; and no fewer failed tests counted than failed executions read;
- at least `min-tests` tests executed;
- no error code.

Anything else fails the step (exit 1: the run failed, errored, was cancelled, timed out or ran too few
tests) or leaves its outcome unknown (exit 3: the evidence is missing or contradicts itself). The
reason is one line, shown in the log, the job summary and the check run.

Exit codes: 0 passed (or `fail-on` accepts the outcome); 1 failed; 2 bad configuration; 3 unknown (the
service could not be used or its answers prove nothing); 130/143 interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

from dataclasses import dataclass

from .comparison import new_ones
from .model import FailedExecution, FailOn, Failures, History, Outcome, Phase, TestRun

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_UNKNOWN = 3


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome  # the `result` output
    exit_code: int
    conclusion: str  # the check run's: success, failure, neutral, cancelled or timed_out
    reason: str  # one line
    note: str | None = None  # how `fail-on: new-failures` judged, when it did

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_PASSED


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _unknown(reason: str, exit_code: int = EXIT_UNKNOWN) -> Verdict:
    return Verdict(Outcome.ERROR, exit_code, "failure", reason)


def _ended(outcome: Outcome, reason: str, fail_on: FailOn, conclusion: str = "failure") -> Verdict:
    """A run that ended without passing: fails the step, unless `fail-on: never` accepts it."""
    if fail_on is FailOn.NEVER:
        accepted = conclusion if conclusion in ("cancelled", "timed_out") else "neutral"
        return Verdict(outcome, EXIT_PASSED, accepted, f"{reason} (`fail-on` is `never`)")
    return Verdict(outcome, EXIT_FAILED, conclusion, reason)


def decide(
    run: TestRun | None,
    *,
    fail_on: FailOn,
    min_tests: int,
    failures: Failures | None = None,
    history: History | None = None,
    waited: bool = True,
    timed_out: bool = False,
    unreadable: str | None = None,
    interrupted: int | None = None,
    problem: str | None = None,
    problem_exit: int = EXIT_UNKNOWN,
) -> Verdict:
    """`unreadable`: why the last status checks failed, when the deadline passed while they did;
    `interrupted`: the signal number that cancelled the step; `problem`: the error that ended the flow
    early, with its exit code."""
    failures = failures or Failures()
    if interrupted is not None:
        return Verdict(Outcome.CANCELLED, 128 + interrupted, "cancelled", "The step was cancelled.")
    if problem is not None:
        return _unknown(problem, problem_exit)
    if run is None:
        return _unknown("No run was followed; the outcome is unknown.")
    if not waited:
        return Verdict(
            Outcome.TRIGGERED,
            EXIT_PASSED,
            "neutral",
            "`wait` is `false`: the run was triggered, not followed.",
        )
    if timed_out:
        if run.terminal and not run.confirmed:
            return _unknown(
                f"The trigger's answer said the run {run.state}, but no status read confirmed it before "
                f"`timeout-minutes` ({unreadable or 'none succeeded'}); the outcome is unknown."
            )
        if unreadable:
            return _unknown(
                f"The run's status could not be read before `timeout-minutes` ({unreadable}); the outcome "
                "is unknown."
            )
        return _ended(
            Outcome.TIMED_OUT, "The run did not end before `timeout-minutes`.", fail_on, "timed_out"
        )
    if not run.terminal:
        return _unknown(f"The run had not ended ({run.state}); the outcome is unknown.")
    if not run.confirmed:
        return _unknown(
            f"Only the trigger's answer said the run {run.state}; no status read confirmed it, so the "
            "outcome is unknown."
        )
    if run.phase is Phase.CANCELLED:
        return _ended(Outcome.CANCELLED, f"The run was cancelled ({run.state}).", fail_on, "cancelled")
    if run.phase is Phase.ERRORED or run.error_code:
        code = f" with error `{run.error_code}`" if run.error_code else ""
        return _ended(Outcome.ERROR, f"The run errored{code} ({run.state}).", fail_on)
    return _weigh(run, failures, history, fail_on, min_tests)


def _weigh(
    run: TestRun, failures: Failures, history: History | None, fail_on: FailOn, min_tests: int
) -> Verdict:
    """A run that finished: are its counts evidence, and what do they say?"""
    c = run.counts
    if "failed" in c.missing:
        missing = ", ".join(sorted(c.missing))
        return _unknown(
            f"The service did not give the run's failed count (counts missing: {missing}); the outcome is unknown."
        )
    if "total" not in c.missing and c.total != c.done:
        return _unknown(
            f"The run's counts do not add up: {c.done} counted of {c.total} tests "
            f"({c.passed} passed, {c.failed} failed, {c.flaky} flaky, {c.skipped} skipped, {c.snoozed} snoozed); "
            "the outcome is unknown."
        )
    listed = [f for f in failures.executions if not f.flaky]
    if len(listed) > c.failed:
        return _unknown(
            f"The service counted {_plural(c.failed, 'failed test')} but listed {len(listed)}; the outcome "
            "is unknown."
        )
    if c.failed:
        return _failed(run, failures, listed, history, fail_on)
    if min_tests and {"total", "passed"} <= c.missing:
        return _unknown(
            "The service did not say how many tests ran (no total or passed count), so `min-tests` can't "
            "be checked; the outcome is unknown."
        )
    if c.executed < min_tests:
        return _ended(
            Outcome.FAILED,
            f"{_plural(c.executed, 'test')} ran; `min-tests` is {min_tests}.",
            fail_on,
        )
    if fail_on is FailOn.FLAKY and c.flaky:
        return _ended(Outcome.PASSED, f"{_plural(c.flaky, 'flaky test')}, and `fail-on` is `flaky`.", fail_on)
    return Verdict(Outcome.PASSED, EXIT_PASSED, "success", f"{_plural(c.executed, 'test')} ran, none failed.")


def _failed(
    run: TestRun, failures: Failures, listed: list[FailedExecution], history: History | None, fail_on: FailOn
) -> Verdict:
    reason = f"{_plural(run.counts.failed, 'test')} failed."
    if fail_on is not FailOn.NEW_FAILURES:
        return _ended(Outcome.FAILED, reason, fail_on)
    if history is None or not history.comparable:
        why = (
            history.unavailable if history and history.unavailable else "there was no history to compare with"
        )
        note = f"fail-on new-failures: the step fails because it cannot tell which failures are new ({why})."
    elif not failures.complete or len(listed) < run.counts.failed:
        note = (
            "fail-on new-failures: the step fails because not every failed test could be listed, so some "
            "could be new."
        )
    else:
        fresh = new_ones(listed)
        if not fresh:
            note = (
                f"fail-on new-failures: every failed test also failed {history.against} lately, so the step "
                "passes."
            )
            return Verdict(Outcome.FAILED, EXIT_PASSED, "neutral", f"{reason} None is new.", note)
        note = f"fail-on new-failures: {_plural(len(fresh), 'failed test')} did not fail {history.against} lately."
    return Verdict(Outcome.FAILED, EXIT_FAILED, "failure", reason, note)
