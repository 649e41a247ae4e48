"""The whole Empirical path over real HTTP: trigger, wait, report, exit code."""

from __future__ import annotations

import re

from testrun_sim.empirical import Scenario

from .conftest import FAST, HEAD_SHA, Job, Simulated


def test_passing_run_exits_zero_with_every_output(job: Job, empirical: Simulated) -> None:
    result = job.run()

    assert result.code == 0
    assert result.outputs == {
        "run-id": "1001",
        "run-url": "https://dash.empirical.run/acme-shop/test-runs/1001",
        "state": "ended",
        "result": "passed",
        "total": "12",
        "passed": "12",
        "failed": "0",
        "flaky": "0",
        "skipped": "0",
        "duration-seconds": "1",
        "check-run-url": "https://github.com/acme/shop/runs/4000000001",
        "junit-file": "",
        "testsigma-tms-run-id": "",
    }
    assert "## ✅ E2E tests passed on `staging`" in result.summary
    assert "queued → started" in result.log
    assert "started → ended" in result.log


def test_failing_run_exits_one_and_lists_the_failed_tests(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=2)

    result = job.run()

    assert result.code == 1
    assert result.outputs["result"] == "failed"
    assert result.outputs["failed"] == "2"
    assert "### Failed tests (2)" in result.summary
    assert result.summary.count("?test_id=") == 2
    assert f"https://github.com/acme/shop/blob/{HEAD_SHA}/tests/" in result.summary


def test_trigger_sends_the_build_info_of_the_event_and_the_actor(job: Job, empirical: Simulated) -> None:
    job.run(
        event="pull_request", build_url="https://pr-1347.example.com", build_version="2.4.1", tags="@smoke"
    )

    [trigger] = empirical.app.recorded("PUT", r"^/api/test-runs$")
    assert trigger["body"] == {
        "environment": "staging",
        "build": {
            "url": "https://pr-1347.example.com",
            "branch": "feature/checkout",
            "commit": HEAD_SHA,
            "commit_url": f"https://github.com/acme/shop/commit/{HEAD_SHA}",
            "version": "2.4.1",
        },
        "tags": ["@smoke"],
        "github_actor": "octocat",
    }


def test_deployment_status_sends_the_deployment_url_as_the_build_url(job: Job, empirical: Simulated) -> None:
    job.run(event="deployment_status")

    [trigger] = empirical.app.recorded("PUT", r"^/api/test-runs$")
    assert trigger["body"]["build"]["url"] == "https://staging-4411.shop.example.com"
    assert trigger["body"]["build"]["commit"] == HEAD_SHA


def test_test_branch_replaces_the_build_object(job: Job, empirical: Simulated) -> None:
    result = job.run(test_branch="feature/new-tests", metadata="ticket: SHOP-1\nbuild: 42")

    assert result.code == 0
    [trigger] = empirical.app.recorded("PUT", r"^/api/test-runs$")
    assert "build" not in trigger["body"]
    assert trigger["body"]["branch"] == "feature/new-tests"
    assert trigger["body"]["metadata"] == {"ticket": "SHOP-1", "build": "42"}


def test_every_optional_field_is_sent_as_the_documented_type(job: Job, empirical: Simulated) -> None:
    result = job.run(
        total_shards="3",
        rerun_of="77",
        rerun_only_failed="true",
        send_notifications="false",
        environment_variables="BASE_URL=https://staging.example.com",
        project_id="42",
    )

    assert result.code == 0
    [trigger] = empirical.app.recorded("PUT", r"^/api/test-runs$")
    assert trigger["headers"]["x-project-id"] == "42"
    body = trigger["body"]
    assert (body["total_shards"], body["rerun_source_id"]) == (3, 77)
    assert (body["rerun_only_failed"], body["send_notifications"]) == (True, False)
    assert body["environment_variables_overrides"] == [
        {"name": "BASE_URL", "value": "https://staging.example.com"}
    ]


def test_snoozed_failures_do_not_fail_the_step(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, snoozed=2)

    result = job.run()

    assert result.code == 0
    assert result.outputs["result"] == "passed"
    assert result.outputs["failed"] == "0"
    assert "🟪 2 snoozed" in result.summary


def test_flaky_tests_pass_by_default_and_fail_with_fail_on_flaky(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, flaky=1)

    assert job.run().code == 0
    flaky = job.run(fail_on="flaky")
    assert flaky.code == 1
    assert flaky.outputs["result"] == "passed"
    assert flaky.outputs["flaky"] == "1"
    assert "### Flaky tests (1)" in flaky.summary


def test_fail_on_never_reports_failures_and_exits_zero(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=3)

    result = job.run(fail_on="never")

    assert result.code == 0
    assert result.outputs["result"] == "failed"


def test_a_run_that_errored_fails_with_its_error_code_explained(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, error_code="merge_conflict")

    result = job.run()

    assert result.code == 1
    assert result.outputs["result"] == "error"
    assert result.outputs["state"] == "error"
    assert "`merge_conflict`" in result.summary
    assert "Merge conflict detected" in result.summary


def test_a_run_cancelled_by_the_service_fails(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, cancelled_by_service=True)

    result = job.run()

    assert result.code == 1
    assert result.outputs["result"] == "cancelled"


