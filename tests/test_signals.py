"""Cancellation as GitHub's runner does it, against a real process: SIGINT, SIGTERM 7.5 s later, and a
kill 2.5 s after that (github-platform.md 3.1). The step must cancel the remote run, complete the check
run as cancelled, write the summary and outputs, and exit within 5 seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from testrun_action.post import run_post
from testrun_sim.empirical import Scenario
from testrun_sim.runner_files import read_outputs
from testrun_sim.server import Fault

from .conftest import Job, Simulated
from .test_testsigma_tms import tms_inputs

SIGTERM_AFTER = 7.5  # the runner's SIGINT → SIGTERM wait
KILL_AFTER = 2.5  # then SIGTERM → kill
EXIT_BUDGET = 5.0  # what we promise: out within 5 s of the first signal


class Step:
    """`python -m testrun_action` started as the runner starts a container action's entrypoint."""

    def __init__(self, job: Job, **inputs: str) -> None:
        self.job = job
        environ = {"PATH": os.environ["PATH"], **job.environ(**inputs)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "testrun_action"],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_until(self, condition: Any, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert self.process.poll() is None, self.process.communicate()[0]
            assert time.monotonic() < deadline, "the run was not followed in time"
            time.sleep(0.05)

    def cancel_like_the_runner(self, first: int = signal.SIGINT) -> tuple[int, float, str]:
        """Send `first`; SIGTERM 7.5 s later; kill 2.5 s after that. Returns code, seconds to exit, log."""
        sent = time.monotonic()
        self.process.send_signal(first)
        try:
            self.process.wait(timeout=SIGTERM_AFTER)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=KILL_AFTER)
            except subprocess.TimeoutExpired:
                self.process.kill()
        took = time.monotonic() - sent
        log = self.process.communicate()[0]
        return self.process.returncode, took, log


def following(app: Any) -> bool:
    """The run was triggered and polled at least once: the step is waiting."""
    return len(app.recorded("GET", r"^/api/test-runs$")) >= 2


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_cancelled_job_cancels_the_remote_run_and_reports_it(
    job: Job, empirical: Simulated, github: Simulated, sent: int, code: int
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=40)
    step = Step(job)
    step.wait_until(lambda: following(empirical.app))

    exit_code, took, log = step.cancel_like_the_runner(sent)

    assert exit_code == code, log
    assert took < EXIT_BUDGET
    name = signal.Signals(sent).name
    [cancel] = empirical.app.recorded("POST", r"/cancel$")
    assert cancel["body"] == {"reason": f"GitHub job cancelled ({name})"}
    outputs = read_outputs(job.tmp / "output")
    assert (outputs["result"], outputs["run-id"]) == ("cancelled", "1001")
    assert "## 🚫 E2E tests cancelled" in (job.tmp / "summary").read_text(encoding="utf-8")
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "cancelled")
    assert "Traceback" not in log
    assert "settled<<" in (job.tmp / "state").read_text(encoding="utf-8")


def test_sigterm_during_the_final_reads_reports_the_step_cancelled_in_time(
    bk_job: Job, buildkite: Simulated, github: Simulated
) -> None:
    buildkite.app.script(Fault("GET", r"/failed_executions$", "stall_after", delay=30.0))
    step = Step(bk_job)
    step.wait_until(lambda: buildkite.app.recorded("GET", r"/failed_executions$") != [])

    exit_code, took, log = step.cancel_like_the_runner(signal.SIGTERM)

    assert exit_code == 143, log
    assert took < EXIT_BUDGET
    assert read_outputs(bk_job.tmp / "output")["result"] == "cancelled"
    assert "## 🚫 E2E tests cancelled" in (bk_job.tmp / "summary").read_text(encoding="utf-8")
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "cancelled")
    assert "Traceback" not in log


def test_sigterm_during_the_second_look_at_an_ended_run_reports_the_step_cancelled_in_time(
    bk_job: Job, buildkite: Simulated, github: Simulated
) -> None:
    step = Step(bk_job, poll_interval="5")  # the second look comes 10 s after the first (two polls)
    step.wait_until(lambda: buildkite.app.recorded("GET", r"/suites/e2e/runs\Z") != [])
    time.sleep(0.5)  # the first look saw the run finished: the wait is in its settle period

    exit_code, took, log = step.cancel_like_the_runner(signal.SIGTERM)

    assert exit_code == 143, log
    assert took < EXIT_BUDGET
    assert "looking again in 10s" in log
    assert buildkite.app.recorded("GET", r"/failed_executions$") == []
    assert read_outputs(bk_job.tmp / "output")["result"] == "cancelled"
    assert "## 🚫 E2E tests cancelled" in (bk_job.tmp / "summary").read_text(encoding="utf-8")
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "cancelled")


def test_a_service_and_github_that_hang_still_let_the_step_exit_in_time_and_the_post_step_cancels(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=40)
    empirical.app.script(Fault("POST", r"/cancel$", "delay", times=5, delay=30.0))
    github.app.script(Fault("PATCH", r"/check-runs/", "delay", times=5, delay=30.0))
    step = Step(job)
    step.wait_until(lambda: following(empirical.app))

    exit_code, took, _ = step.cancel_like_the_runner()

    assert exit_code == 130
    assert took < EXIT_BUDGET
    saved = read_outputs(job.tmp / "state")
    assert "run_id" in saved
    assert "settled" not in saved  # the cancel was not confirmed: the post step must try again

    post_environ = {**job.environ(), **{f"STATE_{name}": value for name, value in saved.items()}}
    empirical.app.faults.clear()
    assert run_post(post_environ) == 0
    assert empirical.app.runs[1001].cancel_reason == "the GitHub job stopped before the run ended"


def test_the_post_step_leaves_a_settled_run_alone(job: Job, empirical: Simulated) -> None:
    result = job.run(wait="false")
    saved = read_outputs(job.tmp / "state")

    assert result.code == 0
    assert run_post({**job.environ(), **{f"STATE_{k}": v for k, v in saved.items()}}) == 0
    assert empirical.app.recorded("POST", r"/cancel$") == []


def test_a_signal_while_the_test_management_import_hangs_keeps_the_record_id_and_every_other_report(
    job: Job, empirical: Simulated, github: Simulated, tms: Simulated
) -> None:
    tms.app.script(Fault("POST", r"/junit-import/.+", "delay", times=1, delay=30.0))
    step = Step(job, **tms_inputs(tms))
    step.wait_until(lambda: not tms.app.faults)  # the record exists; its import hangs

    sent = time.monotonic()
    step.process.send_signal(signal.SIGTERM)
    log = step.process.communicate(timeout=10)[0]

    assert step.process.returncode == 143, log
    assert time.monotonic() - sent < EXIT_BUDGET
    assert "Received SIGTERM while writing the Testsigma Test Management record" in log
    [record_id] = tms.app.test_runs
    outputs = read_outputs(job.tmp / "output")
    assert (outputs["result"], outputs["testsigma-tms-run-id"]) == ("passed", record_id)
    summary = (job.tmp / "summary").read_text(encoding="utf-8")
    assert "E2E tests passed" in summary
    assert "Recorded in" not in summary  # its results never arrived
    [check_run] = github.app.admin_check_runs()
    assert outputs["check-run-url"] == f"https://github.com/acme/shop/runs/{check_run['id']}"
