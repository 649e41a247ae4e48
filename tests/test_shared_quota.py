"""The rate gate's rules for a key several processes share (a matrix), on a virtual clock.

Each process has its own gate and sees only the answers to its own requests; the quota is one window
that all of them spend, as Buildkite's per-user quota (providers.md 3.4) and the Buildkite simulator
count it. The last test plays eight jobs of a matrix against it, event by event.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from testrun_action.clock import Deadline
from testrun_action.http import HttpClient
from testrun_action.quota import (
    PROBE_SECONDS,
    RATE_BURST,
    RATE_LOW_WATER,
    RECHECK_SECONDS,
    Headroom,
    RateGate,
)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


def quota(remaining: int, reset: int) -> httpx.Headers:
    return httpx.Headers({"RateLimit-User-Remaining": str(remaining), "RateLimit-User-Reset": str(reset)})


def spent_burst(gate: RateGate) -> None:
    for _ in range(RATE_BURST):
        assert gate.reserve() == 0.0
        gate.observe({})  # answered, without quota headers


def test_a_request_told_to_wait_is_decided_again_on_the_answers_that_came_meanwhile() -> None:
    clock = Clock()
    gate = RateGate(clock)
    gate.observe(quota(40, 6))
    spent_burst(gate)
    assert gate.reserve() == 0.0
    wait = gate.reserve()
    assert 0.0 < wait < 1.0  # its turn, at the even pace of what is left
    assert gate.headroom() == Headroom(remaining=35, reset_in=6.0)  # a wait is no turn: nothing counted

    # Meanwhile the answer to the one sent says that other jobs spent all but the reserve.
    gate.observe(quota(RATE_LOW_WATER, 6))
    clock.t += wait

    assert gate.reserve() == pytest.approx(6.0 - wait)  # no turn now: wait for the reset


class AnswerWhileAsleep(Clock):
    """While a request waits for its turn, another thread's answer comes in."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[Callable[[], None]] = []

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.answers:
            self.answers.pop(0)()


def test_a_client_request_told_to_wait_goes_only_when_the_gate_asked_again_says_so() -> None:
    clock, seen = AnswerWhileAsleep(), []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(clock.t)
        return httpx.Response(200, json={}, headers=quota(40 if len(seen) == 1 else 49, 6))

    http = HttpClient(service="Sim", base_url="http://sim.test", headers={}, clock=clock, log=lambda _: None,
                      transport=httpx.MockTransport(answer))  # fmt: skip
    http.json("GET", "/first", deadline=Deadline(clock, 60))
    spent_burst(http.gate)
    assert http.gate.reserve() == 0.0  # another thread's request, not answered yet
    # Its answer comes while the next request waits for its turn: other jobs spent all but the reserve.
    clock.answers.append(lambda: http.gate.observe(quota(RATE_LOW_WATER, 6)))

    http.json("GET", "/next", deadline=Deadline(clock, 60))

    assert seen[1] >= 6.0  # not on the turn it was first told of, but after the reset


def test_our_requests_not_yet_answered_count_as_spent_whatever_an_earlier_answer_says() -> None:
    clock = Clock()
    gate = RateGate(clock)
    gate.observe(quota(49, 6))
    for _ in range(3):  # three pages sent at once
        assert gate.reserve() == 0.0

    gate.observe(quota(30, 6))  # the first answered: other jobs spent 16, and two of ours are out

    assert gate.headroom() == Headroom(remaining=28, reset_in=6.0)


def test_after_a_reset_one_request_goes_and_the_others_wait_for_its_answer() -> None:
    clock = Clock()
    gate = RateGate(clock)
    gate.observe(quota(45, 6))
    spent_burst(gate)
    clock.t = 6.0  # the window has reset: nothing is known of the next one

    assert gate.reserve() == 0.0  # one goes
    waits = [gate.reserve() for _ in range(3)]  # the others ask, and ask again shortly
    assert all(0.0 < w <= RECHECK_SECONDS for w in waits)

    gate.observe(quota(12, 5))  # its answer: other jobs have spent most of the new window
    assert gate.reserve() == 0.0  # the two above the reserve, paced
    assert gate.reserve() == pytest.approx(5.0 / 2)


def test_a_probe_that_gets_no_answer_holds_the_others_for_a_short_while_only() -> None:
    clock = Clock()
    gate = RateGate(clock)
    gate.observe(quota(45, 6))
    clock.t = 6.0
    assert gate.reserve() == 0.0

    clock.t += PROBE_SECONDS
    assert gate.reserve() == 0.0  # the first may be lost: another goes

    gate.unanswered()  # it was: the next one goes at once
    assert gate.reserve() == 0.0


def test_a_service_that_announces_no_quota_is_never_paced() -> None:
    clock = Clock()
    gate = RateGate(clock)

    assert [gate.reserve() for _ in range(20)] == [0.0] * 20
    assert clock.t == 0.0