def test_at_the_deadline_the_remote_run_is_cancelled_and_the_step_times_out(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=50)

    result = job.run(timeout_minutes="0.02")  # 1.2 s

    assert result.code == 1
    assert result.outputs["result"] == "timed_out"
    assert result.outputs["run-id"] == "1001"
    [cancel] = empirical.app.recorded("POST", r"/cancel$")
    assert cancel["path"] == "/api/test-runs/1001/cancel"
    assert cancel["body"] == {"reason": "timeout-minutes reached"}
    assert "## ⏱️ E2E tests timed out" in result.summary


def test_with_cancel_on_abort_false_the_deadline_leaves_the_run_going(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=50)

    result = job.run(timeout_minutes="0.01", cancel_on_abort="false")

    assert result.outputs["result"] == "timed_out"
    assert empirical.app.recorded("POST", r"/cancel$") == []


def test_attach_mode_follows_an_existing_run_without_triggering(job: Job, empirical: Simulated) -> None:
    first = job.run(wait="false")
    run_id = first.outputs["run-id"]

    attached = job.run(run_id=run_id)

    assert attached.code == 0
    assert attached.outputs["run-id"] == run_id
    assert attached.outputs["result"] == "passed"
    assert len(empirical.app.recorded("PUT", r"^/api/test-runs$")) == 1


def test_wait_false_only_triggers_and_passes_with_the_run_id(job: Job, empirical: Simulated) -> None:
    result = job.run(wait="false")

    assert result.code == 0
    assert result.outputs["result"] == "triggered"
    assert result.outputs["run-id"] == "1001"
    assert "run_id<<" in result.state  # for the post step
    assert "settled<<" in result.state  # meant to keep going: the post step leaves it
    assert empirical.app.recorded("GET", r"^/api/test-runs/\d+$") == []


def test_dry_run_sends_nothing_and_prints_the_request_with_secrets_masked(
    job: Job, empirical: Simulated
) -> None:
    result = job.run(dry_run="true", environment_variables="PASSWORD=hunter2-secret")

    assert result.code == 0
    assert empirical.app.requests == []
    assert "PUT " + job.api_url + "/api/test-runs" in result.log
    assert '"environment": "staging"' in result.log
    assert "Authorization: Bearer ***" in result.log
    assert "hunter2-secret" not in result.shown_log
    assert "sim-empirical-key" not in result.shown_log


def test_an_unknown_environment_is_rejected_with_the_valid_slugs(job: Job, empirical: Simulated) -> None:
    result = job.run(environment="stagign")

    assert result.code == 2
    assert "::error title=Request rejected by the service::" in result.log
    assert "Environment 'stagign' not found. Valid environments: production, staging" in result.log
    assert result.outputs["result"] == "error"


def test_a_wrong_api_key_exits_three_and_says_so(job: Job, empirical: Simulated) -> None:
    result = job.run(api_key="wrong-key-0000")

    assert result.code == 3
    assert "refused the credentials (HTTP 401)" in result.log
    assert result.outputs["result"] == "error"
    assert "wrong-key-0000" not in result.everything()


def test_an_unreachable_service_exits_three_after_retrying(job: Job, unused_port: int) -> None:
    result = job.run(api_url=f"http://127.0.0.1:{unused_port}", timeout_minutes="0.05")

    assert result.code == 3
    assert result.outputs["result"] == "error"
    assert f"could not connect to 127.0.0.1:{unused_port} (connection refused)" in result.log
    assert "Check the `api-url` input" in result.log


def test_attaching_to_an_unknown_run_exits_three(job: Job) -> None:
    result = job.run(run_id="999999")

    assert result.code == 3
    assert "no run 999999" in result.log


def test_bad_input_is_one_error_naming_the_input_with_exit_code_two(job: Job, empirical: Simulated) -> None:
    result = job.run(timeout_minutes="soon")

    assert result.code == 2
    errors = [line for line in result.log.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error title=Invalid configuration::Input 'timeout-minutes': expected a number from 0.01 to 7200, got \"soon\"."
    ]
    assert "Traceback" not in result.log
    assert empirical.app.requests == []
    assert result.outputs["result"] == "error"
    assert {value for name, value in result.outputs.items() if name != "result"} == {""}
    assert "## ⚙️ Configuration error: the step did not start a run" in result.summary


def test_secrets_never_appear_in_any_output(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)

    result = job.run(environment_variables="PASSWORD: hunter2-secret\nBASE_URL=https://s.example.com")

    visible = result.everything()
    assert result.code == 1
    for secret in ("sim-empirical-key", "hunter2-secret", "ghs_16C7e42F292c6912E7710c838347Ae178B4a"):
        assert secret not in visible
        assert f"::add-mask::{secret}" in result.log.splitlines()
    assert result.log.index("::add-mask::") == 0  # masked before anything else is printed


def test_a_timeout_reports_the_limit_the_failures_so_far_and_the_state_after_the_cancel(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=4, tests=400, failed=40)

    result = job.run(timeout_minutes="0.05")  # 3 s: some of the 40 failures happen before it

    assert result.outputs["result"] == "timed_out"
    assert result.outputs["state"] == "cancelling"  # what the service says right after the cancel
    assert (
        "did not end before `timeout-minutes` (3s); it was cancelled (the service now says `cancelling`)"
        in (result.summary)
    )
    assert "### Failed tests (" in result.summary
    assert re.search(r"\| \d+s \(so far\) \| cancelling \|", result.summary)
    assert re.search(r"By then \d+ of 400 tests had run, \d+ failed\.", result.summary)
