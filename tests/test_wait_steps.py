"""The steps after a status read sees the run ended, as the wait loop schedules them: a second look
after the settle period where ended runs can reopen, then the final reads, all under the deadline and
said in the log with their time. Providers only read: none of their methods sleeps, and failures are
read, never remembered."""

from __future__ import annotations

import io
import re
import signal
import time
from dataclasses import replace

import pytest

from testrun_action.clock import Deadline, SystemClock, VirtualClock
from testrun_action.context import GitHubContext
from testrun_action.errors import Interrupted, MalformedResponse, ServiceUnavailable
from testrun_action.model import Counts, FailOn, Failures, Phase, TestRun
from testrun_action.polling import PollSchedule
from testrun_action.providers import Ended, Wiring
from testrun_action.providers.buildkite.client import UNREAD, BuildkiteProvider
from testrun_action.settings import load_settings, read_raw_inputs
from testrun_action.verdict import decide
from testrun_action.waiting import OUTAGE_LIMIT, Waited, wait_for_run
from testrun_sim import buildkite as bk
from testrun_sim.server import Fault

from .conftest import FAST_BUILD, Job, Simulated

RUNNING = TestRun(id="7", url="", state="running", phase=Phase.RUNNING, confirmed=True)
ENDED = TestRun(
    id="7", url="", state="finished", phase=Phase.FINISHED, counts=Counts(missing=UNREAD), confirmed=True
)
READ = Counts(total=10, passed=9, failed=1)


class EndingRun:
    """A run that ends `ends` s into the wait; a look between `reopened` (start, end) sees it running
    again; its final reads take `read_seconds` and fail the first `failing_reads` times. Every step is
    recorded with its moment, in seconds since the wait began."""

    name = "Simulated"

    def __init__(
        self,
        clock: VirtualClock,
        *,
        ends: float = 30.0,
        settle: float = 5.0,
        reopened: tuple[float, float] | None = None,
        read_seconds: float = 2.0,
        failing_reads: float = 0,
    ) -> None:
        self.clock, self.ends, self.settle, self.reopened = clock, ends, settle, reopened
        self.read_seconds, self.failing_reads = read_seconds, failing_reads
        self.started = clock.now()
        self.steps: list[tuple[str, float]] = []
        self.deadlines: list[Deadline] = []

    def at(self) -> float:
        return self.clock.now() - self.started

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        self.steps.append(("look", self.at()))
        if self.at() < self.ends:
            return RUNNING
        if self.reopened and self.reopened[0] <= self.at() < self.reopened[1]:
            return replace(RUNNING, state="running (late results)")
        return ENDED

    def settle_seconds(self, run: TestRun) -> float:
        return self.settle if run.phase is Phase.FINISHED else 0.0

    def final_reads(self, run: TestRun, deadline: Deadline) -> Ended:
        self.steps.append(("reads", self.at()))
        self.deadlines.append(deadline)
        self.clock.sleep(self.read_seconds)  # the requests take this long
        if self.failing_reads > 0:
            self.failing_reads -= 1
            raise ServiceUnavailable("HTTP 503 from the results.")
        return Ended(replace(run, counts=READ), Failures(complete=False, note="read at the end"))

    def ended_at(self) -> float:
        """The moment of the first look that saw the run ended."""
        return next(at for kind, at in self.steps if kind == "look" and at >= self.ends)

    def after_the_end(self) -> list[tuple[str, float]]:
        return [(kind, round(at - self.ended_at(), 6)) for kind, at in self.steps if at >= self.ended_at()]


def wait(provider: EndingRun, clock: VirtualClock, log: list[str], seconds: float = 3600) -> Waited:
    return wait_for_run(
        provider,  # type: ignore[arg-type]
        RUNNING,
        deadline=Deadline(clock, seconds),
        schedule=PollSchedule(fixed=10.0),
        clock=clock,
        log=log.append,
    )


def test_a_run_seen_ended_is_looked_at_again_after_the_settle_period_then_its_results_are_read() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock)
    log: list[str] = []

    waited = wait(provider, clock, log)

    assert provider.after_the_end() == [("look", 0.0), ("look", 5.0), ("reads", 5.0)]
    assert (waited.run.counts, waited.failures) == (READ, Failures(complete=False, note="read at the end"))
    assert not waited.timed_out
    assert "Run 7 ended (finished); looking again in 5s, as late results can reopen it." in log
    assert "Read the results of run 7 in 2s: finished, 10/10 done, 1 failed." in log


