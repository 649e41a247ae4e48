"""No false green, through the real process: `python -m testrun_action` against the simulators, each way a
step could pass without proof (a trigger's word alone, counts it can't read, an empty or errored run, a
run that is not ours) ends with the outcome the verdict rules give, never exit 0."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from testrun_sim import buildkite as bk
from testrun_sim.empirical import PastRun, Scenario
from testrun_sim.server import Fault
from testrun_sim.testsigma import Plan

from .conftest import BUILDKITE_INPUTS, FAST, FAST_BUILD, HEAD_SHA, PLAN_ID, Job, Simulated

TRIGGER = r"^/api/test-runs$"
POLL = r"^/api/test-runs$"
BUILDS = "/v2/organizations/acme/pipelines/e2e-tests/builds"
FOREVER = 10_000_000.0  # a fault active for the whole test, on the simulator's monotonic clock


def forever(method: str, path: str, body: Any, status: int = 200) -> Fault:
    return Fault(method, path, "status", status=status, body=body, until=FOREVER)


def item(**fields: Any) -> dict[str, Any]:
    """One run as Empirical's list shows it: an ended passing run of `staging` on the head commit."""
    base: dict[str, Any] = {
        "id": 1001,
        "state": "ended",
        "total_count": 10,
        "success_count": 10,
        "failed_count": 0,
        "skipped_count": 0,
        "flaky_count": 0,
        "environment_slug": "staging",
        "commit": HEAD_SHA,
        "created_at": "2026-01-01T00:00:00.000Z",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def listing(*items: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"project": {"slug": "acme-shop"}, "test_runs": {"items": list(items)}}}


# -- 1. matrix jobs never adopt each other's run --------------------------------------------------
def test_matrix_jobs_on_the_same_commit_never_report_each_others_run(
    tmp_path: Any, empirical: Simulated, github: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.2, duration=4.0, tests=12)
    jobs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        jobs.append(Job(tmp_path / name, empirical.url, github.url))
    # Job A's trigger is processed but its answer lost; its first look at the list is slow.
    empirical.app.script(Fault("PUT", TRIGGER, "drop_after"))
    slow_list = Fault("GET", POLL, "delay", delay=8.0)  # long enough for B to start and trigger
    empirical.app.script(slow_list)
    first = jobs[0].start()
    deadline = time.monotonic() + 20
    while slow_list in empirical.app.faults and time.monotonic() < deadline:  # A is reading the list
        time.sleep(0.05)
    assert slow_list not in empirical.app.faults
    second = jobs[1].start()  # job B triggers while A waits for the list
    a, b = jobs[0].finish(first), jobs[1].finish(second)
    a_listed = next(r for r in empirical.app.recorded("GET", POLL) if "interval_in_days" in r["query"])
    b_triggered = empirical.app.recorded("PUT", TRIGGER)[1]
    assert (
        b_triggered["clock"] < a_listed["clock"]
    )  # the race happened: B's run existed when A's list was read

    run_a, run_b = sorted(empirical.app.runs)
    assert (b.code, b.result, b.outputs["run-id"]) == (0, "passed", str(run_b)), b.log
    assert (a.code, a.result) == (3, "error"), a.log
    assert a.outputs["run-id"] != str(run_b)
    assert "could not tell which run the trigger created" in a.log
    assert f"test-runs/{run_a}" in a.log
    assert f"test-runs/{run_b}" in a.log


def test_buildkite_matrix_jobs_adopt_their_own_build_by_its_marker(
    tmp_path: Any, buildkite: Simulated, github: Simulated
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**{**FAST_BUILD, "duration": 3.0})
    jobs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        jobs.append(Job(tmp_path / name, buildkite.url, github.url, BUILDKITE_INPUTS))
    buildkite.app.script(Fault("POST", BUILDS + r"\Z", "drop_after"))
    # Job a's reads of the build list: the pipeline check before its trigger, then the look for its build.
    slow_list = Fault("GET", BUILDS + r"\Z", "delay", delay=4.0, times=2)
    buildkite.app.script(slow_list)
    first = jobs[0].start()
    deadline = time.monotonic() + 20
    while slow_list in buildkite.app.faults and time.monotonic() < deadline:
        time.sleep(0.05)
    second = jobs[1].start()
    a, b = jobs[0].finish(first), jobs[1].finish(second)

    assert [build.number for build in buildkite.app.builds] == [1, 2]
    assert (b.code, b.result, b.outputs["run-id"]) == (0, "passed", "2"), b.log
    assert (a.code, a.result, a.outputs["run-id"]) == (0, "passed", "1"), a.log


