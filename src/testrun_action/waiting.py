"""Waiting for a run: what to say in the log, and when to give up (when to look again: `polling`).

The log shows every state change and a heartbeat (elapsed time and counts) at least once a minute.
A burst of failed status checks is tolerated and said in the log; only an outage longer than
`OUTAGE_LIMIT` ends the wait, as a service error: the outcome is then unknown, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .clock import Clock, Deadline
from .errors import MalformedResponse, ServiceUnavailable, TestrunError
from .model import Phase, TestRun
from .polling import MIN_INTERVAL, PollSchedule, quota_floor
from .providers import AnnouncesQuota, KnowsRecentRuns, Provider

HEARTBEAT_SECONDS = 60.0
OUTAGE_LIMIT = 300.0  # five minutes of failed status checks in a row
HISTORY_SECONDS = 5.0  # the one look at recent runs: never holds the wait up for long


def plan(
    provider: Provider, poll_interval: float | None, clock: Clock, log: Callable[[str], None]
) -> PollSchedule:
    """The poll schedule for this run: fixed with `poll-interval`, else adaptive, told what recent runs
    of the same target took when the provider can say (one request, best effort)."""
    if poll_interval is not None:
        return PollSchedule(fixed=poll_interval)
    history: tuple[float, ...] = ()
    if isinstance(provider, KnowsRecentRuns):
        try:
            history = tuple(provider.recent_durations(Deadline(clock, HISTORY_SECONDS)))
        except Exception as exc:  # a hint for the schedule, never a reason to fail: without it, more checks
            reason = exc.message if isinstance(exc, TestrunError) else f"{type(exc).__name__}: {exc}"
            log(f"Recent runs could not be read ({reason}); checking by the run's progress alone.")
    if history:
        low, high = _minutes(min(history)), _minutes(max(history))
        span = low if low == high else f"{low}-{high}"
        runs = f"{len(history)} recent run{'s' if len(history) != 1 else ''}"
        log(f"{runs} took {span} once started; checking most often around then.")
    return PollSchedule(history=history)


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
    unreadable: str | None = None  # why the last status checks failed, when they were failing at the end


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
    """Poll until a status read shows the run terminal, or the deadline passes. A terminal state in the
    trigger's answer alone is not enough: the run is looked at again."""
    began = last_said = last_looked = clock.now()
    running_since: float | None = clock.now() if run.phase is Phase.RUNNING else None
    outage_since: float | None = None
    quota = provider.headroom if isinstance(provider, AnnouncesQuota) else lambda: None
    log(f"Waiting for run {run.id} ({describe(run)}); giving up after {_minutes(deadline.remaining())}.")
    failing: str | None = None
    while not (run.terminal and run.confirmed):
        remaining = deadline.remaining()
        if remaining <= 0:
            return Waited(run, timed_out=True, unreadable=failing)
        now = clock.now()
        running_for = now - running_since if running_since is not None else None
        headroom = quota()
        delay = schedule.next_delay(run, running_for, headroom, waited=now - began)
        if schedule.fixed is None:  # look in time for the heartbeat, as far as the budget and quota allow
            delay = min(delay, max(MIN_INTERVAL, last_said + HEARTBEAT_SECONDS - now))
            delay = max(delay, schedule.budget_floor(now - began))
            delay = max(delay, quota_floor(headroom)) if headroom is not None else delay
        clock.sleep(min(delay, remaining))
        if deadline.passed:
            return Waited(run, timed_out=True, unreadable=failing)
        try:
            latest = provider.poll(run.id, deadline)
        except (ServiceUnavailable, MalformedResponse) as exc:  # e.g. a proxy's HTML error page
            failing = exc.message
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
        failing = None
        now = clock.now()
        if outage_since is not None:
            log(f"{provider.name} is answering again after {_minutes(now - outage_since)}.")
            outage_since = None
        if latest.phase is Phase.RUNNING and running_since is None:
            running_since = (last_looked + now) / 2  # it started between the last two looks
        last_looked = now
        if latest.state != run.state:
            log(f"Run {latest.id}: {run.state} → {describe(latest)} ({_minutes(deadline.elapsed())}).")
            last_said = now
        elif now - last_said >= HEARTBEAT_SECONDS:
            log(f"Run {latest.id}: still {describe(latest)} ({_minutes(deadline.elapsed())} elapsed).")
            last_said = now
        run = latest
        on_update(run)
    return Waited(run, timed_out=False)