def test_a_run_that_reopens_on_the_second_look_goes_back_to_the_checks_and_settles_again() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock, ends=30.0, reopened=(31.0, 45.0))
    log: list[str] = []

    wait(provider, clock, log)

    # Ended at 30 s, running again at 35 s, checked every 10 s: ended at 45 s, and still at 50 s.
    assert provider.after_the_end() == [
        ("look", 0.0),
        ("look", 5.0),
        ("look", 15.0),
        ("look", 20.0),
        ("reads", 20.0),
    ]
    assert any(line.startswith("Run 7 reopened: more results arrived") for line in log)


def test_the_deadline_covers_the_settle_period_and_an_unsettled_end_never_passes() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock, ends=30.0, settle=5.0)

    waited = wait(provider, clock, [], seconds=33.0)

    assert waited.timed_out
    assert [kind for kind, _ in provider.steps] == ["look"] * 3  # no second look, no reads
    assert clock.now() - provider.started == pytest.approx(33.0)
    verdict = decide(
        waited.run, fail_on=FailOn.FAILURES, min_tests=1, timed_out=True, unreadable=waited.unreadable
    )
    assert verdict.exit_code == 3
    assert "results were not read in time" in verdict.reason


def test_the_final_reads_run_under_the_waits_deadline() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock)
    deadline = Deadline(clock, 3600)
    schedule = PollSchedule(fixed=10.0)

    wait_for_run(provider, RUNNING, deadline=deadline, schedule=schedule, clock=clock, log=lambda line: None)  # type: ignore[arg-type]

    assert provider.deadlines == [deadline]


def test_a_failed_final_read_is_said_and_retried_after_a_fresh_look_and_a_second_one() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock, failing_reads=1)
    log: list[str] = []

    waited = wait(provider, clock, log)

    # Read at 5 s for 2 s and failed; looked at again on the schedule (10 s), settled, read.
    assert provider.after_the_end() == [
        ("look", 0.0),
        ("look", 5.0),
        ("reads", 5.0),
        ("look", 17.0),
        ("look", 22.0),
        ("reads", 22.0),
    ]
    assert waited.run.counts == READ
    assert any(
        line.startswith("Reading the results failed (HTTP 503 from the results.); still waiting")
        for line in log
    )


def test_final_reads_that_fail_until_the_deadline_leave_the_outcome_unknown_and_say_why() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock, failing_reads=float("inf"))

    waited = wait(provider, clock, [], seconds=120.0)

    assert waited.timed_out
    assert (
        waited.unreadable
        == "the run ended, but its results were not read in time: HTTP 503 from the results."
    )
    verdict = decide(
        waited.run, fail_on=FailOn.FAILURES, min_tests=1, timed_out=True, unreadable=waited.unreadable
    )
    assert (verdict.exit_code, verdict.passed) == (3, False)


def test_final_reads_that_keep_failing_end_the_wait_as_an_outage() -> None:
    clock = VirtualClock()
    provider = EndingRun(clock, failing_reads=float("inf"))

    with pytest.raises(ServiceUnavailable) as caught:
        wait(provider, clock, [])

    assert "The reads of the results kept failing for 5m" in caught.value.message
    assert OUTAGE_LIMIT <= clock.now() - provider.started - provider.ends < OUTAGE_LIMIT + 60


@pytest.mark.parametrize("during", ["settle", "reads"])
def test_a_signal_during_the_settle_period_or_the_final_reads_ends_the_wait(during: str) -> None:
    class Signalled(EndingRun):
        def final_reads(self, run: TestRun, deadline: Deadline) -> Ended:
            self.steps.append(("reads", self.at()))
            raise Interrupted(signal.SIGTERM)

    class SignalClock(VirtualClock):
        def sleep(self, seconds: float) -> None:
            if during == "settle" and provider.steps and provider.steps[-1][1] >= provider.ends:
                raise Interrupted(signal.SIGTERM)
            super().sleep(seconds)

    clock = SignalClock()
    provider = Signalled(clock)

    with pytest.raises(Interrupted):
        wait(provider, clock, [])

    assert [kind for kind, _ in provider.steps].count("reads") == (0 if during == "settle" else 1)


