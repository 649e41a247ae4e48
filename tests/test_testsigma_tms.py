"""Testsigma Test Management over real HTTP: any provider's run is recorded (seed 003's body), its JUnit
results imported and the import followed to the end; the service's HTTP 500 rate limit is retried; and
nothing that goes wrong there changes the step's exit code."""

from __future__ import annotations

import time

import pytest

from testrun_sim.empirical import Scenario
from testrun_sim.server import Fault
from testrun_sim.testsigma import Plan
from testrun_sim.testsigma_tms import DEFAULT_KEY, DEFAULT_PROJECT, TmsScript

from .conftest import FAST, HEAD_SHA, PLAN_ID, Job, Simulated

CASES = ["9ac271b6-4e89-4c93-8c75-2d625efa0b2d", "0b6f5d0e-9d1c-4a55-8f3b-2b9f3e7c1a01"]


def tms_inputs(tms: Simulated, **more: str) -> dict[str, str]:
    return {
        "testsigma_tms_project": DEFAULT_PROJECT,
        "testsigma_tms_api_key": DEFAULT_KEY,
        "testsigma_tms_url": tms.url,
        **more,
    }


def test_an_empirical_run_is_recorded_with_seed_003s_body_and_its_junit_imported(
    job: Job, empirical: Simulated, tms: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=2)
    before_ms = int(time.time() * 1000)

    result = job.run(
        **tms_inputs(
            tms,
            testsigma_tms_test_cases="\n".join(CASES),
            testsigma_tms_labels="Smoke, Regression",
            testsigma_tms_environments="env-staging",
            testsigma_tms_assignee="cbbc40a5-26e9-4b88-8c27-3626c9fbdaa4",
        )
    )

    assert result.code == 1  # the tests failed; the record does not change that
    [record] = tms.app.test_runs.values()
    body = record["request"]
    assert body["title"] == f"E2E staging · main @ {HEAD_SHA[:7]}"
    assert "Report: https://dash.empirical.run/acme-shop/test-runs/1001" in body["description"]
    assert f"Commit: https://github.com/acme/shop/commit/{HEAD_SHA}" in body["description"]
    assert body["status"] == "ACTIVE"
    assert body["project_id"] == DEFAULT_PROJECT
    assert body["selection_type"] == "STATIC"
    assert body["static_selection_filters"] == [{"field": "id", "operator": "IN", "values": CASES}]
    assert body["label_names"] == ["Smoke", "Regression"]
    assert body["environment_ids"] == ["env-staging"]
    assert body["assignee_id"] == "cbbc40a5-26e9-4b88-8c27-3626c9fbdaa4"
    # Epoch milliseconds (providers.md 2.2), spanning the run.
    assert before_ms - 5_000 <= body["start_date"] <= body["end_date"] <= int(time.time() * 1000)
    assert result.outputs["testsigma-tms-run-id"] == record["id"]
    [imported] = record["imports"]
    # Every test the service lists is in the JUnit file (issue 15; it held only the 2 failed ones).
    assert (imported["testcases"], imported["failures"]) == (12, 2)
    assert 'tests="12"' in imported["xml"]
    assert 'failures="2"' in imported["xml"]
    polls = tms.app.recorded("GET", r"/junit-imports/.+/status$")
    assert len(polls) == tms.app.behaviour.import_polls + 1  # followed until COMPLETED, then no more
    assert "the JUnit results were imported" in result.log
    assert f"Recorded in Testsigma Test Management as test run `{record['human_id']}`" in result.summary


def test_a_testsigma_run_is_recorded_too(testsigma_job: Job, testsigma: Simulated, tms: Simulated) -> None:
    testsigma.app.plans[PLAN_ID] = Plan(created=0.1, queued=0.1, pre_flight=0.1, duration=0.3, failed=1)

    result = testsigma_job.run(**tms_inputs(tms))

    assert result.code == 1
    [record] = tms.app.test_runs.values()
    assert record["request"]["title"] == f"E2E test plan {PLAN_ID} · main @ {HEAD_SHA[:7]}"
    assert record["request"]["static_selection_filters"] == []
    assert "Element is not displayed" in record["imports"][0]["xml"]
    assert result.outputs["testsigma-tms-run-id"] == record["id"]