def test_a_request_at_its_deadline_goes_anyway_and_counts_as_spent() -> None:
    clock, seen = Clock(), []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(clock.t)
        return httpx.Response(200, json={}, headers=quota(RATE_LOW_WATER - 1, 30) if len(seen) == 1 else {})

    http = HttpClient(service="Sim", base_url="http://sim.test", headers={}, clock=clock, log=lambda _: None,
                      transport=httpx.MockTransport(answer))  # fmt: skip
    http.json("GET", "/a", deadline=Deadline(clock, 60))  # the quota is now below the reserve

    http.json("PUT", "/cancel", deadline=Deadline(clock, 2))  # no time to wait 30 s for the reset

    assert seen == [0.0, 0.0]
    assert http.gate.headroom() == Headroom(remaining=RATE_LOW_WATER - 2, reset_in=30.0)


# -- a matrix, event by event -------------------------------------------------------------------------
@dataclass
class SharedWindow:
    """One quota for every process, counted as the Buildkite simulator counts it: a window starts with
    the first request after the last one ended; the reset is announced in whole seconds."""

    limit: int = 50
    seconds: float = 6.0
    start: float = -math.inf
    spent: int = 0
    refused: int = 0
    served: int = 0

    def serve(self, now: float) -> tuple[int, httpx.Headers]:
        if now - self.start >= self.seconds:
            self.start, self.spent = now, 0
        self.spent += 1
        self.served += 1
        reset = max(1, math.ceil(self.start + self.seconds - now))
        if self.spent > self.limit:
            self.refused += 1
            return 429, quota(0, reset)
        return 200, quota(self.limit - self.spent, reset)


@dataclass
class Events:
    clock: Clock
    queue: list[tuple[float, int, Callable[[], None]]] = field(default_factory=list)
    order: itertools.count[int] = field(default_factory=itertools.count)

    def at(self, when: float, then: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.order), then))

    def run(self, limit: int = 100_000) -> None:
        for _ in range(limit):
            if not self.queue:
                return
            when, _, then = heapq.heappop(self.queue)
            self.clock.t = max(self.clock.t, when)
            then()
        raise AssertionError("the events never ended")


def matrix(jobs: int, seed: int, latency: float) -> SharedWindow:
    """`jobs` processes whose builds end together: each triggers and polls, reads its results, then
    its history (two lists, then ten earlier runs' failures four at a time) after a pause of up to 2 s,
    as `benchmarks/matrix.py` runs them for real. Every request asks its process's gate for a turn
    and asks again when told to wait; a 429 holds the process until the reset and is sent again."""
    rng, clock = random.Random(seed), Clock()
    events, window = Events(clock), SharedWindow()

    def send(gate: RateGate, then: Callable[[], None]) -> None:
        wait = gate.reserve()
        if wait > 0:
            events.at(clock.t + wait, lambda: send(gate, then))
            return

        def served() -> None:
            status, headers = window.serve(clock.t)
            events.at(clock.t + latency * rng.uniform(0.3, 1.0), lambda: answered(status, headers))

        def answered(status: int, headers: httpx.Headers) -> None:
            gate.observe(headers)
            if status == 429:
                reset = float(headers["RateLimit-User-Reset"])
                gate.hold(reset)
                events.at(clock.t + reset + rng.uniform(0, 0.5), lambda: send(gate, then))
            else:
                then()

        events.at(clock.t + latency * rng.uniform(0.3, 1.0), served)

    def one_by_one(gate: RateGate, count: int, then: Callable[[], None]) -> None:
        if count:
            send(gate, lambda: one_by_one(gate, count - 1, then))
        else:
            then()

    def four_at_once(gate: RateGate, count: int) -> None:
        left = [count]

        def next_one() -> None:
            if left[0]:
                left[0] -= 1
                send(gate, next_one)

        for _ in range(4):
            next_one()

    def history(gate: RateGate) -> None:
        headroom = gate.headroom()
        pause = rng.uniform(0.0, min(2.0, headroom.reset_in / 2) if headroom else 2.0)
        events.at(clock.t + pause, lambda: one_by_one(gate, 2, lambda: four_at_once(gate, 10)))

    for _ in range(jobs):
        gate, start = RateGate(clock), 1.0 + rng.uniform(0.0, 1.5)
        events.at(start, lambda g=gate: one_by_one(g, 2, lambda: None))  # trigger, status
        events.at(start + 10, lambda g=gate: one_by_one(g, 2, lambda: None))  # status: ended
        events.at(start + 15, lambda g=gate: one_by_one(g, 4, lambda g=g: history(g)))  # again; results
    events.run()
    return window


@pytest.mark.parametrize("latency", [0.01, 0.2])
def test_eight_jobs_on_one_key_whose_runs_end_together_run_into_no_429(latency: float) -> None:
    windows = [matrix(8, seed, latency) for seed in range(10)]

    assert all(w.served >= 8 * 20 for w in windows)
    assert [w.refused for w in windows] == [0] * 10
