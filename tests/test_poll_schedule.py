"""The poll schedule, as a specification: when the action looks at a run again, and why."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from testrun_action.clock import Deadline, VirtualClock
from testrun_action.http import Headroom
from testrun_action.model import Counts, Phase, TestRun
from testrun_action.polling import (
    DELAY_WORTH,
    QUOTA_RESERVE,
    SPARSE_MAX,
    UNKNOWN_MAX,
    PollSchedule,
    Window,
    history_window,
    progress_window,
)
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


def test_as_the_window_nears_the_wait_is_a_quarter_of_the_time_until_it_opens() -> None:
    schedule = PollSchedule(history=(300.0,))  # opens at 285 s

    assert schedule.next_delay(running(0, 0), 245.0) == pytest.approx(10.0)
    assert schedule.next_delay(running(0, 0), 281.0) == 1.0  # never more often than once a second


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
