"""Adaptive polling through the whole flow: real HTTP to the Empirical simulator, which shares a virtual
clock with the action, so minutes of waiting take milliseconds and every request's moment is exact."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testrun_action.clock import Deadline, VirtualClock
from testrun_action.errors import ServiceUnavailable
from testrun_action.flow import Hooks
from testrun_action.polling import PollSchedule
from testrun_action.waiting import plan
from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.server import Served

from .conftest import Job, Simulated

STATUS = r"^/api/test-runs$"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def clocked(clock: VirtualClock) -> Iterator[Simulated]:
    app = EmpiricalSimulator(clock=clock.now)
    with Served(app) as served:
        yield Simulated(app, served.url)


def earlier_run(sim: Simulated, clock: VirtualClock, environment: str, **scenario: Any) -> None:
    """A run triggered and left to end before the one under test."""
    sim.app.scenarios[environment] = Scenario(**{"queued": 2.0, "tests": 60, **scenario})
    response = httpx.put(
        f"{sim.url}/api/test-runs",
        json={"environment": environment},
        headers={"Authorization": f"Bearer {DEFAULT_KEY}"},
    )
    assert response.status_code == 200
    clock.sleep(scenario.get("duration", 4.0) + 10)


def status_checks(sim: Simulated, run_id: int) -> list[dict[str, Any]]:
    return [r for r in sim.app.recorded("GET", STATUS) if r["query"].get("id") == str(run_id)]


def history_reads_while_waiting(sim: Simulated) -> list[dict[str, Any]]:
    """Reads of the run list before the run under test ended (the report reads it again afterwards)."""
    run = max(sim.app.runs.values(), key=lambda r: r.id)
    ended_at = run.created + run.scenario.pending + run.scenario.queued + run.scenario.duration
    return [r for r in sim.app.recorded("GET", STATUS) if "state" in r["query"] and r["clock"] < ended_at]


def run_job(tmp_path: Any, sim: Simulated, clock: VirtualClock, **inputs: str) -> Any:
    job = Job(tmp_path)
    job.api_url = sim.url
    return job.run(hooks=Hooks(clock=clock), check_run="false", **inputs)


def test_recent_durations_are_the_ended_runs_of_our_environment_in_seconds_newest_first(
    clocked: Simulated, clock: VirtualClock, tmp_path: Any
) -> None:
    for seconds in (290.0, 310.0):
        earlier_run(clocked, clock, "staging", duration=seconds)
    earlier_run(clocked, clock, "production", duration=60.0)
    earlier_run(clocked, clock, "staging", duration=30.0, error_code="worker_interrupted")
    clocked.app.scenarios["staging"] = Scenario(queued=2.0, duration=300.0, tests=60)

    result = run_job(tmp_path, clocked, clock, poll_interval="")

    assert result.code == 0, result.log
    assert "2 recent runs took 4m50s-5m10s once started; checking most often around then." in result.log
    assert [r["query"] for r in history_reads_while_waiting(clocked)] == [
        {"state": "ended", "per_page": "100"}
    ]


@pytest.mark.parametrize("with_history", [False, True], ids=["no history", "history"])
def test_a_five_minute_run_is_noticed_within_2_s_with_fewer_checks_than_every_10_s(
    clocked: Simulated, clock: VirtualClock, tmp_path: Any, with_history: bool
) -> None:
    if with_history:
        for seconds in (286.0, 305.0, 296.0, 312.0):
            earlier_run(clocked, clock, "staging", duration=seconds)
    clocked.app.scenarios["staging"] = Scenario(queued=3.0, duration=300.0, tests=60)

    result = run_job(tmp_path, clocked, clock, poll_interval="")

    assert result.code == 0, result.log
    run = max(clocked.app.runs.values(), key=lambda r: r.id)
    ended_at = run.created + 3.0 + 300.0
    checks = status_checks(clocked, run.id)
    noticed_at = next(r["clock"] for r in checks if r["clock"] >= ended_at)
    assert noticed_at - ended_at < 2.0
    assert len(checks) < 300 / 10


def test_a_fixed_poll_interval_reads_no_history_and_checks_at_that_interval(
    clocked: Simulated, clock: VirtualClock, tmp_path: Any
) -> None:
    earlier_run(clocked, clock, "staging", duration=60.0)
    clocked.app.scenarios["staging"] = Scenario(queued=2.0, duration=60.0, tests=60)

    result = run_job(tmp_path, clocked, clock, poll_interval="5")

    assert result.code == 0, result.log
    assert history_reads_while_waiting(clocked) == []
    run = max(clocked.app.runs.values(), key=lambda r: r.id)
    moments = [r["clock"] for r in status_checks(clocked, run.id)][1:]  # the first follows the trigger
    assert {round(later - earlier, 6) for earlier, later in itertools.pairwise(moments)} == {5.0}


class Forgetful:
    name = "Forgetful"

    def recent_durations(self, deadline: Deadline) -> list[float]:
        raise ServiceUnavailable("Forgetful kept failing (HTTP 502).")


def test_history_that_cannot_be_read_is_said_and_the_schedule_goes_by_progress() -> None:
    log: list[str] = []

    schedule = plan(Forgetful(), None, VirtualClock(), log.append)  # type: ignore[arg-type]

    assert schedule == PollSchedule()
    assert log == [
        "Recent runs could not be read (Forgetful kept failing (HTTP 502).); "
        "checking by the run's progress alone."
    ]


@pytest.mark.parametrize("with_history", [False, True], ids=["no history", "steady history"])
def test_a_run_counting_nothing_until_its_end_costs_no_more_checks_than_every_10_s(
    clocked: Simulated, clock: VirtualClock, tmp_path: Any, with_history: bool
) -> None:
    if with_history:
        for seconds in (597.0, 611.0, 603.0, 616.0):
            earlier_run(clocked, clock, "staging", duration=seconds)
    clocked.app.scenarios["staging"] = Scenario(queued=3.7, duration=607.3, tests=60, live_counts=False)

    result = run_job(tmp_path, clocked, clock, poll_interval="")

    assert result.code == 0, result.log
    run = max(clocked.app.runs.values(), key=lambda r: r.id)
    ended_at = run.created + 3.7 + 607.3
    checks = status_checks(clocked, run.id)
    # the first follows the trigger, whatever the polling; the report may read the run again after the end
    waiting = [r for r in checks[1:] if r["clock"] <= ended_at + 10.0]
    noticed_at = next(r["clock"] for r in checks if r["clock"] >= ended_at)
    every_10_s = math.ceil((ended_at - run.created) / 10)
    assert len(waiting) <= every_10_s
    assert noticed_at - ended_at <= (2.0 if with_history else 10.0)
    assert max(b["clock"] - a["clock"] for a, b in itertools.pairwise(waiting)) <= (
        30.0 if with_history else 10.0
    )
