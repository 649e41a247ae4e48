"""The whole Buildkite path over real HTTP: trigger or attach, follow the build and its Test Engine run,
read every failed execution, report, exit code."""

from __future__ import annotations

import time

import pytest

from testrun_action.providers.buildkite import client as provider
from testrun_sim import buildkite as bk
from testrun_sim.server import Fault

from .conftest import FAST_BUILD, HEAD_SHA, Job, Simulated

BUILDS = "/v2/organizations/acme/pipelines/e2e-tests/builds"


def script(sim: Simulated, **changes: object) -> None:
    sim.app.scenarios["e2e-tests"] = bk.Scenario(**{**FAST_BUILD, **changes})


def test_passing_build_exits_zero_with_counts_and_test_engine_link(bk_job: Job, buildkite: Simulated) -> None:
    result = bk_job.run()

    build = buildkite.app.builds[0]
    assert result.code == 0, result.log
    assert result.outputs["result"] == "passed"
    assert result.outputs["run-id"] == "1"
    assert (
        result.outputs["run-url"]
        == f"https://buildkite.com/organizations/acme/analytics/suites/e2e/runs/{build.run_id}"
    )
    assert result.outputs["total"] == "12"
    assert result.outputs["passed"] == "12"
    assert result.outputs["state"] == "build passed; tests finished (passed)"
    assert "## ✅ E2E tests passed on `e2e-tests`" in result.summary
    assert "build scheduled → build running" in result.log


def test_trigger_sends_the_commit_branch_message_env_and_metadata(bk_job: Job, buildkite: Simulated) -> None:
    bk_job.run(
        build_url="https://staging.example.com",
        metadata="deployed_by: octocat\nattempt: 2",
        environment_variables="BASE_URL=https://staging.example.com\nAPI_SECRET: hunter22-secret",
    )

    body = buildkite.app.recorded("POST", BUILDS + r"\Z")[0]["body"]
    assert body["commit"] == HEAD_SHA
    assert body["branch"] == "main"
    assert body["message"] == "Speed up checkout"
    assert body["meta_data"] == {"deployed_by": "octocat", "attempt": "2"}
    env = body["env"]
    assert env["BASE_URL"] == "https://staging.example.com"
    assert env["API_SECRET"] == "hunter22-secret"
    assert env["TESTRUN_BUILD_URL"] == "https://staging.example.com"
    assert env["TESTRUN_ACTOR"] == "octocat"
    assert env["TESTRUN_COMMIT_URL"] == f"https://github.com/acme/shop/commit/{HEAD_SHA}"
    assert env["TESTRUN_GITHUB_RUN_URL"] == "https://github.com/acme/shop/actions/runs/4242"
    assert "pull_request_id" not in body


def test_pull_request_builds_the_head_commit_as_a_pull_request_build(
    bk_job: Job, buildkite: Simulated
) -> None:
    bk_job.run(event="pull_request")

    body = buildkite.app.recorded("POST", BUILDS + r"\Z")[0]["body"]
    assert body["commit"] == HEAD_SHA
    assert body["branch"] == "feature/checkout"
    assert body["pull_request_id"] == 1347
    assert body["message"] == "Faster checkout"


def test_test_branch_builds_the_head_of_that_branch(bk_job: Job, buildkite: Simulated) -> None:
    bk_job.run(test_branch="release-tests")

    body = buildkite.app.recorded("POST", BUILDS + r"\Z")[0]["body"]
    assert (body["commit"], body["branch"]) == ("HEAD", "release-tests")
    assert body["env"]["TESTRUN_COMMIT"] == HEAD_SHA


def test_failed_tests_exit_one_with_file_line_message_details_and_flaky_apart(
    bk_job: Job, buildkite: Simulated
) -> None:
    script(buildkite, failed=3, flaky=1)

    result = bk_job.run()

    assert result.code == 1
    assert (result.outputs["failed"], result.outputs["flaky"], result.outputs["passed"]) == ("3", "1", "8")
    # The build's tests include a failing one from another suite: it is not ours, so not counted.
    assert result.outputs["total"] == "12"
    assert "### Failed tests (3)" in result.summary
    assert "### Flaky tests (1)" in result.summary
    # "./" stripped, the line split off: a link to that line of the file at the tested commit.
    assert f"/blob/{HEAD_SHA}/spec/features/checkout_spec.rb#L10" in result.summary
    assert "expected the checkout page to respond" in result.summary
    assert "got: 502" in result.summary  # failure_expanded
    assert "?execution_id=" in result.summary
    assert "[failed] Checkout applies a discount code (spec/features/checkout_spec.rb:10)" in result.log


def test_attach_by_build_number_follows_the_build_without_triggering(
    bk_job: Job, buildkite: Simulated
) -> None:
    script(buildkite, failed=1)
    buildkite.app.start_build("e2e-tests", {"commit": HEAD_SHA, "branch": "main"}, source="webhook")

    result = bk_job.run(build_number="1")

    assert result.code == 1
    assert result.outputs["run-id"] == "1"
    assert result.outputs["failed"] == "1"
    assert buildkite.app.recorded("POST") == []
    assert "Attached to Buildkite run 1" in result.log


