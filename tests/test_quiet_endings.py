"""Two endings that were tracebacks: `testrun run … | head -2` ends quietly with the shell's code for a
reader that went away (141), and `testrun sandbox` on a port in use says which port and how to move it."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testrun_action.flow import Hooks, run_action
from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.runner_files import read_outputs
from testrun_sim.server import Served

from .conftest import Job, Simulated


@pytest.fixture
def slow_empirical() -> Iterator[Simulated]:
    """Runs that take a few seconds: the log has more to say after its reader has gone."""
    app = EmpiricalSimulator({"staging": Scenario(queued=0.2, duration=3.0, tests=6)})
    with Served(app) as served:
        yield Simulated(app, served.url)


def laptop(directory: Path) -> dict[str, str]:
    """A shell outside CI and outside any git checkout: the log starts with the trigger."""
    return {"PATH": os.environ["PATH"], "GIT_CEILING_DIRECTORIES": str(directory.parent)}


def test_a_log_piped_into_head_ends_quietly_with_the_shells_code_for_it(
    slow_empirical: Simulated, tmp_path: Path
) -> None:
    command = (
        f"{sys.executable} -m testrun_action run --api-url {slow_empirical.url} --api-key {DEFAULT_KEY} "
        "--environment staging --compare-with none --no-check-run --poll-interval 0.5 | head -2"
    )

    done = subprocess.run(
        ["bash", "-c", f'{command}; echo "exit=${{PIPESTATUS[0]}}" >&2'],
        env=laptop(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.stdout.splitlines()[0].startswith("Triggering a run on Empirical")
    assert len(done.stdout.splitlines()) == 2
    assert done.stderr.splitlines() == ["exit=141"]  # no traceback, no "Exception ignored"


class ReadUntil(io.StringIO):
    """A log whose reader goes away after `lines` lines, as `head -2` does."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def write(self, text: str) -> int:
        if self.getvalue().count("\n") >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_reader_gone_during_the_wait_cancels_the_run_as_an_interruption_does(
    job: Job, slow_empirical: Simulated
) -> None:
    log = ReadUntil(2)  # the trigger's two lines; the wait's first line finds the reader gone
    environ = job.environ(**{"api-url": slow_empirical.url, "compare-with": "none", "check-run": "false"})
    del environ["GITHUB_ACTIONS"]  # plain lines, as a terminal shows them (CI is still set)

    code = run_action(environ, hooks=Hooks(stream=log, handle_signals=True))

    assert code == 141
    assert log.getvalue().splitlines()[1].startswith("Triggered Empirical run")
    # The run the reader no longer follows is not left going (cancel-on-abort, as on SIGINT), and the
    # outputs still say what happened.
    assert len(slow_empirical.app.recorded("POST", r"^/api/test-runs/\d+/cancel$")) == 1
    assert read_outputs(job.tmp / "output")["result"] == "cancelled"
    (run,) = slow_empirical.app.runs.values()
    assert run.cancel_reason == "The log's reader went away (SIGPIPE)"  # not "GitHub job cancelled"


def test_the_sandbox_on_a_port_in_use_says_which_and_how_to_move_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = subprocess.run(
            [sys.executable, "-m", "testrun_action", "sandbox", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"Port {port} is in use; pass --port N (or stop the other process)"]
    assert done.stdout == ""


def test_a_provider_port_in_use_names_that_providers_option() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = subprocess.run(
            [sys.executable, "-m", "testrun_action", "sandbox", "--port", "0", "--buildkite-port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"Port {port} is in use; pass --buildkite-port N (or stop the other process)"
    ]
