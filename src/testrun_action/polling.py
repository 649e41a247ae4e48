"""When to look at a run again: a poll schedule built from what is known about when it will end.

With `poll-interval` set, every check is that many seconds apart. Otherwise the schedule estimates a
window in which the run should end, in seconds of running time, from two sources:

- progress: with `done` of `total` tests counted after `r` seconds, and tests counted as they finish,
  the end lies between `r * total / (done + 1)` (the next test is about to be counted) and
  `r * total / done` (it has just been). When every test is counted, the end is due now.
- history: recent runs of the same environment took between `min` and `max` seconds; widened by
  `HISTORY_SLACK`, that is where this one should end too.

Progress is trusted only while it confirms itself: the count has moved at two looks or more (a
single jump, such as one shard reporting, is no pace), and has not stood still since for longer than
`STALL_PACES` times the time a test has taken so far (`STALL_MAX` at most). A count that stalls says
nothing about the end: the schedule goes by the history alone if there is one, else as with no
information, until the count moves again.

Where both are known, their overlap (this run's own progress wins when they disagree). Then:

- before a window the count confirms: a quarter of the time left until it opens, `UNKNOWN_MAX` to
  `SPARSE_MAX` (nearer, the count tells more; no denser than fixed polling, to save checks for the
  window), and once it is that close, when it opens;
- before a window from the history alone: when it opens, at most `SPARSE_MAX` (looking sooner tells
  nothing new);
- before a window the count has not confirmed yet: the run could end any time, so as with no
  information, and no later than a quarter of the time left until it opens;
- inside it, as often as its width `w` is worth: an end anywhere in it is noticed after half an
  interval `i` on average, at the price of `w / i` checks; weighing a second of delay as
  `DELAY_WORTH` checks, the best interval is `sqrt(2 w / DELAY_WORTH)`; no denser than the checks the
  budget has saved allow over the rest of the window. Denser still as its far edge nears (a quarter
  of the time left), within `MIN_INTERVAL`-`UNKNOWN_MAX`;
- past it (overdue), back off by a quarter of the time overdue, to `UNKNOWN_MAX`;
- with no window (a queued run, nothing counted and no history, or a stalled count and no history),
  start at 2 s and grow by half each time to `UNKNOWN_MAX`.

A budget keeps the whole wait within the checks of polling every `FIXED_PACE` seconds: the n-th check
comes no sooner than `n * FIXED_PACE` seconds after the wait began. Checks saved while the end is far
are spent where it is near, spread over what is left of the window. As no gap exceeds `UNKNOWN_MAX`
unless a trusted estimate allows it, the budget never holds a check back longer than that.

A rate limit the service announces sets a floor: the requests left in its window, less a reserve for
reading failures and cancelling, are spread over the time until it resets. Only that floor can make a
gap longer than the rules above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import Phase, TestRun
from .quota import Headroom

MIN_INTERVAL = 1.0  # never more often than once a second
DELAY_WORTH = 400.0  # checks worth spending to notice the end a second sooner (the budget caps the total)
SPARSE_MAX = 30.0  # before a trusted window; the log's heartbeat (once a minute) needs a check that often
UNKNOWN_MAX = 10.0  # whenever the run could end: never sparser than the common fixed 10 s
FIXED_PACE = 10.0  # the budget: never more checks than that common fixed 10 s
FIRST_UNKNOWN = 2.0
GROWTH = 1.5
FRACTION = 0.25  # of the time left before the window opens
CANCELLING_INTERVAL = 2.0
HISTORY_SLACK = 0.05  # recent runs' durations, widened by 5% either way
QUOTA_RESERVE = 10  # requests kept back for reading failures and cancelling (quota.RATE_LOW_WATER)
STALL_PACES = 2.0  # still for twice the time a test took so far: stalled (one slow test is not a stall)
STALL_MAX = 60.0  # and still for a minute is a stall however slow the tests: the heartbeat's period


@dataclass(frozen=True, slots=True)
class Window:
    """When the run should end, in seconds since it started running: not before `early`, by `late`."""

    early: float
    late: float


def progress_window(run: TestRun, running_for: float, complete_at: float | None = None) -> Window | None:
    """From the tests counted so far; `complete_at`: when every test was first seen counted."""
    done, total = run.counts.done, run.counts.total
    if total <= 0 or done <= 0 or running_for <= 0:
        return None
    if done >= total:
        at = running_for if complete_at is None else complete_at
        return Window(at, at)
    left = total - done  # as time left, added to the time run, so one test left opens it now exactly
    return Window(
        running_for + running_for * (left - 1) / (done + 1), running_for + running_for * left / done
    )


def history_window(history: Sequence[float]) -> Window | None:
    durations = [d for d in history if d > 0]
    if not durations:
        return None
    return Window(min(durations) * (1 - HISTORY_SLACK), max(durations) * (1 + HISTORY_SLACK))


def combined(progress: Window | None, history: Window | None) -> Window | None:
    if progress is None or history is None:
        return progress or history
    overlap = Window(max(progress.early, history.early), min(progress.late, history.late))
    return overlap if overlap.early <= overlap.late else progress


def quota_floor(headroom: Headroom) -> float:
    """The shortest interval that spends what is left of the quota evenly until it resets."""
    spendable = headroom.remaining - QUOTA_RESERVE
    return headroom.reset_in / spendable if spendable > 0 else headroom.reset_in


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass
class Pace:
    """Whether the count confirms the estimate built on it: it keeps moving, as often as its pace so far
    says it should."""

    done: int = 0  # at the last look
    moved_at: float | None = None  # seconds running, at the look that last saw the count move
    moves: int = 0  # looks that saw the count move
    stalled: bool = False  # since it last moved

    def look(self, done: int, running_for: float) -> None:
        """Take in what a look saw."""
        if done < self.done:  # a count going back explains nothing: start over
            self.moves, self.moved_at, self.stalled = 0, None, True
        elif done > self.done:  # a move that ends a stall is a burst, not a pace: it counts as the first
            self.moves, self.moved_at = (1 if self.stalled else self.moves + 1), running_for
            self.stalled = False
        elif self.moved_at is not None and done > 0:
            still = running_for - self.moved_at
            self.stalled = self.stalled or still > min(STALL_PACES * self.moved_at / done, STALL_MAX)
        self.done = done

    @property
    def confirmed(self) -> bool:
        """The count has moved at two looks or more (one jump is no pace), and has not stalled since."""
        return self.moves >= 2 and not self.stalled


@dataclass
class PollSchedule:
    """Seconds until the next status check (see the module's description)."""

    fixed: float | None = None
    history: tuple[float, ...] = ()  # seconds that recent runs of this environment ran
    _unknown: float = field(default=FIRST_UNKNOWN, repr=False)
    _complete_at: float | None = field(default=None, repr=False)
    _pace: Pace = field(default_factory=Pace, repr=False)
    _checks: int = field(default=0, repr=False)
    _guessing: bool = field(default=True, repr=False)  # on the no-information schedule

    def window(self, run: TestRun, running_for: float | None) -> Window | None:
        if run.phase is not Phase.RUNNING or running_for is None:
            return None
        complete = run.counts.total > 0 and run.counts.done >= run.counts.total
        if not complete:
            self._complete_at = None
        elif self._complete_at is None:
            self._complete_at = running_for
        return combined(progress_window(run, running_for, self._complete_at), history_window(self.history))

    def estimate(self, run: TestRun, running_for: float | None) -> Window | None:
        """The window the run should end in, as `window` says, without changing the schedule."""
        if run.phase is not Phase.RUNNING or running_for is None:
            return None
        return combined(progress_window(run, running_for, self._complete_at), history_window(self.history))

    def next_delay(
        self,
        run: TestRun,
        running_for: float | None,
        headroom: Headroom | None = None,
        waited: float | None = None,
    ) -> float:
        """`waited`: seconds since the wait began, for the budget (left out, no budget is kept)."""
        if self.fixed is not None:
            return self.fixed
        delay = self._adaptive(run, running_for, waited)
        if waited is not None:
            self._checks += 1
            delay = max(delay, self.budget_floor(waited))
        return max(delay, quota_floor(headroom)) if headroom is not None else delay

    def budget_floor(self, waited: float) -> float:
        """The shortest delay that keeps the checks asked for so far within polling every `FIXED_PACE`."""
        return self._checks * FIXED_PACE - waited

    def _adaptive(self, run: TestRun, running_for: float | None, waited: float | None) -> float:
        if run.phase is Phase.CANCELLING:
            return CANCELLING_INTERVAL
        window, trusted, by_progress = self._estimate(run, running_for)
        if window is None or running_for is None:
            return self._no_information()
        until_open, until_close = window.early - running_for, window.late - running_for
        if until_open > 0 and not trusted:  # the run could end any time; denser still as the window nears
            return min(self._no_information(), _clamp(FRACTION * until_open, MIN_INTERVAL, UNKNOWN_MAX))
        self._guessing = False
        saved = None if waited is None else max(0.0, waited / FIXED_PACE - self._checks)
        if until_open > UNKNOWN_MAX and by_progress:  # nearer, the count tells more
            return _clamp(FRACTION * until_open, UNKNOWN_MAX, SPARSE_MAX)
        if until_open > SPARSE_MAX:  # recent runs alone: looking sooner tells nothing new
            return SPARSE_MAX
        if until_open > 0:
            return max(until_open, MIN_INTERVAL)
        if until_close >= 0:
            best = math.sqrt(2 * (window.late - window.early) / DELAY_WORTH)
            if saved is not None and until_close > 0:  # spread what the budget saved over the rest of it
                best = max(best, until_close / (saved + until_close / FIXED_PACE))
            return _clamp(min(best, FRACTION * until_close), MIN_INTERVAL, UNKNOWN_MAX)
        return _clamp(FRACTION * -until_close, MIN_INTERVAL, UNKNOWN_MAX)

    def _estimate(self, run: TestRun, running_for: float | None) -> tuple[Window | None, bool, bool]:
        """The window; whether it is trusted to say that the run cannot end before it opens; whether
        the run's own count has a say in it."""
        window = self.window(run, running_for)
        if running_for is None or window is None:
            return None, False, False
        done, total = run.counts.done, run.counts.total
        if total <= 0 or done <= 0:  # nothing counted yet: the history is all there is
            return window, True, False
        self._pace.look(done, running_for)
        if done >= total or not self._pace.stalled:
            return window, self._pace.confirmed, True
        history = history_window(self.history)  # the count says nothing about the end; recent runs may
        return history, history is not None, False

    def _no_information(self) -> float:
        if not self._guessing:  # coming back to it: start again from the first interval
            self._unknown, self._guessing = FIRST_UNKNOWN, True
        delay = self._unknown
        self._unknown = min(UNKNOWN_MAX, self._unknown * GROWTH)
        return delay
