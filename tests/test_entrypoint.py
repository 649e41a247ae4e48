"""The real process, as the image's entrypoint runs it: `python -m testrun_action` with the runner's env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import Job, Simulated


def run_process(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], **environ}
    return subprocess.run(
        [sys.executable, "-m", "testrun_action", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_action_mode_reads_hyphenated_inputs_from_the_environment(job: Job, empirical: Simulated) -> None:
    environ = job.environ()
    assert "INPUT_API-KEY" in environ

    done = run_process(environ)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Triggered Empirical run 1001" in done.stdout
    assert "run-id<<" in (job.tmp / "output").read_text(encoding="utf-8")
    assert done.stderr == ""


def test_the_cli_takes_every_input_as_a_flag_and_flags_win(job: Job, empirical: Simulated) -> None:
    environ = {k: v for k, v in job.environ().items() if not k.startswith("GITHUB_ACTIONS")}

    done = run_process(environ, "run", "--environment", "production", "--wait", "false")

    assert done.returncode == 0, done.stdout + done.stderr
    [trigger] = empirical.app.recorded("PUT", r"^/api/test-runs$")
    assert trigger["body"]["environment"] == "production"
    assert "::" not in done.stdout  # plain text outside GitHub Actions


def test_bad_input_in_a_real_process_is_one_error_and_no_traceback(tmp_path: Path) -> None:
    done = run_process(
        {
            "GITHUB_ACTIONS": "true",
            "INPUT_API-KEY": "key-123456",
            "INPUT_ENVIRONMENT": "x",
            "INPUT_WAIT": "maybe",
        }
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("::error")] == [
        "::error title=Invalid configuration::Input 'wait': expected `true` or `false`, got \"maybe\"."
    ]
