"""Waiting for a run: what to say in the log, and when to give up (when to look again: `polling`).

The log shows every state change and a heartbeat (elapsed time and counts) at least once a minute.
A burst of failed status checks is tolerated and said in the log; only an outage longer than
`OUTAGE_LIMIT` ends the wait, as a service error: the outcome is then unknown, never a pass.

Once a status read sees the run ended, the wait takes the steps the provider asks for, each under the
same deadline and said in the log with its time: a second look after a settle period, where an ended
run can reopen (`Reopens`), and the final reads, where the counts are read only at the end
(`ReadsWhenEnded`). A reopened run, or final reads that fail, send the wait back to its status checks;
final reads failing for `OUTAGE_LIMIT` end it as an outage. A deadline that passes during these steps
leaves the outcome unknown: the run ended, but how is not known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .clock import Clock, Deadline
from .errors import MalformedResponse, ServiceError, ServiceUnavailable, TestrunError
from .model import Failures, Phase, TestRun
from .polling import MIN_INTERVAL, PollSchedule, quota_floor
from .providers import AnnouncesQuota, Ended, KnowsRecentRuns, Provider, ReadsWhenEnded, Reopens

HEARTBEAT_SECONDS = 60.0
OUTAGE_LIMIT = 300.0  # five minutes of failed status checks in a row
HISTORY_SECONDS = 5.0  # the one look at recent runs: never holds the wait up for long


def plan(
    provider: Provider,
    poll_interval: float | None,
    clock: Clock,
    log: Callable[[str], None],
    *,
    ended: bool = False,
) -> PollSchedule:
    """The poll schedule for this run: fixed with `poll-interval`, else adaptive, told what recent runs
    of the same target took when the provider can say (one request, best effort; none for a run that
    has `ended` already)."""
    if poll_interval is not None or ended:
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
    """`4m50s`, `60m`, `15s`: rounded to the second (3599.99 s is 60m, 14.99 s is 15s)."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    return f"{seconds // 60}m" + (f"{seconds % 60:02d}s" if seconds % 60 else "")


@dataclass(frozen=True, slots=True)
class Waited:
    run: TestRun
    timed_out: bool
    # Why the last status checks failed, when they were failing at the end; or, for a run that ended,
    # why its results were not read in time.
    unreadable: str | None = None
    failures: Failures | None = None  # given by the final reads, when they read them (`Ended`)


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
    """Poll until a status read shows the run terminal, then settle and read its results (where the
    provider needs them), all before the deadline. A terminal state in the trigger's answer alone is not
    enough: the run is looked at again."""
    return _Wait(provider, deadline, schedule, clock, log, on_update).until_ended(run)


class _Wait:
    """The steps of one wait, in order: status checks on the poll schedule until one sees the run ended;
    a second look `settle_seconds` later where ended runs can reopen (a changed state: back to the
    checks); the final reads where counts are read at the end (a failed read: back to the checks)."""

    def __init__(
        self,
        provider: Provider,
        deadline: Deadline,
        schedule: PollSchedule,
        clock: Clock,
        log: Callable[[str], None],
        on_update: Callable[[TestRun], None],
    ) -> None:
        self.provider, self.deadline, self.schedule = provider, deadline, schedule
        self.clock, self.log, self.on_update = clock, log, on_update
        self.began = self.last_said = self.last_looked = clock.now()
        self.running_since: float | None = None
        self.outage_since: float | None = None
        self.failing: str | None = None  # why the last step failed, while it is failing
        self.unread: str | None = None  # why the last final reads failed
        self.unread_since: float | None = None  # when the final reads began failing, while they do
        self.quota = provider.headroom if isinstance(provider, AnnouncesQuota) else lambda: None

    def until_ended(self, run: TestRun) -> Waited:
        self.running_since = self.clock.now() if run.phase is Phase.RUNNING else None
        if run.terminal and run.confirmed:  # attached to a run that ended before
            self.log(f"Run {run.id} has already ended ({describe(run)}); reading its results.")
        else:
            self.log(
                f"Waiting for run {run.id} ({describe(run)}); giving up after "
                f"{_minutes(self.deadline.remaining())}."
            )
        look_again = False  # the last step failed: check the run's status before the next one
        while True:
            while look_again or not (run.terminal and run.confirmed):
                if not self._pause(self._delay(run)):
                    return self._timed_out(run)
                latest = self._look(run)
                look_again = latest is None
                run = latest or run
            pause = self.provider.settle_seconds(run) if isinstance(self.provider, Reopens) else 0.0
            if pause > 0:
                settled = self._settle(run, pause)
                if settled is None:
                    if self.deadline.passed:
                        return self._timed_out(run)
                    look_again = True
                    continue
                if not (settled.terminal and settled.state == run.state):
                    self.log(
                        f"Run {run.id} reopened: more results arrived ({describe(settled)}); waiting again."
                    )
                    run = settled
                    continue
                run = settled
            if not isinstance(self.provider, ReadsWhenEnded):
                return Waited(run, timed_out=False)
            ended = self._final_reads(run)
            if ended is None:
                if self.deadline.passed:
                    return self._timed_out(run)
                look_again = True
                continue
            self.on_update(ended.run)
            return Waited(ended.run, timed_out=False, failures=ended.failures)

    # -- the steps ---------------------------------------------------------------------------------
    def _delay(self, run: TestRun) -> float:
        """Until the next status check, by the schedule."""
        now = self.clock.now()
        running_for = now - self.running_since if self.running_since is not None else None
        headroom = self.quota()
        delay = self.schedule.next_delay(run, running_for, headroom, waited=now - self.began)
        if self.schedule.fixed is None:
            # Look in time for the heartbeat, as far as the budget and quota allow.
            delay = min(delay, max(MIN_INTERVAL, self.last_said + HEARTBEAT_SECONDS - now))
            delay = max(delay, self.schedule.budget_floor(now - self.began))
            delay = max(delay, quota_floor(headroom)) if headroom is not None else delay
        return delay

    def _pause(self, seconds: float) -> bool:
        """Sleep `seconds`, never past the deadline: False when the deadline has passed."""
        remaining = self.deadline.remaining()
        if remaining <= 0:
            return False
        self.clock.sleep(min(seconds, remaining))
        return not self.deadline.passed

    def _settle(self, run: TestRun, pause: float) -> TestRun | None:
        """The second look at a run seen ended, `pause` seconds later; None when it could not be made."""
        self.log(
            f"Run {run.id} ended ({describe(run)}); looking again in {_seconds(pause)}, as late results can reopen it."
        )
        if not self._pause(pause):
            return None
        return self._look(run)

    def _final_reads(self, run: TestRun) -> Ended | None:
        """The reads only an ended run allows, said in the log with their time; None when they failed."""
        assert isinstance(self.provider, ReadsWhenEnded)
        started = self.clock.now()
        self.log(f"Reading the results of run {run.id}…")
        try:
            ended = self.provider.final_reads(run, self.deadline)
        except (ServiceUnavailable, MalformedResponse) as exc:
            self.unread = exc.message
            self.unread_since = self.unread_since if self.unread_since is not None else self.clock.now()
            self._failed(exc, "Reading the results", "The reads of the results", self.unread_since)
            return None
        self._answered()
        self.unread_since = None
        self.log(
            f"Read the results of run {run.id} in {_seconds(self.clock.now() - started)}: {describe(ended.run)}."
        )
        return ended

    def _look(self, run: TestRun) -> TestRun | None:
        """One status check; None when it failed (said in the log, and counted towards the outage)."""
        try:
            latest = self.provider.poll(run.id, self.deadline)
        except (ServiceUnavailable, MalformedResponse) as exc:  # e.g. a proxy's HTML error page
            self._failed(exc, "Status check", "The status checks")
            return None
        self._answered()
        now = self.clock.now()
        if latest.phase is Phase.RUNNING and self.running_since is None:
            self.running_since = (self.last_looked + now) / 2  # it started between the last two looks
        self.last_looked = now
        if latest.state != run.state:
            self.log(
                f"Run {latest.id}: {run.state} → {describe(latest)} ({_minutes(self.deadline.elapsed())})."
            )
            self.last_said = now
        elif now - self.last_said >= HEARTBEAT_SECONDS:
            self.log(
                f"Run {latest.id}: still {describe(latest)} ({_minutes(self.deadline.elapsed())} elapsed"
                f"{self._expected_end(latest, now)})."
            )
            self.last_said = now
        self.on_update(latest)
        return latest

    def _expected_end(self, run: TestRun, now: float) -> str:
        """`; ends in about 3m-5m`, from the window the schedule sees; empty when it sees none."""
        running_for = now - self.running_since if self.running_since is not None else None
        window = self.schedule.estimate(run, running_for)
        if window is None or running_for is None:
            return ""
        early, late = (
            _minutes(max(0.0, window.early - running_for)),
            _minutes(max(0.0, window.late - running_for)),
        )
        if late == "0s":
            return "; should end any moment"
        return f"; ends in about {late}" if early == late else f"; ends in about {early}-{late}"

    def _failed(self, exc: ServiceError, step: str, steps: str, since: float | None = None) -> None:
        """A failed `step` (one of the `steps`), failing since `since` (the status checks: since they
        began failing); tolerated and said, until it has failed for `OUTAGE_LIMIT`."""
        self.failing = exc.message
        now = self.clock.now()
        if since is None:
            since = self.outage_since = self.outage_since if self.outage_since is not None else now
        if now - since >= OUTAGE_LIMIT:
            raise ServiceUnavailable(
                f"{exc.message} {steps} kept failing for {_minutes(now - since)}; the outcome of the run is unknown."
            ) from None
        self.log(f"{step} failed ({exc.message}); still waiting, failing for {_minutes(now - since)}.")

    def _answered(self) -> None:
        self.failing = None
        if self.outage_since is not None:
            self.log(
                f"{self.provider.name} is answering again after {_minutes(self.clock.now() - self.outage_since)}."
            )
            self.outage_since = None

    def _timed_out(self, run: TestRun) -> Waited:
        unreadable = self.failing
        if run.terminal and run.confirmed:  # it ended; how is not known
            why = self.failing or self.unread
            unreadable = "the run ended, but its results were not read in time" + (f": {why}" if why else "")
        return Waited(run, timed_out=True, unreadable=unreadable)


def _seconds(seconds: float) -> str:
    return _minutes(seconds) if seconds >= 60 else f"{seconds:.1f}s".replace(".0s", "s")
