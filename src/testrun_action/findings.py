"""What is read once a run has ended, best effort: its failed executions (where the wait did not read
them already) and recent runs for the trend and the comparison. Whatever goes wrong here becomes a note
or one log line; the verdict and the report stand."""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable

from .clock import Clock, Deadline
from .comparison import new_ones
from .context import GitHubContext
from .errors import TestrunError
from .gha import Actions
from .model import Failures, History, TestRun
from .providers import AnnouncesQuota, Provider
from .settings import Settings

FAILURES_SECONDS = 120.0  # fetching failure details after the run ended
HISTORY_SECONDS = 30.0  # fetching recent runs for the trend and the comparison: an extra, kept short
# The run's state and failures read once more after a timeout: both within it, so that with the cancel
# the step ends within the 5 s past a budget that tests/hostile/test_deadlines.py holds it to.
AFTER_TIMEOUT_SECONDS = 3.0
# Where the service announces a quota, the history reads start after a random pause of up to this many
# seconds (and at most half the time to the quota's reset), so that the jobs of a matrix, whose runs
# end together, do not all read at once; a fraction of the history's own 30 s.
HISTORY_JITTER = 2.0
_jitter = random.Random()  # noqa: S311 - spreading load, not secrecy


def seen_so_far(
    provider: Provider, run: TestRun, clock: Clock, log: Callable[[str], None]
) -> tuple[TestRun, Failures]:
    """After a timeout: the run as the service says it now (after the cancel) and the failures seen
    so far, read once more within a short budget; best effort, the verdict stays a timeout."""
    budget = Deadline(clock, AFTER_TIMEOUT_SECONDS)
    try:
        run = provider.poll(run.id, budget)
    except TestrunError as exc:
        log(f"The run's state after the timeout could not be read: {exc.message}")
    if not (run.counts.failed or run.counts.flaky) or budget.passed:
        return run, Failures()
    return run, failures(provider, run, budget)


def failures(provider: Provider, run: TestRun, deadline: Deadline) -> Failures:
    """The failed executions, best effort: a failure to read them is a note, never the verdict."""
    try:
        return provider.failures(run, deadline)
    except TestrunError as exc:
        return Failures(complete=False, note=f"Failure details were unavailable: {exc.message}")


def listed(provider: Provider, run: TestRun, clock: Clock) -> Failures:
    """The tests a run without failures lists (passed and skipped), for the JUnit file and Test
    Management, and the run's artifacts (its report); where they can't be read, none, without a note:
    there is no failure to detail."""
    found = failures(provider, run, Deadline(clock, FAILURES_SECONDS))
    return Failures(tests=found.tests, artifacts=found.artifacts) if found.complete else Failures()


def history(
    provider: Provider,
    run: TestRun,
    failures: Failures,
    settings: Settings,
    context: GitHubContext,
    clock: Clock,
    gha: Actions,
) -> History:
    """Recent runs, best effort: whatever goes wrong becomes one line, and the report stands.
    `compare-with: none` reads no history at all: neither comparison nor trend."""
    if not settings.compare:
        return History()
    branch = settings.compare_with or context.default_branch or "main"
    if isinstance(provider, AnnouncesQuota):  # its window may have reset since: jitter all the same
        headroom = provider.headroom()
        longest = min(HISTORY_JITTER, headroom.reset_in / 2) if headroom is not None else HISTORY_JITTER
        clock.sleep(_jitter.uniform(0.0, longest))
    try:
        found = provider.history(run, failures, branch, Deadline(clock, HISTORY_SECONDS))
    except TestrunError as exc:
        why = f"history unavailable: {exc.message}"
        found = History(branch=branch, unavailable=why, trend_unavailable=why)
    except Exception as exc:  # a defect in an extra must not cost the report (nor pass new-failures)
        if gha.debug:
            gha.log(traceback.format_exc())
        why = f"history unavailable: internal error ({type(exc).__name__})"
        found = History(branch=branch, unavailable=why, trend_unavailable=why)
    return found


def say_comparison(history: History, judged: Failures, log: Callable[[str], None]) -> None:
    if history.branch is None:
        return
    if history.unavailable:
        log(f"Not compared with recent runs {history.against}: {history.unavailable}")
    else:
        executions = judged.executions
        fresh = len(new_ones(executions))
        log(
            f"Compared with {len(history.compared)} recent run{'s' if len(history.compared) != 1 else ''} "
            f"{history.against}: {fresh} new failure{'s' if fresh != 1 else ''}, "
            f"{sum(1 for f in executions if not f.flaky) - fresh} seen there."
        )