def test_attach_by_run_uuid_needs_no_pipeline_and_never_reads_builds(
    bk_job: Job, buildkite: Simulated
) -> None:
    script(buildkite, failed=2)
    build = buildkite.app.start_build("e2e-tests", {"commit": HEAD_SHA, "branch": "main"})
    time.sleep(0.6)  # the run appears with the first upload, mid-build

    result = bk_job.run(run_id=build.run_id.upper(), pipeline="")

    assert result.code == 1
    assert result.outputs["run-id"] == build.run_id
    assert result.outputs["failed"] == "2"
    assert result.outputs["state"] == "tests finished (failed)"
    assert buildkite.app.recorded(path="/pipelines/") == []
    assert "## ❌ E2E tests failed on `e2e`" in result.summary  # labelled with the suite


def test_a_numeric_run_id_is_a_build_number(bk_job: Job, buildkite: Simulated) -> None:
    buildkite.app.start_build("e2e-tests", {"commit": HEAD_SHA, "branch": "main"})

    result = bk_job.run(run_id="1")

    assert result.code == 0, result.log
    assert buildkite.app.recorded("POST") == []


def test_reopened_run_is_followed_until_its_late_failures_are_in(bk_job: Job, buildkite: Simulated) -> None:
    # Finished and passed for 0.4 s, then a late upload reopens it with a failure (providers.md 3.3).
    script(buildkite, reopen_after=0.4, reopen_for=1.5, late_failed=1)

    result = bk_job.run()

    assert result.code == 1, result.log
    assert result.outputs["result"] == "failed"
    assert result.outputs["failed"] == "1"
    # It was seen finished and passed, looked at again, found reopened, and followed to the end.
    assert "reopened: more results arrived" in result.log


def test_stale_run_is_an_error_never_a_pass(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, stale=True)

    result = bk_job.run()

    assert result.code == 1
    assert result.outputs["result"] == "error"
    assert result.outputs["state"] == "build passed; tests running (stale)"
    assert "Test Engine received no results for the run in time" in result.summary


def test_blocked_build_does_not_pass(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, blocked=True)

    result = bk_job.run()

    assert result.code == 1
    assert result.outputs["result"] == "error"
    assert "block step" in result.summary


def test_failed_build_whose_tests_passed_is_an_error(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, end_state="failed")

    result = bk_job.run()

    assert result.code == 1
    assert result.outputs["result"] == "error"
    assert "The build failed although no test failed" in result.summary


def test_canceled_build_is_reported_cancelled(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, end_state="canceled")

    result = bk_job.run()

    assert result.code == 1
    assert result.outputs["result"] == "cancelled"


def test_build_whose_suite_gets_no_run_is_an_error(
    bk_job: Job, buildkite: Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(buildkite, uploads=False)
    monkeypatch.setattr(provider, "RUN_APPEAR_SECONDS", 0.5)

    result = bk_job.run()

    assert result.code == 1
    assert result.outputs["result"] == "error"
    assert "No Test Engine run appeared" in result.summary


def test_thousand_failed_executions_across_ten_pages_are_all_read_and_counted(
    bk_job: Job, buildkite: Simulated
) -> None:
    script(buildkite, tests=1200, failed=1000, duration=0.3)

    started = time.monotonic()
    result = bk_job.run()
    elapsed = time.monotonic() - started

    pages = buildkite.app.recorded("GET", r"/failed_executions\Z")
    assert sorted(int(p["query"].get("page", "1")) for p in pages) == list(range(1, 11))
    assert all(p["query"]["per_page"] == "100" for p in pages)
    assert result.code == 1
    assert result.outputs["failed"] == "1000"
    assert result.outputs["total"] == "1200"
    assert "### Failed tests (1000)" in result.summary
    assert "::group::1000 failed or flaky tests" in result.log
    assert result.log.count("[failed] ") == 1000
    assert elapsed < 15, elapsed


def test_requests_slow_down_before_the_quota_runs_out(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, tests=1000, failed=1000, duration=0.3)
    buildkite.app.rate_limits = bk.RateLimits(organization=200, user=12, window=1.0)

    result = bk_job.run()

    assert result.outputs["failed"] == "1000"
    assert buildkite.app.throttled == 0
    assert "HTTP 429" not in result.log


def test_429_waits_for_ratelimit_reset_then_carries_on(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, tests=300, failed=250, duration=0.3)
    body = {"message": "You have exceeded your API rate limit. Please wait 1 seconds before making more requests.",
            "scope": "rest_user", "limit": 50, "current": 51, "reset": 1}  # fmt: skip
    headers = {"RateLimit-User-Remaining": "0", "RateLimit-User-Reset": "1", "RateLimit-User-Limit": "50",
               "RateLimit-Remaining": "150", "RateLimit-Reset": "1", "RateLimit-Limit": "200"}  # fmt: skip
    buildkite.app.script(
        Fault("GET", r"/failed_executions\Z", "status", status=429, body=body, headers=headers)
    )

    result = bk_job.run()

    assert result.code == 1, result.log
    assert result.outputs["failed"] == "250"
    calls = buildkite.app.recorded("GET", r"/failed_executions\Z")
    assert calls[1]["at"] - calls[0]["at"] >= 1.0  # the first call was the 429; the retry waited
    assert "HTTP 429" in result.log


def test_deadline_cancels_the_build(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, duration=30)

    result = bk_job.run(timeout_minutes="0.02")

    assert result.code == 1
    assert result.outputs["result"] == "timed_out"
    assert buildkite.app.recorded("PUT", BUILDS + r"/1/cancel\Z")
    assert buildkite.app.builds[0].cancelled_at is not None
    assert "Cancelled Buildkite run 1." in result.log


def test_trigger_that_may_have_arrived_adopts_the_build_instead_of_triggering_twice(
    bk_job: Job, buildkite: Simulated
) -> None:
    buildkite.app.script(Fault("POST", BUILDS + r"\Z", "drop_after"))

    result = bk_job.run()

    assert result.code == 0, result.log
    assert len(buildkite.app.builds) == 1
    assert len(buildkite.app.recorded("POST")) == 1
    assert "Found build #1, created by the trigger" in result.log


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        ({"organization": ""}, "organization"),
        ({"suite": ""}, "suite"),
        ({"pipeline": ""}, "pipeline"),
        ({"pipeline": "../admin"}, "pipeline"),
        ({"build_number": "0"}, "build-number"),
        ({"build_number": "12a"}, "build-number"),
        ({"run_id": "not-a-run"}, "run-id"),
        ({"run_id": "3", "build_number": "4"}, "build-number"),
        ({"tags": "@smoke"}, "tags"),
    ],
)
def test_bad_inputs_exit_two_naming_the_input_and_send_nothing(
    bk_job: Job, buildkite: Simulated, inputs: dict[str, str], named: str
) -> None:
    result = bk_job.run(**inputs)

    assert result.code == 2
    assert f"Input '{named}'" in result.log
    assert buildkite.app.requests == []


