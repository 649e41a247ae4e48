"""Testsigma's automation platform over real HTTP: trigger a test plan or attach, wait through every
status, conclude on every result, fetch failures with their reasons, stop on deadline."""

from __future__ import annotations

from testrun_action.simulators.testsigma import Plan

from .conftest import HEAD_SHA, PLAN_ID, Job, Simulated


def test_passing_plan_run_exits_zero_with_every_output(testsigma_job: Job, testsigma: Simulated) -> None:
    result = testsigma_job.run()

    assert result.code == 0, result.log
    assert result.outputs["run-id"] == "337"
    assert result.outputs["run-url"] == "https://app.testsigma.com/ui/td/runs/337"
    assert result.outputs["result"] == "passed"
    assert result.outputs["state"] == "STATUS_COMPLETED (SUCCESS)"
    assert result.outputs["total"] == result.outputs["passed"] == "12"
    trigger = testsigma.app.recorded("POST", r"/api/v1/execution_results$")
    assert trigger[0]["body"] == {"executionId": str(PLAN_ID), "buildNo": HEAD_SHA[:7]}
