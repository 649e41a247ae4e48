"""Deadlines that hold against servers that trickle their answers a byte every 2 s (socket timeouts
never fire: each read gets its byte), trickle even their headers, or never answer: on the service side
and on GitHub's, in the real process where it matters."""

from __future__ import annotations

import re
import signal
import time

import pytest

from testrun_action import http, post
from testrun_action.flow import Hooks
from testrun_action.github import check_run as checks
from testrun_action.http import RetryPolicy
from testrun_action.post import run_post
from testrun_sim.empirical import Scenario
from testrun_sim.hostile import Hostile, Rule
from testrun_sim.runner_files import read_outputs

from ..conftest import Job, Simulated
from .conftest import step, waiting

PAST_BUDGET = 5.0  # what we promise: never more than this past a budget, whatever the servers do
STARTUP = 3.0  # starting the Python process on a busy machine, not a network budget
TIMEOUT_MINUTES = "0.1"  # 6 s for the whole wait
TIMEOUT_SECONDS = 6.0
STATUS = r"^/api/test-runs$"
TRIGGER_ANSWER = b'{"data": {"id": 1001, "url": "https://dash.empirical.run/p/test-runs/1001"}}'


@pytest.fixture(autouse=True)
def _long_runs(empirical: Simulated) -> None:
    """Runs that would go on for ten minutes: only a deadline ends the wait."""
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=12)


def test_a_status_check_trickled_a_byte_every_2s_ends_at_the_deadline(
    hjob: Job, service: Hostile, empirical: Simulated
) -> None:
    service.add(Rule("GET", STATUS, "trickle", every=2.0))

    done = step(hjob.environ(timeout_minutes=TIMEOUT_MINUTES))

    assert done.took < TIMEOUT_SECONDS + PAST_BUDGET + STARTUP, done.log
    assert done.code == 1, done.log  # timed out
    assert "did not end within" in done.log
    assert len(empirical.app.recorded("POST", r"/cancel$")) == 1  # the run is not left going
    assert "Traceback" not in done.log


def test_a_trigger_trickled_a_byte_every_2s_fails_within_the_deadline(hjob: Job, service: Hostile) -> None:
    service.add(Rule("PUT", STATUS, "trickle", every=2.0, body=TRIGGER_ANSWER))

    done = step(hjob.environ(timeout_minutes=TIMEOUT_MINUTES))

    assert done.took < TIMEOUT_SECONDS + PAST_BUDGET + STARTUP, done.log
    assert done.code == 3, done.log
    assert "no complete answer within" in done.log
    assert "Traceback" not in done.log


def test_a_service_that_never_answers_fails_within_the_deadline(hjob: Job, service: Hostile) -> None:
    service.add(Rule("*", r"^/api/", "silent"))

    done = step(hjob.environ(timeout_minutes=TIMEOUT_MINUTES))

    assert done.took < TIMEOUT_SECONDS + PAST_BUDGET + STARTUP, done.log
    assert done.code == 3, done.log
    assert read_outputs(hjob.tmp / "output")["result"] == "error"


def test_trickled_headers_cannot_stretch_a_status_check(hjob: Job, service: Hostile) -> None:
    service.add(Rule("GET", STATUS, "trickle", every=1.0, headers_too=True))

    started = time.monotonic()
    result = hjob.run(timeout_minutes="0.05")
    took = time.monotonic() - started

    assert took < 3.0 + PAST_BUDGET, result.log
    assert result.code == 1, result.log  # timed out
    assert "did not end within" in result.log


def test_sigterm_while_the_remote_cancel_trickles_exits_within_5s(
    hjob: Job, service: Hostile, empirical: Simulated
) -> None:
    # Faster than the 1.5 s the cancel gets (flow.CANCEL_SECONDS): each socket read gets its byte in time.
    service.add(Rule("POST", r"/cancel$", "trickle", every=1.0))

    done = step(hjob.environ(), ready=waiting(service, "GET", "/api/test-runs"), send=signal.SIGTERM)

    assert done.code == 143, done.log
    assert done.took < PAST_BUDGET, done.log
    outputs = read_outputs(hjob.tmp / "output")
    assert (outputs["result"], outputs["run-id"]) == ("cancelled", "1001")
    assert "settled" not in read_outputs(hjob.tmp / "state")  # unconfirmed: the post step tries again
    assert "Traceback" not in done.log


def test_sigterm_while_the_check_run_patch_trickles_exits_within_5s(
    hjob: Job, service: Hostile, gh: Hostile, github: Simulated
) -> None:
    # Faster than the 1 s the interrupted check run gets (checks.INTERRUPTED_SECONDS).
    gh.add(Rule("PATCH", r"/check-runs/", "trickle", every=0.5))

    done = step(hjob.environ(), ready=waiting(service, "GET", "/api/test-runs"), send=signal.SIGTERM)

    assert done.code == 143, done.log
    assert done.took < PAST_BUDGET, done.log
    assert read_outputs(hjob.tmp / "output")["result"] == "cancelled"
    assert "no complete answer within" in done.log
    assert "Traceback" not in done.log


def test_a_trickled_check_run_create_and_patch_are_given_up_within_their_budgets(
    hjob: Job, gh: Hostile, empirical: Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=0.5, tests=6)
    monkeypatch.setattr(checks, "START_SECONDS", 2.0)
    monkeypatch.setattr(checks, "FINISH_SECONDS", 3.0)
    # A byte a second: faster than any socket timeout within those budgets.
    gh.add(Rule("POST", r"/check-runs$", "trickle", every=1.0))
    gh.add(Rule("PATCH", r"/check-runs/", "trickle", every=1.0))

    started = time.monotonic()
    result = hjob.run()
    took = time.monotonic() - started

    assert result.code == 0, result.log  # the tests passed; GitHub's trouble is a warning
    assert took < 2.0 + 3.0 + 2 * PAST_BUDGET, result.log
    assert "no complete answer within" in result.log
    assert result.outputs["result"] == "passed"


def test_the_post_step_ends_within_its_budget_when_the_service_trickles(
    hjob: Job, service: Hostile, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(post, "POST_SECONDS", 3.0)
    service.add(Rule("GET", r"^/api/test-runs", "trickle", every=2.0))
    environ = {**hjob.environ(), "STATE_run_id": "1001"}

    started = time.monotonic()
    code = run_post(environ)
    took = time.monotonic() - started

    assert code == 0
    assert took < 3.0 + PAST_BUDGET
    assert "Could not check or cancel run 1001" in capsys.readouterr().out


def test_a_service_that_never_answers_is_given_up_after_two_silences_said_as_they_happen(
    hjob: Job, service: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "SLOW_LOG_SECONDS", 0.3)
    service.add(Rule("*", r"^/api/", "silent"))
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.2, connect_timeout=1.0, read_timeout=1.0)

    result = hjob.run(hooks=Hooks(policy=policy))

    assert result.code == 3, result.log
    lookups = [seen for seen in service.seen if seen["method"] == "GET"]
    assert len(lookups) == http.SILENT_ATTEMPTS  # not the policy's 5: a third silence is not waited for
    assert "no answer yet after 0s for PUT" in result.log  # said while waiting, not only after
    assert "no answer within 1s for GET" in result.log  # the timeout, said
    assert re.search(
        r"no answer within 1s for GET \S+ \(2 attempts over \d+s\)\. Not triggering again\.", result.log
    )
    assert not re.search(r"\([^()]*\(", result.log), result.log  # no bracket inside a bracket
