"""Every fault at every step: no false green, no duplicate run, no traceback, no leaked secret, a clear
message, the right exit code, and bounded wall time.

The flow and the simulator share a virtual clock, so "down for two minutes" or "stuck for an hour" are
exact and take milliseconds; request timeouts stay real and short.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from testrun_action.clock import VirtualClock
from testrun_action.flow import Hooks
from testrun_action.http import RetryPolicy
from testrun_sim.empirical import EmpiricalSimulator, Scenario
from testrun_sim.server import Fault, Served

from .conftest import GITHUB_TOKEN, Job, JobResult, Simulated

SECRETS = ("sim-empirical-key", GITHUB_TOKEN, "hunter2-secret")
CHECK_RUNS, CHECK_RUN = r"/check-runs$", r"/check-runs/\d+$"
TRIGGER, POLL, DETAILS, TEST_CASES = (
    r"^/api/test-runs$",
    r"^/api/test-runs$",
    r"^/api/test-runs/\d+$",
    r"^/api/v2/test-cases$",
)
# Short real timeouts: a delayed answer times out quickly; retries wait on the virtual clock.
POLICY = RetryPolicy(attempts=4, base_delay=1.0, max_delay=30.0, connect_timeout=0.5, read_timeout=0.5)
WALL_LIMIT = 10.0  # seconds of real time any scenario may take


@dataclass
class Case:
    name: str
    faults: list[Fault]
    exit_code: int
    result: str
    says: str = ""  # a phrase the log must contain, naming what happened (every case in CASES has one)
    scenario: dict[str, Any] = field(default_factory=dict)
    runs: int = 1  # runs the service must hold at the end: never two
    inputs: dict[str, str] = field(default_factory=dict)
    real_time: bool = False  # the service acts in real time (a slow answer): the flow waits for real
    github: list[Fault] = field(default_factory=list)  # faults of the GitHub API (check run)


def burst(method: str, path: str, status: int, times: int, **extra: Any) -> Fault:
    extra.setdefault("body", {"message": "upstream trouble"})
    return Fault(method=method, path=path, kind="status", status=status, times=times, **extra)


def http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


CASES = [
    # -- trigger: retried only when it certainly did not reach the service --------------------------
    Case(
        "trigger 503 with Retry-After is retried",
        [burst("PUT", TRIGGER, 503, 2, headers={"Retry-After": "5"})],
        0,
        "passed",
        "retrying in 5",
    ),
    Case(
        "trigger 429 with an HTTP-date Retry-After is retried",
        [burst("PUT", TRIGGER, 429, 1, headers={"Retry-After": http_date(3)})],
        0,
        "passed",
        "HTTP 429",
    ),
    Case(
        "trigger 502 is ambiguous and nothing was created",
        [burst("PUT", TRIGGER, 502, 1)],
        3,
        "error",
        "not triggering again",
        runs=0,
    ),
    Case(
        "trigger 503 without Retry-After is ambiguous",
        [burst("PUT", TRIGGER, 503, 1)],
        3,
        "error",
        "not triggering again",
        runs=0,
    ),
    Case(
        "trigger reset before processing: ambiguous, none found",
        [Fault("PUT", TRIGGER, "reset")],
        3,
        "error",
        "may have been received",
        runs=0,
    ),
    Case(
        "trigger processed but the answer was lost: the run is adopted",
        [Fault("PUT", TRIGGER, "drop_after")],
        0,
        "passed",
        "Found run 1001",
    ),
    Case(
        "trigger answered too late: the run is adopted",
        [Fault("PUT", TRIGGER, "delay", delay=1.2)],
        0,
        "passed",
        "no answer within",
        real_time=True,
        scenario={"queued": 0.2, "duration": 0.5},
    ),
    Case("trigger answer is not JSON", [Fault("PUT", TRIGGER, "malformed")], 3, "error", "not JSON"),
    Case(
        "trigger 500 then the lookup fails too",
        [burst("PUT", TRIGGER, 500, 1), burst("GET", POLL, 500, 20)],
        3,
        "error",
        "Could not check for a run",
        runs=0,
    ),
    Case(
        "trigger refused credentials",
        [burst("PUT", TRIGGER, 401, 1)],
        3,
        "error",
        "refused the credentials",
        runs=0,
    ),
    # -- polling: bursts are tolerated, a sustained outage is an unknown outcome --------------------
    Case("poll 5xx burst", [burst("GET", POLL, 502, 6)], 0, "passed", "retrying"),
    Case(
        "poll outage of two minutes",
        [burst("GET", POLL, 503, 10_000, until=1_000 + 120)],
        0,
        "passed",
        "answering again",
    ),
    Case(
        "poll outage of ten minutes",
        [burst("GET", POLL, 503, 10_000, until=1_000 + 600)],
        3,
        "error",
        "outcome of the run is unknown",
        scenario={"duration": 1_000},
    ),
    Case("poll connection resets", [Fault("GET", POLL, "reset", times=3)], 0, "passed", "connection closed"),
    Case(
        "poll answers late",
        [Fault("GET", POLL, "delay", times=2, delay=1.0)],
        0,
        "passed",
        "no answer within",
    ),
    Case("poll answer is not JSON", [Fault("GET", POLL, "malformed", times=2)], 0, "passed", "not JSON"),
    Case(
        "poll 429 with Retry-After",
        [burst("GET", POLL, 429, 2, headers={"Retry-After": "7"})],
        0,
        "passed",
        "retrying in 7",
    ),
    Case(
        "the run vanishes",
        [
            burst(
                "GET",
                POLL,
                200,
                10_000,
                until=1_000 + 10_000,
                body={"data": {"project": {"slug": "p"}, "test_runs": {"items": []}}},
            )
        ],
        3,
        "error",
        "no run 1001",
    ),
    Case(
        "the state goes backwards, then on",
        [
            Fault(
                "GET",
                POLL,
                "status",
                status=200,
                times=1,
                body={"data": {"test_runs": {"items": [{"id": 1001, "state": "queued"}]}}},
            )
        ],
        0,
        "passed",
        "Run 1001: started → ended, 20/20 done",
    ),
    Case(
        "stuck in pending until the deadline",
        [],
        1,
        "timed_out",
        "did not end within",
        scenario={"pending": 100_000},
        inputs={"timeout-minutes": "30"},
    ),
    Case(
        "credentials revoked while waiting",
        [burst("GET", POLL, 403, 10_000, until=10_000)],
        3,
        "error",
        "refused the credentials",
    ),
    # -- failure details: best effort, never changes the verdict ------------------------------------
    Case(
        "details 500",
        [burst("GET", DETAILS, 500, 10)],
        1,
        "failed",
        "details were unavailable",
        scenario={"failed": 2},
    ),
    Case(
        "details malformed",
        [Fault("GET", DETAILS, "malformed")],
        1,
        "failed",
        "details were unavailable",
        scenario={"failed": 2},
    ),
    Case(
        "test cases 404",
        [burst("GET", TEST_CASES, 404, 5)],
        1,
        "failed",
        "File paths were unavailable",
        scenario={"failed": 2},
    ),
    Case(
        "details vanish",
        [burst("GET", DETAILS, 404, 5)],
        1,
        "failed",
        "details were unavailable",
        scenario={"failed": 2},
    ),
    # -- cancel at the deadline fails: still timed out, and the post step will retry ---------------
    Case(
        "cancel fails at the deadline",
        [burst("POST", r"/cancel$", 500, 20)],
        1,
        "timed_out",
        "Could not cancel",
        scenario={"duration": 100_000},
        inputs={"timeout-minutes": "5"},
    ),
    # -- the check run: a reporting problem never changes the exit code -----------------------------
    Case(
        "check run create 500",
        [],
        0,
        "passed",
        "Check run not created yet (GitHub answered HTTP 500: upstream trouble)",
        github=[burst("POST", CHECK_RUNS, 500, 5)],
    ),
    Case(
        "check run create 403",
        [],
        0,
        "passed",
        "No check run, GitHub answered HTTP 403: Resource not accessible by integration",
        github=[
            burst("POST", CHECK_RUNS, 403, 5, body={"message": "Resource not accessible by integration"})
        ],
    ),
    Case(
        "check run update reset",
        [],
        1,
        "failed",
        "may stay in progress, the check run could not be written",
        scenario={"failed": 2},
        github=[Fault("PATCH", CHECK_RUN, "reset", times=5)],
    ),
    Case(
        "check run update malformed",
        [],
        1,
        "failed",
        "may stay in progress, the check run could not be written",
        scenario={"failed": 2},
        github=[Fault("PATCH", CHECK_RUN, "malformed", times=5)],
    ),
]


def test_every_case_names_what_its_log_says() -> None:
    vague = [c.name for c in CASES if len(c.says) < 8 or c.says.lower() in ("check run", "error", "→")]
    assert vague == []


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def faulty(clock: VirtualClock) -> Iterator[EmpiricalSimulator]:
    app = EmpiricalSimulator(clock=clock.now)
    with Served(app) as served:
        app.url = served.url  # type: ignore[attr-defined]
        yield app


def run_case(
    case: Case, job: Job, app: EmpiricalSimulator, clock: VirtualClock, github: Simulated | None = None
) -> tuple[JobResult, float]:
    app.scenarios["staging"] = Scenario(**{"queued": 5, "duration": 60, "tests": 20, **case.scenario})
    for fault in case.faults:
        app.script(fault)
    job.api_url = app.url  # type: ignore[attr-defined]
    if github is not None:
        job.github_api_url = github.url
        for fault in case.github:
            github.app.script(fault)
    inputs = {"poll-interval": "", "environment-variables": "PASSWORD=hunter2-secret", **case.inputs}
    started = time.monotonic()
    if case.real_time:
        app.clock = time.monotonic
    hooks = Hooks(policy=POLICY) if case.real_time else Hooks(clock=clock, policy=POLICY)
    result = job.run(hooks=hooks, **{k.replace("-", "_"): v for k, v in inputs.items()})
    return result, time.monotonic() - started


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(
    case: Case, tmp_path: Any, faulty: EmpiricalSimulator, clock: VirtualClock, github: Simulated
) -> None:
    result, wall = run_case(case, Job(tmp_path), faulty, clock, github)

    assert result.code == case.exit_code, result.log
    assert result.outputs["result"] == case.result
    if case.exit_code != 0:
        assert result.outputs["result"] != "passed"  # never a false green
    assert len(faulty.runs) == case.runs  # never a duplicate run
    assert len(faulty.recorded("PUT", TRIGGER)) <= 1 or case.runs == 1
    assert "Traceback" not in result.everything()
    for secret in SECRETS:
        assert secret not in result.everything()
    assert case.says.lower() in result.log.lower(), result.log
    assert wall < WALL_LIMIT


def test_a_refused_connection_is_retried_then_reported(
    tmp_path: Any, unused_port: int, clock: VirtualClock
) -> None:
    job = Job(tmp_path)
    job.api_url = f"http://127.0.0.1:{unused_port}"

    result = job.run(hooks=Hooks(clock=clock, policy=POLICY))

    assert result.code == 3
    assert f"could not connect to 127.0.0.1:{unused_port} (connection refused)" in result.log
    assert "(4 attempts over" in result.log
    assert clock.slept > 0  # backed off between attempts


def test_retries_never_sleep_past_the_deadline(
    tmp_path: Any, faulty: EmpiricalSimulator, clock: VirtualClock
) -> None:
    faulty.script(burst("PUT", TRIGGER, 503, 5, headers={"Retry-After": "3600"}))

    result, _ = run_case(Case("", [], 0, ""), Job(tmp_path), faulty, clock)

    assert result.code == 3
    assert "no time left to retry before the deadline" in result.log
    assert clock.slept < 60 * 60


def test_the_suite_covers_every_step_and_fault_kind() -> None:
    paths = {fault.path for case in CASES for fault in case.faults}
    kinds = {fault.kind for case in CASES for fault in case.faults}

    paths |= {fault.path for case in CASES for fault in case.github}
    assert {TRIGGER, DETAILS, TEST_CASES, r"/cancel$", CHECK_RUNS, CHECK_RUN} <= paths
    assert {"status", "reset", "drop_after", "delay", "malformed"} <= kinds
