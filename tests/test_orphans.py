"""No run left behind: a trigger whose answer is unreadable, or that a signal cuts short, may still have
created a run. Through the real process, that run is looked up by the adoption rule and cancelled when
it is provably ours, by the main step or the post step."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from testrun_action.post import run_post
from testrun_sim.empirical import Scenario
from testrun_sim.runner_files import read_outputs
from testrun_sim.server import Fault

from .conftest import Job, Simulated

TRIGGER = r"^/api/test-runs$"
BUILDS = "/v2/organizations/acme/pipelines/e2e-tests/builds"
EXIT_BUDGET = 5.0  # signal to exit (github-platform.md 3.1)


def until(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


LONG = Scenario(queued=0.1, duration=600, tests=40)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"<html><body>502 Bad Gateway</body></html>", id="200 html"),
        pytest.param(
            {"data": {"trigger": {"success": True}, "test_run": {"id": "run-abc", "state": "queued"}}},
            id="string id",
        ),
    ],
)
def test_a_run_behind_an_unreadable_trigger_answer_is_cancelled(
    job: Job, empirical: Simulated, answer: Any
) -> None:
    empirical.app.scenarios["staging"] = LONG
    empirical.app.script(Fault("PUT", TRIGGER, "rewrite", status=200, body=answer))

    done = job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    [run] = empirical.app.runs.values()
    assert run.cancel_reason == "the trigger's answer was unreadable", done.log
    assert f"Cancelled Empirical run {run.id}." in done.log


def test_a_run_behind_an_unreadable_trigger_answer_is_left_alone_when_not_provably_ours(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = LONG
    empirical.app.script(Fault("PUT", TRIGGER, "rewrite", status=200, body=b"<html></html>"))
    empirical.app.script(Fault("GET", TRIGGER, "delay", delay=2.0))  # the lookup is slow...
    environ = job.environ()
    process = job.start()
    until(lambda: len(empirical.app.runs) == 1)
    other = httpx.put(  # ...and another job's run on the same commit appears meanwhile
        f"{empirical.url}/api/test-runs",
        json={"environment": "staging", "build": {"branch": "main", "commit": environ["GITHUB_SHA"]}},
        headers={"Authorization": f"Bearer {environ['INPUT_API-KEY']}"},
    )
    done = job.finish(process)

    assert other.status_code == 200
    assert (done.code, done.result) == (3, "error"), done.log
    assert len(empirical.app.runs) == 2
    assert all(run.cancelled_at is None for run in empirical.app.runs.values()), done.log
    assert "could not tell which run the trigger created" in done.log


def test_buildkite_build_behind_an_html_trigger_answer_is_cancelled_by_its_marker(
    bk_job: Job, buildkite: Simulated
) -> None:
    from testrun_sim import buildkite as bk

    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(scheduled=0.1, duration=600, tests=12)
    buildkite.app.script(Fault("POST", BUILDS + r"\Z", "rewrite", status=200, body=b"<html></html>"))

    done = bk_job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    [build] = buildkite.app.builds
    assert build.cancelled_at is not None, done.log


def test_sigterm_during_the_trigger_cancels_the_run_it_created(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = LONG
    empirical.app.script(Fault("PUT", TRIGGER, "stall_after", delay=30.0))
    process = job.start()
    until(lambda: len(empirical.app.runs) == 1)

    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    done = job.finish(process)
    took = time.monotonic() - sent

    assert (done.code, done.result) == (143, "cancelled"), done.log
    assert took < EXIT_BUDGET
    [run] = empirical.app.runs.values()
    assert run.cancel_reason == "GitHub job cancelled (SIGTERM) during the trigger", done.log


def test_the_post_step_cancels_the_run_of_a_trigger_the_main_step_never_heard_back_from(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = LONG
    empirical.app.script(Fault("PUT", TRIGGER, "stall_after", delay=30.0))
    process = job.start()
    until(lambda: len(empirical.app.runs) == 1)
    process.kill()  # killed before the trigger's answer: no handler ran
    process.communicate(timeout=10)
    saved = read_outputs(job.tmp / "state")
    assert "run_id" not in saved

    assert run_post({**job.environ(), **{f"STATE_{k}": v for k, v in saved.items()}}) == 0

    [run] = empirical.app.runs.values()
    assert run.cancel_reason == "the GitHub job stopped before the run ended"


def test_a_trigger_the_service_did_not_confirm_is_never_followed(job: Job, empirical: Simulated) -> None:
    refused = {
        "data": {"trigger": {"success": False}, "test_run": {"id": 1001, "state": "queued"}},
        "error": {"message": "Concurrency limit reached"},
    }
    empirical.app.script(Fault("PUT", TRIGGER, "rewrite", status=200, body=refused))

    done = job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "did not confirm the trigger: Concurrency limit reached" in done.log
    assert not [r for r in empirical.app.recorded("GET", r"^/api/test-runs$") if r["query"].get("id")]


def test_the_post_step_cancels_the_run_of_an_ambiguous_trigger_the_main_step_could_not_look_up(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = LONG
    empirical.app.script(Fault("PUT", TRIGGER, "rewrite", status=502, body={"message": "bad gateway"}))
    empirical.app.script(Fault("GET", TRIGGER, "status", status=500, body={"message": "down"}, times=50))

    done = job.step()
    saved = read_outputs(job.tmp / "state")

    assert (done.code, done.result) == (3, "error"), done.log
    assert "Could not check for a run it created" in done.log
    assert "settled" not in saved  # the post step must look again
    empirical.app.faults.clear()
    assert run_post({**job.environ(), **{f"STATE_{k}": v for k, v in saved.items()}}) == 0
    [run] = empirical.app.runs.values()
    assert run.cancel_reason == "the GitHub job stopped before the run ended"


def test_a_refused_trigger_leaves_the_post_step_nothing_to_look_for(job: Job, empirical: Simulated) -> None:
    result = job.run(environment="nope")

    assert result.code == 2
    assert "settled" in read_outputs(job.tmp / "state")
    assert empirical.app.runs == {}


def test_the_post_step_given_no_saved_state_says_in_one_line_that_it_cannot_find_the_run(
    job: Job, empirical: Simulated, capsys: pytest.CaptureFixture[str]
) -> None:
    # The main step left a run going and saved its id, but the runner hands the post step no state (act).
    empirical.app.scenarios["staging"] = LONG
    assert job.run(wait="false").code == 0
    assert "run_id" in read_outputs(job.tmp / "state")
    capsys.readouterr()
    requests_before = len(empirical.app.requests)

    assert run_post(job.environ()) == 0

    shown = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("::add-mask::")]
    assert shown == [
        "Post step: no saved state reached this step (the runner passed none, as act does, or the main step "
        "stopped before saving any), so a run the main step may have left going cannot be found; "
        "nothing is cancelled."
    ]
    assert len(empirical.app.requests) == requests_before  # nothing guessed at, nothing cancelled
    assert empirical.app.runs[1001].cancel_reason is None


def test_the_post_step_without_the_event_it_needs_never_takes_another_jobs_run_for_its_own(
    job: Job, empirical: Simulated, capsys: pytest.CaptureFixture[str]
) -> None:
    # The main step sent a trigger and was killed; its run is unknown. Another job, on another commit,
    # started a run since. Without the pull_request event the post step cannot tell which commit was
    # sent, so no run can be proven ours: it cancels nothing, and says why.
    empirical.app.scenarios["staging"] = LONG
    triggered_at = datetime.now(UTC).isoformat()
    other = job.run(wait="false", env={"GITHUB_SHA": "0" * 40})
    assert other.code == 0, other.log
    environ = job.environ(event="pull_request")
    (job.tmp / "event.json").unlink()

    assert run_post({**environ, "STATE_trigger_at": triggered_at, "STATE_trigger_marker": ""}) == 0

    [run] = empirical.app.runs.values()
    assert run.cancel_reason is None
    assert "::warning title=Post step::Could not check or cancel the run: " in capsys.readouterr().out