def test_unknown_pipeline_is_rejected_with_a_hint(bk_job: Job, buildkite: Simulated) -> None:
    result = bk_job.run(pipeline="nope")

    assert result.code == 2
    assert "No pipeline found" in result.log
    assert "Input 'pipeline'" in result.log
    assert buildkite.app.builds == []


def test_wrong_token_exits_three_without_printing_it(bk_job: Job, buildkite: Simulated) -> None:
    result = bk_job.run(api_key="bkua_wrong-token-1234")

    assert result.code == 3
    assert "Authentication failed" in result.log
    assert "bkua_wrong-token-1234" not in result.everything()


def test_secret_environment_values_never_appear_in_any_output(bk_job: Job, buildkite: Simulated) -> None:
    script(buildkite, failed=1)

    result = bk_job.run(environment_variables="API_SECRET: hunter22-secret")

    assert "hunter22-secret" not in result.everything()


def test_dry_run_prints_the_build_request_with_secret_env_masked(bk_job: Job, buildkite: Simulated) -> None:
    result = bk_job.run(dry_run="true", environment_variables="API_SECRET: hunter22-secret")

    assert result.code == 0
    assert f"POST {buildkite.url}{BUILDS}" in result.log
    assert '"API_SECRET": "***"' in result.log
    assert f'"commit": "{HEAD_SHA}"' in result.log
    assert buildkite.app.requests == []


def test_a_dry_run_that_cannot_build_its_request_still_writes_every_output_and_the_summary(
    bk_job: Job, buildkite: Simulated
) -> None:
    result = bk_job.run(dry_run="true", env={"GITHUB_REF_NAME": ""})  # a job with no branch to build

    assert result.code == 2
    assert "::error title=Invalid configuration::Input 'test-branch': is required here" in result.log
    assert result.outputs["result"] == "error"
    assert set(result.outputs) >= {"run-id", "state", "total", "check-run-url", "junit-file"}
    assert result.summary.startswith("## ⚙️ Configuration error")
    assert buildkite.app.requests == []


def test_a_failed_build_shows_each_failure_s_time_the_slowest_and_a_link_to_the_build(
    bk_job: Job, buildkite: Simulated
) -> None:
    script(buildkite, failed=3, flaky=1)

    result = bk_job.run()

    summary = result.summary
    assert "| File | Test | Line | Time | Message |" in summary
    slow = summary.split("### Slowest failed tests\n\n")[1].split("\n\n")[0]
    times = [float(line.split(" | ")[0].strip("| s")) for line in slow.splitlines()[2:]]
    assert len(times) == 4  # three failed, one flaky: each with the `duration` of its execution
    assert times == sorted(times, reverse=True)
    assert "· [Build logs](https://buildkite.com/acme/e2e-tests/builds/1)" in summary
    assert "Open the report in Buildkite](https://buildkite.com/organizations/" in summary