def test_rate_limit_answered_as_http_500_is_retried_until_recorded(job: Job, tms: Simulated) -> None:
    tms.app.behaviour = TmsScript(rate_limit=2, import_polls=1)

    result = job.run(**tms_inputs(tms))

    assert result.code == 0, result.log
    assert tms.app.rate_limited >= 1
    assert "HTTP 500 (rate limit exceeded)" in result.log
    assert "retrying" in result.log
    # The creating requests were repeated only because the 500 said they had done nothing.
    [record] = tms.app.test_runs.values()
    assert len(record["imports"]) == 1
    assert result.outputs["testsigma-tms-run-id"] == record["id"]
    assert "the JUnit results were imported" in result.log


def test_an_ambiguous_failure_creating_the_record_is_not_repeated(job: Job, tms: Simulated) -> None:
    tms.app.script(Fault("POST", r"/test_runs$", "status", status=502, body={"message": "Bad Gateway"}))

    result = job.run(**tms_inputs(tms))

    assert result.code == 0
    assert len(tms.app.recorded("POST", r"/test_runs$")) == 1
    assert "Not creating another record" in result.log
    assert result.outputs["testsigma-tms-run-id"] == ""


@pytest.mark.parametrize("outcome", ["passed", "failed"])
def test_a_wrong_tms_key_is_a_warning_and_never_changes_the_exit_code(
    job: Job, empirical: Simulated, tms: Simulated, outcome: str
) -> None:
    if outcome == "failed":
        empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)

    result = job.run(**tms_inputs(tms, testsigma_tms_api_key="wrong-tms-key"))

    assert result.code == (0 if outcome == "passed" else 1)
    assert result.outputs["result"] == outcome
    assert "::warning title=Testsigma Test Management::" in result.log
    assert "`testsigma-tms-api-key`" in result.log
    assert result.outputs["testsigma-tms-run-id"] == ""


def test_a_failed_import_is_a_warning_and_the_record_id_is_still_an_output(job: Job, tms: Simulated) -> None:
    tms.app.behaviour = TmsScript(import_fails=True, import_polls=0)

    result = job.run(**tms_inputs(tms))

    assert result.code == 0
    assert "the JUnit import failed: No test case in the file matched the project" in result.log
    assert result.outputs["testsigma-tms-run-id"] == next(iter(tms.app.test_runs))


def test_nothing_is_recorded_when_the_run_was_only_triggered(job: Job, tms: Simulated) -> None:
    result = job.run(wait="false", **tms_inputs(tms))

    assert result.code == 0
    assert tms.app.test_runs == {}
    assert result.outputs["testsigma-tms-run-id"] == ""
    assert "not recording the run: there are no results to record" in result.log


def test_the_tms_key_is_masked_and_never_shown(job: Job, tms: Simulated) -> None:
    result = job.run(**tms_inputs(tms))

    assert f"::add-mask::{DEFAULT_KEY}" in result.log
    shown = [line for line in result.everything().splitlines() if not line.startswith("::add-mask::")]
    assert not any(DEFAULT_KEY in line for line in shown)


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        ({"testsigma_tms_project": DEFAULT_PROJECT}, "testsigma-tms-api-key"),
        ({"testsigma_tms_api_key": DEFAULT_KEY}, "testsigma-tms-project"),
        ({"testsigma_tms_labels": "Smoke"}, "testsigma-tms-project"),
        ({"testsigma_tms_project": "../admin", "testsigma_tms_api_key": DEFAULT_KEY}, "testsigma-tms-project"),
        (
            {"testsigma_tms_project": DEFAULT_PROJECT, "testsigma_tms_api_key": DEFAULT_KEY,
             "testsigma_tms_url": "ftp://tms"},
            "testsigma-tms-url",
        ),
    ],
)  # fmt: skip
def test_bad_tms_inputs_exit_two_naming_the_input(job: Job, inputs: dict[str, str], named: str) -> None:
    result = job.run(**inputs)

    assert result.code == 2
    assert f"Input '{named}'" in result.log
