"""The built image run as GitHub's runner runs a Docker action, against the Empirical simulator on the
host's loopback: what a user sees is the exit code, the step outputs and the job summary."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.server import Served

from .measurements import measured
from .runner import HEAD_SHA, SIGINT_TO_SIGTERM, SIGTERM_TO_KILL, Step, declared_inputs

FAST = {"queued": 0.2, "duration": 1.0, "tests": 12}
STEP_TIMEOUT = 120  # a step against FAST scenarios takes a few seconds, container start included


@pytest.fixture
def empirical() -> Iterator[tuple[EmpiricalSimulator, str]]:
    app = EmpiricalSimulator(
        {
            "staging": Scenario(**FAST),
            "production": Scenario(**FAST, failed=2, flaky=1),
            "long": Scenario(queued=0.2, duration=600, tests=40),
        }
    )
    with Served(app) as served:
        yield app, served.url


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: GitHub API calls fail at once and never leave the machine."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _inputs(api_url: str, **overrides: str) -> dict[str, str]:
    return {
        **declared_inputs(),
        "api-key": DEFAULT_KEY,
        "api-url": api_url,
        "poll-interval": "0.5",
        **overrides,
    }


def _triggers(app: EmpiricalSimulator) -> list[dict[str, Any]]:
    return app.recorded("PUT", r"^/api/test-runs$")


def test_a_passing_run_reports_outputs_and_summary_and_exits_0(
    step: Step, empirical: tuple[EmpiricalSimulator, str], closed_port_url: str
) -> None:
    app, url = empirical
    # The checkout is the working directory; modules in it must not shadow the action's own.
    (step.workspace / "httpx.py").write_text("raise SystemExit('the workspace shadowed httpx')\n")
    (step.workspace / "testrun_action").mkdir()
    (step.workspace / "testrun_action" / "__main__.py").write_text("raise SystemExit(97)\n")

    result = step.run(_inputs(url, environment="staging"), closed_port_url, timeout=STEP_TIMEOUT)

    assert result.code == 0, result.log
    assert result.outputs["result"] == "passed"
    assert result.outputs["total"] == result.outputs["passed"] == "12"
    assert result.outputs["failed"] == "0"
    assert result.outputs["run-id"] == str(next(iter(app.runs)))
    assert result.summary.strip(), "the job summary is empty"
    assert "12" in result.summary
    # The hyphenated input reached Python: the simulator accepted the key sent as INPUT_API-KEY.
    [trigger] = _triggers(app)
    assert trigger["body"]["environment"] == "staging"
    assert trigger["body"]["build"]["commit"] == HEAD_SHA  # the PR's head, not the merge commit
    # The key appears only where the runner takes it to mask it everywhere else.
    assert all(line.startswith("::add-mask::") for line in result.log.splitlines() if DEFAULT_KEY in line)


def test_a_failing_run_reports_the_failures_and_exits_1(
    step: Step, empirical: tuple[EmpiricalSimulator, str], closed_port_url: str
) -> None:
    app, url = empirical

    result = step.run(_inputs(url, environment="production"), closed_port_url, timeout=STEP_TIMEOUT)

    assert result.code == 1, result.log
    assert result.outputs["result"] == "failed"
    assert result.outputs["failed"] == "2"
    assert result.outputs["flaky"] == "1"
    failed = [case for case in app.runs[int(result.outputs["run-id"])].cases if case.status == "failed"]
    assert len(failed) == 2
    for case in failed:  # each failed test is named in the job summary, with its file
        assert case.file_path in result.summary, result.summary


def test_a_missing_api_key_fails_with_one_clear_error(
    step: Step, empirical: tuple[EmpiricalSimulator, str], closed_port_url: str
) -> None:
    app, url = empirical

    result = step.run(
        _inputs(url, environment="staging", **{"api-key": ""}), closed_port_url, timeout=STEP_TIMEOUT
    )

    assert result.code == 2, result.log
    assert "api-key" in result.log
    assert "Traceback" not in result.log
    assert not _triggers(app)


def test_cancelling_the_step_cancels_the_remote_run_before_the_runner_kills_it(
    step: Step, empirical: tuple[EmpiricalSimulator, str], closed_port_url: str
) -> None:
    app, url = empirical
    process = step.start(_inputs(url, environment="long"), closed_port_url)
    _wait_until(
        lambda: any(run.environment == "long" for run in app.runs.values()), seconds=60, process=process
    )
    time.sleep(1.0)  # a poll or two: the step is waiting, as when a user cancels the job

    cancelled_at = time.monotonic()
    result = step.cancel(process)
    took = time.monotonic() - cancelled_at

    assert not result.killed, (
        f"still running {SIGINT_TO_SIGTERM + SIGTERM_TO_KILL} s after SIGINT:\n{result.log}"
    )
    [run] = app.runs.values()
    assert run.cancelled_at is not None, f"the remote run was not cancelled:\n{result.log}"
    assert result.code != 0
    assert result.outputs.get("result") == "cancelled", result.log
    measured(f"cancellation: the step ended {took:.1f} s after SIGINT (the runner kills at 10 s)")


def _wait_until(condition: Any, *, seconds: float, process: Any) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the step ended before the run was triggered"
        assert time.monotonic() < deadline, "the run was not triggered in time"
        time.sleep(0.1)


def test_the_post_step_after_a_finished_run_exits_0_and_cancels_nothing(
    step: Step, empirical: tuple[EmpiricalSimulator, str], closed_port_url: str
) -> None:
    app, url = empirical
    inputs = _inputs(url, environment="staging")
    assert step.run(inputs, closed_port_url, timeout=STEP_TIMEOUT).code == 0

    state = step.saved_state()
    assert "STATE_settled" in state
    post_step = step.start(inputs, closed_port_url, entrypoint="/usr/local/bin/testrun-post", extra_env=state)
    post = step.finish(post_step, STEP_TIMEOUT)

    assert post.code == 0, post.log
    assert app.recorded("POST", r"/cancel$") == []


# What act's self-hosted mode sets: the host's PATH in place of the image's, without /opt/venv/bin.
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def test_the_action_and_its_post_step_run_when_the_runner_replaces_the_images_path(
    step: Step, empirical: tuple[EmpiricalSimulator, str], closed_port_url: str
) -> None:
    _, url = empirical
    inputs = _inputs(url, environment="staging")

    main = step.finish(step.start(inputs, closed_port_url, extra_env={"PATH": HOST_PATH}), STEP_TIMEOUT)
    post = step.finish(
        step.start(
            inputs,
            closed_port_url,
            entrypoint="/usr/local/bin/testrun-post",
            extra_env={"PATH": HOST_PATH, "STATE_run_id": main.outputs.get("run-id", "")},
        ),
        STEP_TIMEOUT,
    )

    assert main.code == 0, main.log
    assert main.outputs["result"] == "passed"
    assert post.code == 0, post.log
    assert "Traceback" not in post.log
    assert f"Run {main.outputs['run-id']} had already ended" in post.log  # the post step read the service
