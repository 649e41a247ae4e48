"""The poll schedule, as a specification: when the action looks at a run again, and why."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from testrun_action.clock import Deadline, VirtualClock
from testrun_action.model import Counts, Phase, TestRun
from testrun_action.polling import (
    DELAY_WORTH,
    QUOTA_RESERVE,
    SPARSE_MAX,
    STALL_MAX,
    STALL_PACES,
    UNKNOWN_MAX,
    PollSchedule,
    Window,
    history_window,
    progress_window,
)
from testrun_action.quota import Headroom
from testrun_action.waiting import wait_for_run


def running(done: int = 0, total: int = 0) -> TestRun:
    return TestRun(
        id="7", url="", state="started", phase=Phase.RUNNING, counts=Counts(total=total, passed=done)
    )


QUEUED = TestRun(id="7", url="", state="queued", phase=Phase.WAITING)


# -- a fixed interval ------------------------------------------------------------------------------
def test_poll_interval_fixes_every_check_whatever_is_known() -> None:
    schedule = PollSchedule(fixed=7.0, history=(300.0,))

    delays = [schedule.next_delay(QUEUED, None), schedule.next_delay(running(59, 60), 295.0)]

    assert delays == [7.0, 7.0]
    assert schedule.next_delay(running(10, 60), 50.0, Headroom(remaining=0, reset_in=60)) == 7.0


# -- nothing to go by -------------------------------------------------------------------------------
def test_a_queued_run_is_checked_after_2_s_then_half_as_long_again_up_to_10_s() -> None:
    schedule = PollSchedule()

    delays = [schedule.next_delay(QUEUED, None) for _ in range(7)]

    assert delays == [2.0, 3.0, 4.5, 6.75, UNKNOWN_MAX, UNKNOWN_MAX, UNKNOWN_MAX]


def test_a_running_run_with_nothing_counted_and_no_history_is_checked_as_a_queued_one() -> None:
    schedule = PollSchedule()

    assert [schedule.next_delay(running(0, 60), t) for t in (1.0, 3.0)] == [2.0, 3.0]


def test_a_cancelling_run_is_checked_every_2_s() -> None:
    cancelling = TestRun(id="7", url="", state="cancelling", phase=Phase.CANCELLING)

    assert PollSchedule().next_delay(cancelling, 100.0) == 2.0


# -- where the end should be ------------------------------------------------------------------------
def test_progress_puts_the_end_between_the_next_count_and_the_last_one() -> None:
    # 20 of 60 tests counted after 100 s: the 21st may be counted any moment (end at 100 * 60 / 21 s)
    # or have just been (end at 100 * 60 / 20 s).
    window = progress_window(running(20, 60), 100.0)

    assert window is not None
    assert window.early == pytest.approx(100 * 60 / 21)
    assert window.late == pytest.approx(100 * 60 / 20)


def test_with_one_test_left_the_window_is_open_now() -> None:
    assert progress_window(running(59, 60), 295.0) == Window(295.0, 300.0)


def test_nothing_counted_or_no_total_gives_no_window() -> None:
    assert progress_window(running(0, 60), 100.0) is None
    assert progress_window(running(0, 0), 100.0) is None


def test_recent_runs_give_their_range_widened_by_5_percent() -> None:
    assert history_window([300.0, 280.0, 320.0]) == Window(280.0 * 0.95, 320.0 * 1.05)
    assert history_window([]) is None


def test_history_narrows_the_window_and_progress_wins_when_they_disagree() -> None:
    agreeing = PollSchedule(history=(270.0, 280.0))  # 256.5-294 s
    disagreeing = PollSchedule(history=(900.0,))

    assert agreeing.window(running(20, 60), 100.0) == Window(100 * 60 / 21, 294.0)
    assert disagreeing.window(running(20, 60), 100.0) == progress_window(running(20, 60), 100.0)


def test_without_progress_history_alone_sets_the_window() -> None:
    schedule = PollSchedule(history=(300.0,))

    assert schedule.window(running(0, 0), 10.0) == Window(285.0, 315.0)


# -- how often, given the window -------------------------------------------------------------------
def test_long_before_the_window_the_checks_are_30_s_apart() -> None:
    schedule = PollSchedule(history=(7200.0,))

    assert schedule.next_delay(running(0, 0), 60.0) == SPARSE_MAX


def test_before_a_window_from_recent_runs_alone_the_next_check_is_when_it_opens() -> None:
    schedule = PollSchedule(history=(300.0,))  # opens at 285 s

    assert schedule.next_delay(running(0, 0), 245.0) == SPARSE_MAX
    assert schedule.next_delay(running(0, 0), 270.0) == pytest.approx(15.0)  # looking sooner tells nothing
    assert schedule.next_delay(running(0, 0), 284.5) == 1.0  # never more often than once a second


def counting_at_pace(schedule: PollSchedule, seconds: list[float], per_test: float = 5.0) -> float:
    """Looks at a run counting one test every `per_test` s, at each of `seconds`; the last delay asked."""
    delays = [schedule.next_delay(running(int(t / per_test), 60), t) for t in seconds]
    return delays[-1]


def test_as_a_window_from_a_steady_count_nears_the_wait_is_a_quarter_of_the_time_until_it_opens_but_no_less_than_10_s() -> (
    None
):
    # 60 tests, one counted every 5 s: the end at 300 s
    far = counting_at_pace(PollSchedule(), [100.0, 130.0, 160.0])
    nearing = counting_at_pace(PollSchedule(), [100.0, 130.0, 250.0])
    near = counting_at_pace(PollSchedule(), [100.0, 130.0, 290.0])

    assert far == SPARSE_MAX
    assert nearing == pytest.approx(0.25 * (250 + 250 * 9 / 51 - 250))
    assert near == pytest.approx(290 + 290 * 1 / 59 - 290)  # the next check when it opens


def test_inside_a_narrow_window_checks_come_every_second() -> None:
    schedule = PollSchedule()

    assert schedule.next_delay(running(59, 60), 295.0) == 1.0


def test_inside_a_wide_window_the_checks_are_spaced_by_what_its_width_is_worth() -> None:
    schedule = PollSchedule(history=(6000.0, 6600.0))  # 5,700-6,930 s: an end somewhere in 20 minutes

    delay = schedule.next_delay(running(0, 0), 6000.0)

    assert delay == pytest.approx(math.sqrt(2 * (6930 - 5700) / DELAY_WORTH))
    assert 1.0 < delay < UNKNOWN_MAX


def test_near_the_far_edge_of_the_window_checks_get_denser() -> None:
    schedule = PollSchedule(history=(6000.0, 6600.0))

    assert schedule.next_delay(running(0, 0), 6926.0) == 1.0


def test_once_every_test_is_counted_the_end_is_due_and_lateness_backs_off_to_10_s() -> None:
    schedule = PollSchedule()

    first = schedule.next_delay(running(60, 60), 300.0)
    later = [schedule.next_delay(running(60, 60), 300.0 + overdue) for overdue in (8.0, 20.0, 200.0)]

    assert first == 1.0
    assert later == [2.0, 5.0, UNKNOWN_MAX]


def test_past_every_recent_run_the_checks_back_off_to_10_s() -> None:
    schedule = PollSchedule(history=(300.0,))

    assert schedule.next_delay(running(0, 0), 315.0 + 8.0) == 2.0
    assert schedule.next_delay(running(0, 0), 315.0 + 400.0) == UNKNOWN_MAX


# -- the service's rate limit -----------------------------------------------------------------------
def test_a_rate_limit_spreads_the_quota_left_less_a_reserve_until_it_resets() -> None:
    schedule = PollSchedule()
    near_the_end = running(59, 60)

    plenty = schedule.next_delay(near_the_end, 295.0, Headroom(remaining=190, reset_in=50.0))
    scarce = schedule.next_delay(near_the_end, 295.0, Headroom(remaining=QUOTA_RESERVE + 5, reset_in=50.0))
    spent = schedule.next_delay(near_the_end, 295.0, Headroom(remaining=3, reset_in=42.0))

    assert plenty == 1.0
    assert scarce == pytest.approx(10.0)
    assert spent == 42.0


# -- the whole wait, on a virtual clock ------------------------------------------------------------
class EvenRun:
    """A provider whose run is queued for `queued` s, then counts `tests` evenly over `duration` s."""

    name = "Simulated"

    def __init__(self, clock: VirtualClock, duration: float, tests: int, queued: float = 4.0) -> None:
        self.clock, self.duration, self.tests, self.queued = clock, duration, tests, queued
        self.started = clock.now()
        self.polls = 0

    @property
    def ends_at(self) -> float:
        return self.started + self.queued + self.duration

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        self.polls += 1
        elapsed = self.clock.now() - self.started
        if elapsed < self.queued:
            return QUEUED
        if elapsed >= self.queued + self.duration:
            return TestRun(id="7", url="", state="ended", phase=Phase.FINISHED, confirmed=True)
        return running(int(self.tests * (elapsed - self.queued) / self.duration), self.tests)


def wait(provider: EvenRun, clock: VirtualClock, schedule: PollSchedule, log: list[str]) -> float:
    waited = wait_for_run(
        provider,  # type: ignore[arg-type]
        QUEUED,
        deadline=Deadline(clock, 6 * 3600),
        schedule=schedule,
        clock=clock,
        log=log.append,
    )
    assert waited.run.phase is Phase.FINISHED
    return clock.now() - provider.ends_at


@pytest.mark.parametrize(("minutes", "tests"), [(5, 60), (30, 200), (120, 400)])
def test_an_evenly_counted_run_is_noticed_within_2_s_with_fewer_checks_than_every_10_s(
    minutes: int, tests: int
) -> None:
    delays, polls = [], []
    for offset in range(5):  # runs of slightly different lengths: no lucky alignment with the checks
        clock = VirtualClock()
        provider = EvenRun(clock, minutes * 60 + offset * 1.7, tests)
        delays.append(wait(provider, clock, PollSchedule(), []))
        polls.append(provider.polls)

    assert statistics.mean(delays) < 2.0
    assert statistics.mean(polls) < minutes * 60 / 10


def test_a_long_run_still_shows_a_heartbeat_at_least_once_a_minute() -> None:
    clock = VirtualClock()
    provider = EvenRun(clock, 2 * 3600, 400)
    log: list[str] = []
    said_at: list[float] = []

    def remember(line: str) -> None:
        log.append(line)
        said_at.append(clock.now())

    wait_for_run(
        provider,  # type: ignore[arg-type]
        QUEUED,
        deadline=Deadline(clock, 6 * 3600),
        schedule=PollSchedule(),
        clock=clock,
        log=remember,
    )

    gaps = [later - earlier for earlier, later in itertools.pairwise(said_at)]
    assert max(gaps) <= 60.0 + 1e-6
    assert sum("still started" in line for line in log) >= 100


class ThriftyService(EvenRun):
    """A service that announces only 12 requests left, 40 s before its quota resets, at every answer."""

    def __init__(self, clock: VirtualClock, duration: float, tests: int) -> None:
        super().__init__(clock, duration, tests)
        self.moments: list[float] = []

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        self.moments.append(self.clock.now())
        return super().poll(run_id, deadline)

    def headroom(self) -> Headroom:
        return Headroom(remaining=QUOTA_RESERVE + 2, reset_in=40.0)


def test_the_wait_never_checks_faster_than_the_quota_allows_not_even_for_the_heartbeat() -> None:
    clock = VirtualClock()
    provider = ThriftyService(clock, 600, 60)

    wait(provider, clock, PollSchedule(), [])

    gaps = [later - earlier for earlier, later in itertools.pairwise(provider.moments)]
    assert min(gaps) >= 20.0  # the 2 requests above the reserve, spread over the 40 s left


# -- progress as real runs show it, on a virtual clock ---------------------------------------------
Counting = Callable[[float], float]  # seconds running -> share of the tests counted


class PatternRun:
    """A provider whose run is queued for `queued` s, then runs `duration` s counting `tests` by `counting`
    (None: counts nothing until the end), and remembers the moment of every status check."""

    name = "Simulated"

    def __init__(
        self,
        clock: VirtualClock,
        duration: float,
        counting: Counting | None,
        queued: float = 4.0,
        tests: int = 60,
    ) -> None:
        self.clock, self.duration, self.counting, self.queued, self.tests = (
            clock,
            duration,
            counting,
            queued,
            tests,
        )
        self.started = clock.now()
        self.moments: list[float] = []

    @property
    def ends_at(self) -> float:
        return self.started + self.queued + self.duration

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        self.moments.append(self.clock.now())
        elapsed = self.clock.now() - self.started
        if elapsed < self.queued:
            return QUEUED
        if elapsed >= self.queued + self.duration:
            return TestRun(id="7", url="", state="ended", phase=Phase.FINISHED, confirmed=True)
        if self.counting is None:
            return running()
        return running(int(self.tests * self.counting(elapsed - self.queued)), self.tests)

    def gaps(self, since: float = 0.0) -> list[float]:
        """Seconds between checks, from `since` seconds after the wait began (the first gap: from then)."""
        moments = [self.started + since, *(m for m in self.moments if m > self.started + since)]
        return [later - earlier for earlier, later in itertools.pairwise(moments)]

    @property
    def every_10_s(self) -> int:
        """The checks polling every 10 s would make: the first at 10 s, the last the first at or after the end."""
        checks = 1  # counted as `poll` tells the end, to the last bit of floating point
        while (self.started + 10.0 * checks) - self.started < self.queued + self.duration:
            checks += 1
        return checks


def waited_out(
    duration: float, counting: Counting | None, history: tuple[float, ...] = (), queued: float = 4.0
) -> tuple[PatternRun, float]:
    """The run, and how long after its end the wait noticed it."""
    clock = VirtualClock()
    provider = PatternRun(clock, duration, counting, queued)
    delay = wait(provider, clock, PollSchedule(history=history), [])  # type: ignore[arg-type]
    return provider, delay


def stalled_at_90_percent_after_40_s(running_for: float) -> float:
    return min(0.9, 0.9 * running_for / 40)


def half_at_once(running_for: float) -> float:
    return 0.5 if running_for >= 1 else 0.0


def half_at_half_time(length: float) -> Counting:
    return lambda running_for: 0.5 if running_for >= length / 2 else 0.0


def test_a_count_stalled_at_90_percent_is_checked_no_more_often_than_every_10_s_once_the_stall_is_noticed() -> (
    None
):
    provider, delay = waited_out(302.0, stalled_at_90_percent_after_40_s)

    stall_noticed = 40 + 4.0 + 20  # seconds into the wait: queued 4 s, then a look or two at the window
    assert min(provider.gaps(since=stall_noticed)[1:]) >= 10.0 - 1e-6
    assert len(provider.moments) <= provider.every_10_s
    assert delay <= 10.0


def test_a_slow_count_stalled_for_minutes_is_checked_every_10_s_within_a_minute_and_a_half() -> None:
    # 60 tests in two hours, one every two minutes, at 90 % 262 s before the end: still for a minute is a stall
    length = 7213.0

    def slow_then_stalled(running_for: float) -> float:
        return min(0.9, 0.9 * running_for / (length - 262))

    provider, delay = waited_out(length, slow_then_stalled)

    stall_noticed = 4.0 + length - 262 + 60 + SPARSE_MAX
    assert max(provider.gaps(since=stall_noticed)) <= 10.0 + 1e-6
    assert delay <= 10.0


def test_a_history_far_too_short_and_the_heartbeat_still_cost_no_more_checks_than_every_10_s() -> None:
    # recent runs took half as long: past their window the wait backs off to 10 s, and the heartbeat
    # (once a minute) must not add a check the budget has no room for
    provider, delay = waited_out(497.0, None, history=(248.5,), queued=0.0)

    assert len(provider.moments) <= provider.every_10_s
    assert max(provider.gaps(since=300.0)) <= 10.0 + 1e-6
    assert delay <= 10.0


def test_a_count_that_moves_again_after_a_stall_is_trusted_again() -> None:
    def stall_then_resume(running_for: float) -> float:  # 30 % in 60 s, still for 2 min, then on at that pace
        if running_for < 60:
            return 0.3 * running_for / 60
        return 0.3 if running_for < 180 else 0.3 + 0.3 * (running_for - 180) / 60

    provider, _ = waited_out(320.0, stall_then_resume)

    moments = [m - provider.started for m in provider.moments]
    stall_gaps = [b - a for a, b in itertools.pairwise(m for m in moments if 4 + 90 <= m <= 4 + 180)]
    resumed_gaps = [b - a for a, b in itertools.pairwise(m for m in moments if 4 + 200 <= m <= 4 + 290)]
    assert max(stall_gaps) <= 10.0 + 1e-6  # the stalled count says nothing: as often as fixed polling
    assert max(resumed_gaps) > 10.0  # moving at its pace again: the far end is trusted


@pytest.mark.parametrize("length", [127.0, 244.0, 302.0], ids=["127 s", "244 s", "302 s"])
def test_half_counted_at_once_is_never_left_more_than_10_s(length: float) -> None:
    provider, delay = waited_out(length, half_at_once)

    assert max(provider.gaps()) <= 10.0 + 1e-6
    assert delay <= 10.0
    assert len(provider.moments) <= provider.every_10_s


def test_two_equal_shards_are_never_left_more_than_10_s_after_the_first_reports() -> None:
    provider, delay = waited_out(604.0, half_at_half_time(604.0))

    assert max(provider.gaps(since=4 + 302)) <= 10.0 + 1e-6
    assert delay <= 10.0
    assert len(provider.moments) <= provider.every_10_s


def test_a_run_counting_nothing_and_no_history_is_checked_as_often_as_every_10_s_and_no_more() -> None:
    provider, delay = waited_out(1807.0, None)

    assert max(provider.gaps()) <= 10.0 + 1e-6
    assert len(provider.moments) == provider.every_10_s
    assert delay <= 10.0


@pytest.mark.parametrize(
    "counting",
    [None, half_at_once, stalled_at_90_percent_after_40_s],
    ids=["nothing until the end", "half at once", "stalled at 90 %"],
)
def test_with_a_steady_history_any_progress_is_noticed_within_2_s_with_fewer_checks_than_every_10_s(
    counting: Counting | None,
) -> None:
    delays, saved = [], []
    for offset in range(5):
        length = 602.0 + offset * 2.3
        history = tuple(length * f for f in (0.97, 1.02, 0.99, 1.03, 0.98))
        provider, delay = waited_out(length, counting, history, queued=3.0 + offset * 1.1)
        delays.append(delay)
        saved.append(provider.every_10_s - len(provider.moments))

    assert statistics.mean(delays) < 2.0
    assert max(delays) <= 10.0
    assert min(saved) > 0


def test_a_burst_after_a_stall_is_no_pace_and_a_steady_history_still_watches_the_end() -> None:
    # Half counted at once, nothing for three minutes, then a shard's burst at 82 %: two moves, but the
    # second ends a stall, so the count's pace is not believed over recent runs that say the end is due.
    length = 223.0
    counting = steps_counting(length, [(0.0, 0.5), (0.8203125, 0.625)], paced=False)

    provider, delay = waited_out_pattern(length, 8.0, counting, history=(length,))

    burst = 8.0 + 0.8203125 * length
    assert max(provider.gaps(since=burst)[1:]) <= 10.0 + 1e-6  # after the look that sees it
    assert delay <= 10.0


# -- the two bounds, over generated progress ------------------------------------------------------
TESTS = 60


def steps_counting(length: float, steps: list[tuple[float, float]], paced: bool) -> Counting:
    """Through `steps` (share of the run, share counted): all at each step, or at a pace between them."""

    def counting(running_for: float) -> float:
        at, reached = 0.0, 0.0
        for when, level in steps:
            level = max(level, reached)
            if running_for < when * length:
                if paced and when > at:
                    return reached + (level - reached) * (running_for / length - at) / (when - at)
                return reached
            at, reached = when, level
        return reached

    return counting


@st.composite
def progress_patterns(draw: st.DrawFn) -> tuple[float, float, Counting | None, tuple[float, ...]]:
    """A run's length and queue time, how it counts its tests, and the history known of it.

    The count is a step function through random moments: bursts of any size (shards reporting),
    stretches at any pace (tests counted as they finish), stalls of any length; or nothing until the
    end. The history is missing, steady, or wrong by up to a factor of two either way.
    """
    length = draw(st.floats(30.0, 3600.0))
    queued = draw(st.floats(0.0, 60.0))
    counting = None
    if draw(st.booleans()):
        steps = draw(st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=1, max_size=8))
        counting = steps_counting(length, sorted(steps), paced=draw(st.booleans()))
    kind = draw(st.sampled_from(["none", "steady", "wrong"]))
    spread = {"none": (1.0, 1.0), "steady": (0.95, 1.05), "wrong": (0.5, 2.0)}[kind]
    runs = 0 if kind == "none" else draw(st.integers(1, 10))
    history = tuple(length * draw(st.floats(*spread)) for _ in range(runs))
    return length, queued, counting, history


def still_before_the_end(length: float, counting: Counting | None) -> float:
    """Seconds the count stood still before the run ended, less the time it takes the schedule to call
    that a stall: twice the time a test took until then (a minute at most), and the look that sees it,
    which a steadily moving count may leave up to `SPARSE_MAX` away; all of it, counting nothing."""
    if counting is None:
        return length
    done = [int(TESTS * counting(t / 2)) for t in range(int(length * 2))]
    last_move = max((t for t in range(1, len(done)) if done[t] != done[t - 1]), default=0) / 2
    counted = done[-1] if done else 0
    pace = last_move / counted if counted else 0.0
    return length - last_move - min(STALL_PACES * pace, STALL_MAX) - SPARSE_MAX


def waited_out_pattern(
    length: float, queued: float, counting: Counting | None, history: tuple[float, ...]
) -> tuple[PatternRun, float]:
    clock = VirtualClock()
    provider = PatternRun(clock, length, counting, queued, TESTS)
    return provider, wait(provider, clock, PollSchedule(history=history), [])  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(progress_patterns())
def test_whatever_the_progress_and_history_no_more_checks_than_every_10_s(
    pattern: tuple[float, float, Counting | None, tuple[float, ...]],
) -> None:
    provider, delay = waited_out_pattern(*pattern)

    assert len(provider.moments) <= provider.every_10_s
    assert delay <= SPARSE_MAX  # a run that breaks off a steady count, or a wrong history: 30 s at worst


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(progress_patterns())
def test_whatever_the_progress_a_stalled_or_silent_run_is_never_left_more_than_10_s(
    pattern: tuple[float, float, Counting | None, tuple[float, ...]],
) -> None:
    length, queued, counting, history = pattern
    assume(still_before_the_end(length, counting) >= SPARSE_MAX)  # stalled, by the schedule's reckoning
    assume(all(0.95 * length <= h <= 1.05 * length for h in history))  # no history, or a steady one

    provider, delay = waited_out_pattern(length, queued, counting, history)

    assert delay <= 10.0
    assert len(provider.moments) <= provider.every_10_s


def test_the_heartbeat_says_when_the_run_should_end() -> None:
    clock = VirtualClock()
    provider = EvenRun(clock, 2 * 3600, 400)  # 400 tests at an even pace over two hours
    log: list[str] = []

    wait_for_run(
        provider,  # type: ignore[arg-type]
        QUEUED,
        deadline=Deadline(clock, 6 * 3600),
        schedule=PollSchedule(),
        clock=clock,
        log=log.append,
    )

    heartbeats = [line for line in log if "still started" in line]
    halfway = next(line for line in heartbeats if "200/400 done" in line or "201/400 done" in line)
    ends_in = re.search(r"ends in about (\d+)m(?:\d+s)?-(\d+)m", halfway)
    assert ends_in is not None, halfway
    assert 55 <= int(ends_in.group(1)) <= int(ends_in.group(2)) <= 65  # an hour left, by the count