# -- 2. never a stranger --------------------------------------------------------------------------
def test_a_run_created_before_the_trigger_is_never_adopted(job: Job, empirical: Simulated) -> None:
    [old] = empirical.app.seed_history("staging", [PastRun(ago=60, duration=30)])  # began 90 s ago
    empirical.app.runs[old].body["build"] = {"branch": "main", "commit": HEAD_SHA}
    empirical.app.script(Fault("PUT", TRIGGER, "status", status=502, body={"message": "bad gateway"}))

    done = job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "could not tell which run the trigger created" in done.log
    assert not empirical.app.recorded("GET", r"^/api/test-runs/\d+$")  # nothing of the old run was read


def test_a_run_without_the_commit_the_trigger_sent_is_never_adopted(job: Job, empirical: Simulated) -> None:
    stranger = httpx.put(
        f"{empirical.url}/api/test-runs",
        json={"environment": "staging", "build": {"branch": "main"}},  # no commit
        headers={"Authorization": f"Bearer {job.environ()['INPUT_API-KEY']}"},
    )
    assert stranger.status_code == 200
    empirical.app.script(Fault("PUT", TRIGGER, "status", status=502, body={"message": "bad gateway"}))

    done = job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "could not tell which run the trigger created" in done.log


# -- 3. never a pass on the trigger's word alone --------------------------------------------------
TRIGGER_SAYS_ENDED = {
    "data": {"trigger": {"success": True}, "test_run": {"id": 1001, "state": "ended"}},
}


@pytest.mark.parametrize(
    "status_read",
    [
        pytest.param(forever("GET", POLL, {"message": "oops"}, status=500), id="500"),
        pytest.param(forever("GET", POLL, b"<html>maintenance</html>"), id="200 html"),
    ],
)
def test_a_run_the_trigger_says_ended_is_unknown_without_one_status_read(
    job: Job, empirical: Simulated, status_read: Fault
) -> None:
    empirical.app.script(Fault("PUT", TRIGGER, "status", status=200, body=TRIGGER_SAYS_ENDED))
    empirical.app.script(status_read)

    done = job.step(timeout_minutes="0.1")

    assert (done.code, done.result) == (3, "error"), done.log
    assert "no status read confirmed it" in done.log


# -- 4. empty or errored runs never pass ----------------------------------------------------------
def test_a_run_with_no_tests_fails_and_min_tests_zero_accepts_it(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 0})

    done = job.step()
    accepted = job.step(min_tests="0")

    assert (done.code, done.result) == (1, "failed"), done.log
    assert "0 tests ran; `min-tests` is 1" in done.log
    assert (accepted.code, accepted.result) == (0, "passed"), accepted.log


def test_a_run_with_every_count_missing_is_unknown(job: Job, empirical: Simulated) -> None:
    empirical.app.script(forever("GET", POLL, listing({"id": 1001, "state": "ended"})))

    done = job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "counts" in done.log


def test_an_ended_run_with_an_error_code_fails(job: Job, empirical: Simulated) -> None:
    empirical.app.script(forever("GET", POLL, listing(item(error_code="report_not_generated"))))

    done = job.step()

    assert (done.code, done.result) == (1, "error"), done.log
    assert "report_not_generated" in done.log
    assert "step passed" not in done.summary


def test_buildkite_run_passed_with_no_tests_in_the_suite_fails(bk_job: Job, buildkite: Simulated) -> None:
    other_suite = bk.BuildkiteSimulator._test(
        "0b5e8c2e-7f1a-4c1e-9d1e-000000000001",
        "Money rounds",
        "./spec/money_spec.rb:3",
        "unit",
        {"passed": 1},
    )
    buildkite.app.script(forever("GET", r"/builds/[\w-]+/tests$", [other_suite]))

    done = bk_job.step()

    assert (done.code, done.result) == (1, "failed"), done.log
    assert "0 tests ran; `min-tests` is 1" in done.log


def test_testsigma_success_with_no_tests_fails(testsigma_job: Job, testsigma: Simulated) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=0.3, queued=0.1, pre_flight=0.1, duration=0.4, tests=0)

    done = testsigma_job.step()

    assert (done.code, done.result) == (1, "failed"), done.log
    assert "0 tests ran; `min-tests` is 1" in done.log


