"""Testsigma's automation platform over real HTTP: trigger a test plan or attach, wait through every
status, conclude on every result, fetch failures with their reasons, stop on abort."""

from __future__ import annotations

import io
import json

import pytest

from testrun_action.clock import Deadline, SystemClock
from testrun_action.context import GitHubContext
from testrun_action.providers import Wiring
from testrun_action.providers.testsigma.client import TestsigmaProvider
from testrun_action.settings import load_settings, read_raw_inputs
from testrun_sim.server import Fault
from testrun_sim.testsigma import DEFAULT_KEY, Plan

from .conftest import HEAD_SHA, PLAN_ID, Job, JobResult, Simulated

FAST = {"created": 0.1, "queued": 0.1, "pre_flight": 0.1, "duration": 0.3}


def visible(result: JobResult) -> str:
    """What a reader sees: everything but the masking commands, which the runner never shows."""
    return "\n".join(line for line in result.everything().splitlines() if not line.startswith("::add-mask::"))


def test_passing_plan_run_exits_zero_with_every_output(testsigma_job: Job, testsigma: Simulated) -> None:
    result = testsigma_job.run()

    assert result.code == 0, result.log
    assert result.outputs["run-id"] == "337"
    assert result.outputs["run-url"] == "https://app.testsigma.com/ui/td/runs/337"
    assert result.outputs["result"] == "passed"
    assert result.outputs["state"] == "STATUS_COMPLETED (SUCCESS)"
    assert result.outputs["total"] == result.outputs["passed"] == "12"
    assert result.outputs["duration-seconds"] != ""
    trigger = testsigma.app.recorded("POST", r"/api/v1/execution_results$")
    assert [t["body"] for t in trigger] == [{"executionId": str(PLAN_ID), "buildNo": HEAD_SHA[:7]}]
    assert "Triggering a run on Testsigma for test plan 3058" in result.log
    assert "## ✅ E2E tests passed on `test plan 3058`" in result.summary


def test_run_sitting_in_status_created_is_waited_for_not_concluded(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=1.2, queued=0.5, pre_flight=0.5, duration=0.2, failed=1)

    result = testsigma_job.run()

    assert result.code == 1
    assert result.outputs["result"] == "failed"
    polls = testsigma.app.recorded("GET", r"/api/v1/execution_results/337$")
    assert len(polls) >= 5  # several status checks answered STATUS_CREATED, and the wait went on
    for before, after in [
        ("STATUS_CREATED", "STATUS_QUEUED"),
        ("STATUS_QUEUED", "STATUS_PRE_FLIGHT"),
        ("STATUS_PRE_FLIGHT", "STATUS_IN_PROGRESS"),
    ]:
        assert f"{before} → {after}" in result.log