# -- Buildkite, over real HTTP ---------------------------------------------------------------------
class NoSleep(SystemClock):
    """The real clock, minus sleeping: a provider that sleeps fails the test."""

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            raise AssertionError(f"a provider slept {seconds} s")


def _provider(buildkite: Simulated) -> BuildkiteProvider:
    flags = {"provider": "buildkite", "api-key": bk.DEFAULT_TOKEN, "api-url": buildkite.url,
             "organization": bk.ORGANIZATION, "pipeline": "e2e-tests", "suite": "e2e", "test-branch": "main"}  # fmt: skip
    settings = load_settings(read_raw_inputs({}, flags))
    return BuildkiteProvider(settings, GitHubContext(), Wiring(NoSleep(), io.StringIO().write))


def _finished(provider: BuildkiteProvider, run_id: str, deadline: Deadline) -> TestRun:
    run = provider.poll(run_id, deadline)
    while not run.terminal and not deadline.passed:
        time.sleep(0.05)
        run = provider.poll(run_id, deadline)
    return run


def test_a_buildkite_poll_is_one_status_read_and_its_counts_wait_for_the_final_reads(
    buildkite: Simulated,
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**FAST_BUILD, failed=2)
    provider = _provider(buildkite)
    deadline = Deadline(SystemClock(), 30)
    try:
        run = _finished(provider, provider.trigger(deadline).id, deadline)

        assert (run.phase, run.counts.missing, run.confirmed) == (Phase.FINISHED, UNREAD, True)
        assert provider.settle_seconds(run) > 0
        assert buildkite.app.recorded("GET", r"/tests$|/failed_executions$") == []

        ended = provider.final_reads(run, deadline)
    finally:
        provider.close()

    assert (ended.run.counts.total, ended.run.counts.failed) == (12, 2)
    assert ended.failures is not None
    assert len(ended.failures.executions) == 2
    assert len(buildkite.app.recorded("GET", r"/failed_executions$")) == 1


def test_buildkite_failures_are_read_when_asked_never_remembered(buildkite: Simulated) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**FAST_BUILD, failed=2)
    provider = _provider(buildkite)
    deadline = Deadline(SystemClock(), 30)
    try:
        run = _finished(provider, provider.trigger(deadline).id, deadline)
        provider.final_reads(run, deadline)
        failures = provider.failures(run, deadline)
    finally:
        provider.close()

    assert len(failures.executions) == 2
    assert len(buildkite.app.recorded("GET", r"/failed_executions$")) == 2


def test_buildkite_final_reads_need_the_last_status_read_to_have_seen_the_run_finished(
    buildkite: Simulated,
) -> None:
    provider = _provider(buildkite)
    deadline = Deadline(SystemClock(), 30)
    try:
        run = _finished(provider, provider.trigger(deadline).id, deadline)
        buildkite.app.script(Fault("GET", r"/builds/1\Z", "malformed"))
        with pytest.raises(MalformedResponse):
            provider.poll(run.id, deadline)
        with pytest.raises(ServiceUnavailable):  # the wait looks again before reading
            provider.final_reads(run, deadline)
    finally:
        provider.close()


def test_the_flow_reads_buildkites_failed_executions_once_after_the_run_settled(
    bk_job: Job, buildkite: Simulated
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**FAST_BUILD, failed=2)

    result = bk_job.run()

    assert result.code == 1, result.log
    requests = buildkite.app.requests
    [reads] = [i for i, r in enumerate(requests) if r["path"].endswith("/failed_executions")]
    looks = [r for r in requests[:reads] if re.search(r"/suites/e2e/runs(/[\w-]+)?\Z", r["path"])]
    assert looks[-1]["at"] - looks[-2]["at"] >= 1.0  # the second look, the settle period later
    assert "looking again in 1s, as late results can reopen it." in result.log
    assert "Read the results of run 1 in " in result.log


def test_timeout_minutes_covers_buildkites_final_reads_and_an_unread_end_is_unknown(
    bk_job: Job, buildkite: Simulated
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**FAST_BUILD, failed=2)
    buildkite.app.script(Fault("GET", r"/failed_executions$", "stall_after", times=50, delay=30.0))

    started = time.monotonic()
    result = bk_job.run(timeout_minutes="0.1")

    assert time.monotonic() - started < 6 + 5  # the deadline, and the reports
    assert result.code == 3, result.log
    assert result.outputs["result"] == "error"
    assert "the run ended, but its results were not read in time" in result.log
