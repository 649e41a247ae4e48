"""When to look at a run again: a poll schedule built from what is known about when it will end.

With `poll-interval` set, every check is that many seconds apart. Otherwise the schedule estimates a
window in which the run should end, in seconds of running time, from two sources:

- progress: with `done` of `total` tests counted after `r` seconds, and tests counted as they finish,
  the end lies between `r * total / (done + 1)` (the next test is about to be counted) and
  `r * total / done` (it has just been). When every test is counted, the end is due now.
- history: recent runs of the same environment took between `min` and `max` seconds; widened by
  `HISTORY_SLACK`, that is where this one should end too.

Where both are known, their overlap (this run's own progress wins when they disagree). Then:

- before the window, check again after a quarter of the time left until it opens (at most `SPARSE_MAX`):
  few checks while nothing can happen, denser as the window nears;
- inside it, as often as its width `w` is worth: an end anywhere in it is noticed after half an
  interval `i` on average, at the price of `w / i` checks; weighing a second of delay as
  `DELAY_WORTH` checks, the best interval is `sqrt(2 w / DELAY_WORTH)`. Denser still as its far
  edge nears (a quarter of the time left), within `MIN_INTERVAL`-`UNKNOWN_MAX`;
- past it (overdue), back off by a quarter of the time overdue, to `UNKNOWN_MAX`;
- with no window (a queued run, or nothing counted and no history), start at 2 s and grow by half
  each time to `UNKNOWN_MAX`.

A rate limit the service announces sets a floor: the requests left in its window, less a reserve for
reading failures and cancelling, are spread over the time until it resets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .http import Headroom
from .model import Phase, TestRun

MIN_INTERVAL = 1.0  # never more often than once a second
DELAY_WORTH = 40.0  # status checks worth spending to notice the end one second sooner
SPARSE_MAX = 30.0  # before the window; the log's heartbeat (once a minute) needs a check that often
UNKNOWN_MAX = 10.0  # nothing to go by: never sparser than the common fixed 10 s
FIRST_UNKNOWN = 2.0
GROWTH = 1.5
FRACTION = 0.25  # of the time left before the window opens
CANCELLING_INTERVAL = 2.0
HISTORY_SLACK = 0.05  # recent runs' durations, widened by 5% either way
QUOTA_RESERVE = 10  # requests kept back for reading failures and cancelling (http.RATE_LOW_WATER)


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
class PollSchedule:
    """Seconds until the next status check (see the module's description)."""

    fixed: float | None = None
    history: tuple[float, ...] = ()  # seconds that recent runs of this environment ran
    _unknown: float = field(default=FIRST_UNKNOWN, repr=False)
    _complete_at: float | None = field(default=None, repr=False)

    def window(self, run: TestRun, running_for: float | None) -> Window | None:
        if run.phase is not Phase.RUNNING or running_for is None:
            return None
        complete = run.counts.total > 0 and run.counts.done >= run.counts.total
        if not complete:
            self._complete_at = None
        elif self._complete_at is None:
            self._complete_at = running_for
        return combined(progress_window(run, running_for, self._complete_at), history_window(self.history))

    def next_delay(self, run: TestRun, running_for: float | None, headroom: Headroom | None = None) -> float:
        if self.fixed is not None:
            return self.fixed
        delay = self._adaptive(run, running_for)
        return max(delay, quota_floor(headroom)) if headroom is not None else delay

    def _adaptive(self, run: TestRun, running_for: float | None) -> float:
        if run.phase is Phase.CANCELLING:
            return CANCELLING_INTERVAL
        window = self.window(run, running_for)
        if window is None or running_for is None:
            delay = self._unknown
            self._unknown = min(UNKNOWN_MAX, self._unknown * GROWTH)
            return delay
        until_open, until_close = window.early - running_for, window.late - running_for
        if until_open > 0:
            return _clamp(FRACTION * until_open, MIN_INTERVAL, SPARSE_MAX)
        if until_close >= 0:
            best = math.sqrt(2 * (window.late - window.early) / DELAY_WORTH)
            return _clamp(min(best, FRACTION * until_close), MIN_INTERVAL, UNKNOWN_MAX)
        return _clamp(FRACTION * -until_close, MIN_INTERVAL, UNKNOWN_MAX)