def test_trigger_sends_environment_build_number_and_runtime_data(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    result = testsigma_job.run(
        testsigma_environment_id="10",
        build_version="1.9.26_rc1",
        environment_variables="url: https://staging.shop.example.com\nTOKEN=s3cr3t-value",
        environment="staging",
    )

    assert result.code == 0, result.log
    body = testsigma.app.recorded("POST", r"/api/v1/execution_results$")[0]["body"]
    assert body == {
        "executionId": "3058",
        "environmentId": "10",
        "buildNo": "1.9.26_rc1",
        "runtimeData": {"url": "https://staging.shop.example.com", "TOKEN": "s3cr3t-value"},
    }
    assert "s3cr3t-value" not in visible(result)
    assert "for test plan 3058 on environment 10" in result.log
    assert "on `staging`" in result.summary


def test_dry_run_shows_the_trigger_with_runtime_values_masked(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    result = testsigma_job.run(dry_run="true", environment_variables="TOKEN=s3cr3t-value")

    assert result.code == 0
    assert "POST " + testsigma.url + "/api/v1/execution_results" in result.log
    assert '"TOKEN": "***"' in result.log
    assert "s3cr3t-value" not in visible(result)
    assert testsigma.app.recorded("POST") == []


@pytest.mark.parametrize(
    ("plan", "code", "outcome", "state", "shown"),
    [
        ({"failed": 2}, 1, "failed", "STATUS_COMPLETED (FAILURE)", "### Failed tests (2)"),
        ({"result": "PASSED"}, 0, "passed", "STATUS_COMPLETED (PASSED)", "E2E tests passed"),
        ({"result": "ABORTED"}, 1, "error", "STATUS_COMPLETED (ABORTED)", "`ABORTED`"),
        ({"result": "NOT_EXECUTED"}, 1, "error", "STATUS_COMPLETED (NOT_EXECUTED)", "`NOT_EXECUTED`"),
        ({"result": "STOPPED"}, 1, "cancelled", "STATUS_COMPLETED (STOPPED)", "E2E tests cancelled"),
        # A failed plan with no failed test counted is never read as a pass.
        ({"result": "FAILURE"}, 1, "error", "STATUS_COMPLETED (FAILURE)", "`FAILURE`"),
        ({"result": "SOMETHING_NEW"}, 1, "error", "STATUS_COMPLETED (SOMETHING_NEW)", "`SOMETHING_NEW`"),
    ],
)
def test_every_completed_result_maps_to_an_outcome(
    testsigma_job: Job,
    testsigma: Simulated,
    plan: dict[str, object],
    code: int,
    outcome: str,
    state: str,
    shown: str,
) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(**FAST, **plan)  # type: ignore[arg-type]

    result = testsigma_job.run()

    assert (result.code, result.outputs["result"], result.outputs["state"]) == (code, outcome, state)
    assert shown in result.summary


def test_failures_carry_the_failed_steps_message_and_suite_not_a_file(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(**FAST, failed=2, machines=["Windows 11 Chrome"])

    result = testsigma_job.run()

    assert result.code == 1
    assert "Unable to perform click/check action on element, Element is not displayed." in result.summary
    assert "Expected text 'Order placed' but found 'Payment declined'." in result.summary
    assert "Verify the page shows the expected result" in result.summary  # the failed step, in details
    assert "Checkout · Windows 11 Chrome" in result.summary
    assert "::error file=" not in result.log  # no file, no line: never a file annotation
    # The failed step is on the second page of step results: it was read.
    pages = testsigma.app.recorded("GET", r"/step_results$")
    assert {p["query"]["page"] for p in pages} == {"0", "1"}
    assert "Expected text 'Order placed'" in result.log


def test_failure_reasons_fall_back_to_the_junit_report(testsigma_job: Job, testsigma: Simulated) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(**FAST, failed=2, step_results=False)

    result = testsigma_job.run()

    assert result.code == 1
    assert len(testsigma.app.recorded("GET", r"/api/v1/reports/junit/337$")) == 1
    assert "Unable to perform click/check action on element, Element is not displayed." in result.summary


def test_failures_come_from_the_junit_report_when_case_results_fail(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(**FAST, failed=1, case_results=False)

    result = testsigma_job.run()

    assert result.code == 1
    assert "### Failed tests (1)" in result.summary
    assert "Element is not displayed" in result.summary
    assert (
        "Regression" not in result.summary.split("### Failed tests")[1].split("|")[2]
    )  # machine, not plan name


def test_step_lookups_are_bounded_and_the_summary_says_so(testsigma_job: Job, testsigma: Simulated) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(**FAST, tests=40, failed=30)

    result = testsigma_job.run()

    assert result.code == 1
    assert "### Failed tests (30)" in result.summary
    cases = {r["path"].split("/")[6] for r in testsigma.app.recorded("GET", r"/step_results$")}
    assert len(cases) == 25
    assert "first 25 of 30 failed tests" in result.summary


def test_attach_follows_an_existing_run_without_triggering(testsigma_job: Job, testsigma: Simulated) -> None:
    started = testsigma_job.run(wait="false")
    assert started.outputs["result"] == "triggered"

    result = testsigma_job.run(run_id=started.outputs["run-id"], test_plan_id="")

    assert result.code == 0, result.log
    assert result.outputs["run-id"] == started.outputs["run-id"]
    assert len(testsigma.app.recorded("POST", r"/api/v1/execution_results$")) == 1
    assert "Attached to Testsigma run 337" in result.log


def test_attach_to_an_unknown_run_is_a_service_error(testsigma_job: Job) -> None:
    result = testsigma_job.run(run_id="999", test_plan_id="")

    assert result.code == 3
    assert "Testsigma has no run 999" in result.log


def test_deadline_stops_the_run_and_records_the_stop(testsigma_job: Job, testsigma: Simulated) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=0.1, queued=0.1, pre_flight=0.1, duration=60)

    result = testsigma_job.run(timeout_minutes="0.01")

    assert result.code == 1
    assert result.outputs["result"] == "timed_out"
    stops = testsigma.app.recorded("PUT", r"/api/v1/execution_results/337$")
    assert [s["body"] for s in stops] == [{"result": "STOPPED"}]
    assert testsigma.app.runs[337].stopped_at is not None
    assert "Cancelled Testsigma run 337" in result.log


def test_trigger_that_may_have_arrived_adopts_the_run_instead_of_triggering_twice(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.script(Fault("POST", r"/api/v1/execution_results$", "drop_after"))

    result = testsigma_job.run()

    assert result.code == 0, result.log
    assert len(testsigma.app.runs) == 1
    assert len(testsigma.app.recorded("POST", r"/api/v1/execution_results$")) == 1
    assert testsigma.app.recorded("GET", r"/api/v2/test_runs$")[0]["query"] == {
        "query": f"testPlanId:{PLAN_ID}"
    }
    assert "Found run 337, created by the trigger" in result.log


def test_trigger_that_created_nothing_is_not_repeated_and_not_green(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    testsigma.app.script(Fault("POST", r"/api/v1/execution_results$", "reset"))

    result = testsigma_job.run()

    assert result.code == 3
    assert result.outputs["result"] == "error"
    assert len(testsigma.app.recorded("POST", r"/api/v1/execution_results$")) == 1
    assert "not triggering again" in result.log


def test_unknown_test_plan_is_rejected_with_the_services_words(testsigma_job: Job) -> None:
    result = testsigma_job.run(test_plan_id="4242")

    assert result.code == 2
    assert "Test Plan not found with id: 4242" in result.log


def test_wrong_api_key_names_the_input(testsigma_job: Job) -> None:
    result = testsigma_job.run(api_key="not-the-key")

    assert result.code == 3
    assert "Testsigma refused the credentials (HTTP 401)" in result.log
    assert "`api-key`" in result.log


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        ({"test_plan_id": ""}, "test-plan-id"),
        ({"test_plan_id": "plan-7"}, "test-plan-id"),
        ({"testsigma_environment_id": "staging"}, "testsigma-environment-id"),
        ({"run_id": "abc", "test_plan_id": ""}, "run-id"),
        ({"tags": "@smoke"}, "tags"),
        ({"metadata": "a: b"}, "metadata"),
        ({"provider": "empirical"}, "test-plan-id"),
    ],
)
def test_bad_inputs_exit_two_naming_the_input(testsigma_job: Job, inputs: dict[str, str], named: str) -> None:
    result = testsigma_job.run(**inputs)

    assert result.code == 2
    assert f"Input '{named}'" in result.log
    assert "Traceback" not in result.log
    assert json.loads(json.dumps(result.outputs))["result"] == "error"


def test_a_status_the_action_does_not_know_keeps_the_wait_going(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    odd = {"id": 337, "status": "STATUS_PAUSED", "result": "QUEUED", "totalCount": 12}
    testsigma.app.script(
        Fault("GET", r"/api/v1/execution_results/337$", "status", times=4, status=200, body=odd)
    )

    result = testsigma_job.run()

    assert result.code == 0, result.log
    assert "STATUS_PAUSED" in result.log
    assert result.outputs["state"] == "STATUS_COMPLETED (SUCCESS)"


def test_stopping_a_run_that_already_completed_says_so(testsigma: Simulated) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=0, queued=0, pre_flight=0, duration=0)
    flags = {
        "provider": "testsigma",
        "api-key": DEFAULT_KEY,
        "api-url": testsigma.url,
        "test-plan-id": "3058",
    }
    settings = load_settings(read_raw_inputs({}, flags))
    log = io.StringIO()
    provider = TestsigmaProvider(settings, GitHubContext(), Wiring(SystemClock(), log.write))
    deadline = Deadline(SystemClock(), 10)
    try:
        run = provider.trigger(deadline)
        assert provider.poll(run.id, deadline).terminal
        assert provider.cancel(run, "test", deadline) is False
    finally:
        provider.close()
    assert testsigma.app.runs[337].stopped_at is None
