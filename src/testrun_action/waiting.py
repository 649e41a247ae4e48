"""Waiting for a run: when to look again, what to say in the log, and when to give up.

The log shows every state change and a heartbeat (elapsed time and counts) at least once a minute.
A burst of failed status checks is tolerated and said in the log; only an outage longer than
`OUTAGE_LIMIT` ends the wait, as a service error: the outcome is then unknown, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .clock import Clock, Deadline
from .errors import ServiceUnavailable
from .model import Phase, TestRun
from .providers import Provider

HEARTBEAT_SECONDS = 60.0
OUTAGE_LIMIT = 300.0  # five minutes of failed status checks in a row
MAX_ADAPTIVE_INTERVAL = 10.0  # the `poll-interval` contract: adaptive polling waits at most 10 s
MIN_ADAPTIVE_INTERVAL = 1.0


@dataclass
class PollSchedule:
    """Seconds until the next status check.

    Fixed when `poll-interval` is set. Otherwise adaptive: while the run waits or its progress is
    unknown, the interval grows from 2 s by half each time to 10 s; once tests are being counted, the
    expected time left (from the rate tests complete) is divided by four, so checks get denser as the
    end nears, within 1-10 s.
    """

    fixed: float | None = None
    _interval: float = 2.0

    def next_delay(self, run: TestRun, running_for: float | None) -> float:
        if self.fixed is not None:
            return self.fixed
        counts = run.counts
        if run.phase is Phase.RUNNING and running_for and counts.total and 0 < counts.done < counts.total:
            left = running_for * (counts.total - counts.done) / counts.done
            return min(MAX_ADAPTIVE_INTERVAL, max(MIN_ADAPTIVE_INTERVAL, left / 4))
        if run.phase is Phase.CANCELLING:
            return 2.0
        delay = self._interval
        self._interval = min(MAX_ADAPTIVE_INTERVAL, self._interval * 1.5)
        return delay


def describe(run: TestRun) -> str:
    c = run.counts
    if not c.total:
        return run.state
    parts = [f"{c.done}/{c.total} done"]
    parts += [f"{n} {word}" for n, word in ((c.failed, "failed"), (c.flaky, "flaky")) if n]
    return f"{run.state}, " + ", ".join(parts)


def _minutes(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Waited:
    run: TestRun
    timed_out: bool


def wait_for_run(
    provider: Provider,
    run: TestRun,
    *,
    deadline: Deadline,
    schedule: PollSchedule,
    clock: Clock,
    log: Callable[[str], None],
    on_update: Callable[[TestRun], None] = lambda run: None,
) -> Waited:
    """Poll until the run is terminal or the deadline passes."""
    last_said = clock.now()
    running_since: float | None = clock.now() if run.phase is Phase.RUNNING else None
    outage_since: float | None = None
    log(f"Waiting for run {run.id} ({describe(run)}); giving up after {_minutes(deadline.remaining())}.")
    while not run.terminal:
        remaining = deadline.remaining()
        if remaining <= 0:
            return Waited(run, timed_out=True)
        running_for = clock.now() - running_since if running_since is not None else None
        clock.sleep(min(schedule.next_delay(run, running_for), remaining))
        if deadline.passed:
            return Waited(run, timed_out=True)
        try:
            latest = provider.poll(run.id, deadline)
        except ServiceUnavailable as exc:
            now = clock.now()
            outage_since = outage_since if outage_since is not None else now
            if now - outage_since >= OUTAGE_LIMIT:
                raise ServiceUnavailable(
                    f"{exc.message} The status checks kept failing for {_minutes(now - outage_since)}; "
                    "the outcome of the run is unknown."
                ) from None
            log(
                f"Status check failed ({exc.message}); still waiting, failing for {_minutes(now - outage_since)}."
            )
            continue
        now = clock.now()
        if outage_since is not None:
            log(f"{provider.name} is answering again after {_minutes(now - outage_since)}.")
            outage_since = None
        if latest.phase is Phase.RUNNING and running_since is None:
            running_since = now
        if latest.state != run.state:
            log(f"Run {latest.id}: {run.state} → {describe(latest)} ({_minutes(deadline.elapsed())}).")
            last_said = now
        elif now - last_said >= HEARTBEAT_SECONDS:
            log(f"Run {latest.id}: still {describe(latest)} ({_minutes(deadline.elapsed())} elapsed).")
            last_said = now
        run = latest
        on_update(run)
    return Waited(run, timed_out=False)