# -- 5. counts it can't read are never 0 ----------------------------------------------------------
def test_counts_sent_as_decimal_strings_are_read(job: Job, empirical: Simulated) -> None:
    empirical.app.script(
        forever("GET", POLL, listing(item(total_count="10", success_count="7", failed_count="3")))
    )

    done = job.step()

    assert (done.code, done.result, done.outputs["failed"]) == (1, "failed", "3"), done.log


@pytest.mark.parametrize(
    "failed",
    [pytest.param(-3, id="negative"), pytest.param(2.5, id="fraction"), pytest.param(True, id="boolean")],
)
def test_a_count_that_is_not_a_whole_number_is_unknown(job: Job, empirical: Simulated, failed: Any) -> None:
    empirical.app.script(forever("GET", POLL, listing(item(failed_count=failed))))

    done = job.step(timeout_minutes="0.05")

    assert (done.code, done.result) == (3, "error"), done.log
    assert "failed_count" in done.log


def test_counts_that_do_not_add_up_are_unknown(job: Job, empirical: Simulated) -> None:
    empirical.app.script(forever("GET", POLL, listing(item(total_count=10, success_count=2))))

    done = job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "do not add up" in done.log


def _testsigma_completed(**counts: Any) -> dict[str, Any]:
    return {
        "id": 337,
        "executionId": PLAN_ID,
        "status": "STATUS_COMPLETED",
        "result": "SUCCESS",
        "totalCount": 10,
        "passedCount": 10,
        "failedCount": 0,
        **counts,
    }


def test_testsigma_success_with_failed_count_as_a_string_fails(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.script(
        forever(
            "GET", r"^/api/v1/execution_results/337$", _testsigma_completed(passedCount=7, failedCount="3")
        )
    )

    done = testsigma_job.step()

    assert (done.code, done.result, done.outputs["failed"]) == (1, "failed", "3"), done.log


def test_testsigma_success_counting_4_of_10_tests_is_unknown(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.script(
        forever("GET", r"^/api/v1/execution_results/337$", _testsigma_completed(passedCount=4))
    )

    done = testsigma_job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "do not add up" in done.log


# -- 6. an optional read never sinks the report ---------------------------------------------------
def test_buildkite_build_tests_404_degrades_to_a_note(
    bk_job: Job, buildkite: Simulated, github: Simulated
) -> None:
    buildkite.app.scenarios["e2e-tests"] = bk.Scenario(**FAST_BUILD, failed=2)
    buildkite.app.script(forever("GET", r"/builds/[\w-]+/tests$", {"message": "Not Found"}, status=404))

    done = bk_job.step()

    assert (done.code, done.result, done.outputs["failed"]) == (1, "failed", "2"), done.log
    [check_run] = github.app.admin_check_runs()
    assert len(check_run["annotations"]) == 2  # both failures annotated
    assert "Test counts are unavailable" in done.log


def test_buildkite_build_list_failing_keeps_the_comparison(bk_job: Job, buildkite: Simulated) -> None:
    scenario = bk.Scenario(**FAST_BUILD, failed=2)
    buildkite.app.scenarios["e2e-tests"] = scenario
    names = [case.name for case in bk.make_cases(scenario) if case.outcome == "failed"]
    buildkite.app.seed_history("e2e-tests", [bk.PastBuild(failed=names, ago=60)])
    buildkite.app.script(forever("GET", BUILDS + r"\Z", {"message": "boom"}, status=500))

    done = bk_job.step(event="pull_request", fail_on="new-failures")

    assert (done.code, done.result) == (0, "failed"), done.log
    assert "Compared with 1 recent run on main: 0 new failures" in done.log


def test_buildkite_test_counts_that_are_not_whole_numbers_leave_a_passing_run_unknown(
    bk_job: Job, buildkite: Simulated
) -> None:
    ours = {
        **bk.BuildkiteSimulator._test(
            "0b5e8c2e-7f1a-4c1e-9d1e-000000000002", "Login signs in", "./spec/login_spec.rb:3", "e2e", {}
        ),
        "executions_count_by_result": {"passed": "-1"},
    }
    buildkite.app.script(forever("GET", r"/builds/[\w-]+/tests$", [ours]))

    done = bk_job.step()

    assert (done.code, done.result) == (3, "error"), done.log
    assert "build tests are malformed" in done.log
    assert "how many tests ran" in done.log
