"""Attaching to a run (`run-id`): the run knows its own environment, so `environment` is not demanded and
the run is labelled and compared as its own; a run that already ended is read, not waited for; and an
older run is compared only with runs that started before it, never with later ones."""

from __future__ import annotations

from testrun_sim.testsigma import PastRun

from .conftest import PLAN_ID, Job, Simulated


def test_an_attached_older_testsigma_run_is_compared_only_with_runs_that_started_before_it(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    newer, new, target, older = testsigma.app.seed_history(
        PLAN_ID,
        [
            PastRun(failed=["Sign in with email"], ago=500, duration=60),
            PastRun(ago=1500, duration=60),
            PastRun(failed=["Sign in with email"], ago=2500, duration=60),
            PastRun(ago=3500, duration=60),
        ],
    )

    result = testsigma_job.run(run_id=str(target), test_plan_id="")

    assert result.code == 1, result.log
    read = {r["path"].split("/")[4] for r in testsigma.app.recorded("GET", r"/test_case_results$")}
    assert str(newer) not in read
    assert str(new) not in read
    assert str(older) in read
    assert "Compared with 1 recent run" in result.log


def _production_run(job: Job) -> str:
    started = job.run(wait="false", environment="production", **{"check-run": "false"})
    assert started.code == 0, started.log
    return started.outputs["run-id"]


def test_attaching_needs_no_environment_and_labels_the_run_as_its_own(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    run_id = _production_run(job)

    result = job.run(run_id=run_id, environment="")

    assert result.code == 0, result.log
    assert result.outputs["run-id"] == run_id
    assert "on `production`" in result.summary
    assert "staging" not in result.summary
    [check_run] = github.app.admin_check_runs()
    assert check_run["name"] == "E2E tests (production)"
    assert len(empirical.app.recorded("PUT", r"^/api/test-runs$")) == 1  # attached, not triggered


def test_attaching_as_another_environment_is_refused_naming_both(job: Job, empirical: Simulated) -> None:
    run_id = _production_run(job)

    result = job.run(run_id=run_id, environment="staging")

    assert result.code == 2
    [error] = [line for line in result.log.splitlines() if line.startswith("::error")]
    assert f"Input 'environment': is 'staging', but run {run_id} ran against 'production'" in error
    assert result.outputs["result"] == "error"


def test_a_run_that_already_ended_is_read_not_waited_for(job: Job, empirical: Simulated) -> None:
    run_id = _production_run(job)
    assert job.run(run_id=run_id, environment="").code == 0  # now it has ended

    result = job.run(run_id=run_id, environment="", **{"check-run": "false", "poll-interval": ""})

    assert result.code == 0, result.log
    assert f"Run {run_id} has already ended (ended, " in result.log
    assert "; reading its results." in result.log
    assert "Waiting for run" not in result.log
    assert "once started; checking most often" not in result.log  # no poll schedule to plan
