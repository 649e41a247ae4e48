"""The whole Empirical path over real HTTP: trigger, wait, report, exit code."""

from __future__ import annotations

from testrun_action.simulators.empirical import Scenario

from .conftest import FAST, Job, Simulated


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
    assert "`tests/" in result.summary
