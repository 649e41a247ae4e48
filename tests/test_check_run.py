"""The check run, end to end: the real flow, PyGithub unchanged, real HTTP to the GitHub simulator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from testrun_sim.empirical import Scenario
from testrun_sim.github import READ_TOKEN

from .conftest import FAST, HEAD_SHA, MERGE_SHA, Job, Simulated

OTHER_SHA = "a" * 40


def only_check_run(github: Simulated) -> dict[str, Any]:
    runs = github.app.admin_check_runs()
    assert len(runs) == 1, runs
    return runs[0]


def annotation_batches(check_run: dict[str, Any]) -> list[int]:
    return [
        len(body["output"]["annotations"])
        for body in check_run["history"]
        if body.get("output", {}).get("annotations")
    ]


def test_pull_request_reports_on_head_sha_not_merge_sha(job: Job, github: Simulated) -> None:
    result = job.run(event="pull_request")

    check_run = only_check_run(github)
    assert check_run["head_sha"] == HEAD_SHA != MERGE_SHA
    assert result.outputs["check-run-url"] == f"https://github.com/acme/shop/runs/{check_run['id']}"


def test_deployment_status_reports_on_the_deployed_commit(job: Job, github: Simulated) -> None:
    job.run(event="deployment_status", env={"GITHUB_SHA": OTHER_SHA})

    assert only_check_run(github)["head_sha"] == HEAD_SHA  # event.deployment.sha


def test_push_reports_on_github_sha(job: Job, github: Simulated) -> None:
    job.run(event="push", env={"GITHUB_SHA": OTHER_SHA})

    assert only_check_run(github)["head_sha"] == OTHER_SHA


def test_check_run_is_in_progress_right_after_the_trigger_then_completed(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "duration": 1.0})

    result = job.run()

    check_run = only_check_run(github)
    create, complete = check_run["history"]
    assert create["status"] == "in_progress"
    assert "conclusion" not in create
    assert create["name"] == "E2E tests (staging)"
    assert create["details_url"] == result.outputs["run-url"]
    assert complete["conclusion"] == "success"
    assert complete["output"]["title"] == "12 passed"
    assert check_run["status"] == "completed"
    # Created before the remote run ended: the trigger is the first Empirical request, the check run
    # is created before the run's last status check.
    posts = github.app.recorded("POST", r"/check-runs$")
    assert len(posts) == 1
    assert result.log.index("in progress: https://github.com/acme/shop/runs/") < result.log.index(
        "started → ended"
    )


def test_check_name_input_names_the_check_run(job: Job, github: Simulated) -> None:
    job.run(check_name="Smoke tests on staging")

    assert only_check_run(github)["name"] == "Smoke tests on staging"


@pytest.mark.parametrize(
    ("scenario", "inputs", "conclusion", "code"),
    [
        ({}, {}, "success", 0),
        ({"failed": 2}, {}, "failure", 1),
        ({"failed": 2}, {"fail_on": "never"}, "neutral", 0),
        ({"flaky": 1}, {"fail_on": "flaky"}, "failure", 1),
        ({"cancelled_by_service": True}, {}, "cancelled", 1),
        ({"duration": 30.0}, {"timeout_minutes": "0.02"}, "timed_out", 1),
        ({"error_code": "worker_interrupted"}, {}, "failure", 1),
    ],
    ids=["passed", "failed", "fail-on-never", "flaky", "cancelled", "timed-out", "errored"],
)
def test_every_outcome_completes_the_check_run_with_its_conclusion(
    job: Job,
    github: Simulated,
    empirical: Simulated,
    scenario: dict[str, Any],
    inputs: dict[str, str],
    conclusion: str,
    code: int,
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, **scenario})

    result = job.run(**inputs)

    assert result.code == code
    check_run = only_check_run(github)
    assert check_run["conclusion"] == conclusion
    assert check_run["status"] == "completed"


def test_failed_run_title_summary_and_annotations(job: Job, github: Simulated, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 20}, failed=3, flaky=2)

    job.run()

    check_run = only_check_run(github)
    assert check_run["output"]["title"] == "3 failed, 15 passed, 2 flaky"
    assert check_run["output"]["summary"].startswith("## ❌ E2E tests failed on `staging`")
    levels = [a["annotation_level"] for a in check_run["annotations"]]
    assert levels == ["failure"] * 3 + ["warning"] * 2
    first = check_run["annotations"][0]
    assert first["path"].startswith("tests/")
    assert first["path"].endswith(".spec.ts")
    assert (first["start_line"], first["end_line"]) == (1, 1)
    assert " › " in first["title"]


def test_123_failures_are_sent_50_50_and_23(job: Job, github: Simulated, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 200}, failed=123)

    result = job.run(max_annotations="123")

    check_run = only_check_run(github)
    assert annotation_batches(check_run) == [50, 50, 23]
    assert check_run["history"][1]["conclusion"] == "failure"  # the first 50 complete the run
    assert len(check_run["annotations"]) == 123
    assert "123 annotations" in result.log


def test_annotations_past_max_annotations_are_counted_in_the_summary(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 200}, failed=123)

    job.run()  # max-annotations: 50

    check_run = only_check_run(github)
    assert annotation_batches(check_run) == [50]
    assert (
        "73 failed or flaky tests are not annotated: `max-annotations` is 50."
        in check_run["output"]["summary"]
    )


def test_failures_without_a_file_stay_in_the_summary_only(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        **FAST, failed=2, failures=[{"name": "Checkout › loses its file", "file_path": ""}]
    )

    job.run()

    check_run = only_check_run(github)
    assert len(check_run["annotations"]) == 1
    assert "1 failed or flaky test has no file location" in check_run["output"]["summary"]
    assert "loses its file" in check_run["output"]["summary"]


def test_workspace_prefix_and_dot_slash_are_stripped_from_paths(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        **FAST,
        failed=2,
        failures=[
            {"name": "a", "file_path": "/github/workspace/e2e/a.spec.ts"},
            {"name": "b", "file_path": "./e2e/b.spec.ts"},
        ],
    )

    job.run()

    assert [a["path"] for a in only_check_run(github)["annotations"]] == ["e2e/a.spec.ts", "e2e/b.spec.ts"]


def test_check_run_false_writes_no_check_run(job: Job, github: Simulated) -> None:
    result = job.run(check_run="false")

    assert github.app.recorded() == []
    assert result.outputs["check-run-url"] == ""


def test_enterprise_server_api_and_links(job: Job, github: Simulated) -> None:
    job.github_api_url = f"{github.url}/api/v3"

    result = job.run(env={"GITHUB_SERVER_URL": "https://ghe.example.com"})

    paths = [r["path"] for r in github.app.recorded()]
    assert paths
    assert all(p.startswith("/api/v3/repos/acme/shop/check-runs") for p in paths)
    summary = only_check_run(github)["output"]["summary"]
    assert f"https://ghe.example.com/acme/shop/commit/{HEAD_SHA}" in summary
    assert result.code == 0


# -- when the token may not write checks ----------------------------------------------------------
def test_fork_pull_request_skips_the_api_and_annotates_with_workflow_commands(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        **FAST,
        failed=1,
        flaky=1,
        failures=[
            {"name": "Pays 100%, then: refunds\n::set-output name=x::y", "file_path": "./tests/a,b:c.spec.ts"}
        ],
    )

    result = job.run(event="pull_request_fork", pr_comment="true")

    assert github.app.recorded() == []
    assert result.code == 1
    assert "::notice title=Check run::No check run, this pull request comes from a fork" in result.log
    assert (
        "::error file=tests/a%2Cb%3Ac.spec.ts,line=1,title=Login › Pays 100%25%2C then%3A refunds %3A%3Aset-output "
        "name=x%3A%3Ay::Failed. Details: https://dash.empirical.run/acme-shop/test-runs/1001?test_id="
        in result.log
    )
    assert "::warning file=tests/" in result.log
    assert "\n::set-output" not in result.log
    assert "No pull request comment: the token of a fork's pull request is read-only." in result.log
    assert result.outputs["check-run-url"] == ""


def test_fallback_shows_ten_per_level_then_one_notice_counting_the_rest(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**{**FAST, "tests": 40}, failed=13, flaky=12)

    result = job.run(event="pull_request_fork")

    lines = result.log.splitlines()
    assert sum(line.startswith("::error file=") for line in lines) == 10
    assert sum(line.startswith("::warning file=") for line in lines) == 10
    assert "::notice title=More failures::3 more failed and 2 more flaky tests not annotated" in result.log


def test_403_on_checks_falls_back_and_keeps_the_exit_code(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)

    result = job.run(event="pull_request", github_token=READ_TOKEN)

    assert result.code == 1  # the tests failed: that, not the report, decides
    assert len(github.app.recorded("POST", r"/check-runs$")) == 1  # tried once, then stopped
    assert github.app.check_runs == {}
    assert "Resource not accessible by integration" in result.log
    assert "`permissions: checks: write`" in result.log
    assert "::error file=tests/" in result.log


def test_a_passing_run_passes_whatever_happens_to_the_report(job: Job, github: Simulated) -> None:
    job.github_api_url = "http://127.0.0.1:9"  # nothing listens

    result = job.run(event="pull_request", pr_comment="true", junit_file=str(job.tmp / "r" / "e2e.xml"))

    assert result.code == 0
    assert result.outputs["result"] == "passed"
    assert result.outputs["junit-file"].endswith("e2e.xml")
    assert "could not be reached" in result.log


def test_secondary_rate_limit_is_waited_out(job: Job, github: Simulated) -> None:
    github.app.throttle("secondary", wait=1, path=r"/check-runs$")

    started = time.monotonic()
    job.run()

    assert len(github.app.recorded("POST", r"/check-runs$")) == 2
    assert only_check_run(github)["conclusion"] == "success"
    assert time.monotonic() - started >= 1.0


def test_429_with_retry_after_is_waited_out(job: Job, github: Simulated) -> None:
    github.app.throttle("429", wait=1, path=r"/check-runs/\d+$")

    job.run()

    assert len(github.app.recorded("PATCH")) == 2
    assert only_check_run(github)["conclusion"] == "success"


def test_a_rate_limit_longer_than_the_budget_is_not_waited_for(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)
    github.app.throttle("primary", wait=3600, times=5, path=r"/check-runs")

    started = time.monotonic()
    result = job.run()

    assert time.monotonic() - started < 10
    assert result.code == 1
    assert "more than the" in result.log
    assert "::error file=tests/" in result.log  # the failures are still annotated


def test_the_token_never_reaches_the_log_or_the_check_run(job: Job, github: Simulated) -> None:
    from .conftest import GITHUB_TOKEN

    result = job.run(event="pull_request", pr_comment="true")

    shown = "\n".join(
        line for line in result.everything().splitlines() if not line.startswith("::add-mask::")
    )
    assert GITHUB_TOKEN not in shown
    assert GITHUB_TOKEN not in str(github.app.admin_check_runs())
    assert GITHUB_TOKEN not in str([vars(c) for c in github.app.comments.values()])
    assert len(github.app.comments) == 1


def test_a_run_that_never_started_still_gets_a_completed_check_run(job: Job, github: Simulated) -> None:
    result = job.run(api_key="not-the-key")

    assert result.code == 3
    check_run = only_check_run(github)
    (create,) = check_run["history"]  # one request: created completed
    assert (create["status"], create["conclusion"]) == ("completed", "failure")
    assert "Authentication failed" in create["output"]["summary"]
    assert result.outputs["check-run-url"] == f"https://github.com/acme/shop/runs/{check_run['id']}"


def test_pygithub_is_not_loaded_before_the_trigger() -> None:
    import subprocess
    import sys

    code = "import sys, testrun_action.cli, testrun_action.flow; print('github' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert loaded.strip() == "False"
