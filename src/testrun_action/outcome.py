"""From what happened to a verdict and an exit code.

Exit codes: 0 the outcome passes `fail-on`; 1 it does not; 2 bad configuration; 3 the service could not
be used; 130/143 the step was interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

from .model import FailOn, Outcome, Phase, TestRun

EXIT_PASSED = 0
EXIT_FAILED = 1


def conclude(run: TestRun, *, timed_out: bool = False, waited: bool = True) -> Outcome:
    if not waited:
        return Outcome.TRIGGERED
    if timed_out:
        return Outcome.TIMED_OUT
    if run.phase is Phase.CANCELLED:
        return Outcome.CANCELLED
    if run.phase is Phase.ERRORED:
        return Outcome.ERROR
    if run.phase is Phase.FINISHED:
        return Outcome.FAILED if run.counts.failed else Outcome.PASSED
    # Not terminal and not timed out: the outcome is unknown, which is never a pass.
    return Outcome.ERROR


def passes(outcome: Outcome, run: TestRun | None, fail_on: FailOn) -> bool:
    if fail_on is FailOn.NEVER:
        return True
    if outcome not in (Outcome.PASSED, Outcome.TRIGGERED):
        return False
    return not (fail_on is FailOn.FLAKY and run is not None and run.counts.flaky > 0)
