"""One step of a Docker action, started the way GitHub's runner starts it (github-platform.md 1 and 8).

What the runner does, and this reproduces:
- every input declared in action.yml is set, from `with:` or the default, as `INPUT_<NAME>` with
  hyphens kept (`INPUT_API-KEY`); `docker run` gets `-e NAME` with no value and the values travel in
  the CLI process's own environment, so they never appear on a command line;
- the GITHUB_* variables point into the mounts: /github/workspace (also the working directory),
  /github/file_commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ... with a new GUID per step),
  /github/workflow/event.json, /github/home (HOME) and /github/runner_temp (RUNNER_TEMP);
- GITHUB_ACTIONS=true and CI=true; no -t, no --init; --rm;
- cancellation: SIGINT to the CLI, SIGTERM 7.5 s later, SIGKILL to the CLI 2.5 s after that.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from testrun_sim.runner_files import read_outputs

from .podman import PODMAN, RUN

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "tests" / "fixtures" / "events"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"  # the head commit in every event fixture
MERGE_SHA = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"  # GITHUB_SHA of a pull_request run
GITHUB_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"  # what `${{ github.token }}` evaluates to

# The runner's cancellation timing (ProcessInvoker.cs: _sigintTimeout, _sigtermTimeout; github-platform.md 3.1).
SIGINT_TO_SIGTERM = 7.5
SIGTERM_TO_KILL = 2.5


@dataclass
class StepResult:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str
    killed: bool  # the CLI was still running 2.5 s after SIGTERM


def declared_inputs(action_yml: Path = REPO / "action.yml") -> dict[str, str]:
    """Every input action.yml declares, with its default as the runner evaluates it."""
    inputs = yaml.safe_load(action_yml.read_text(encoding="utf-8"))["inputs"]
    values = {}
    for name, spec in inputs.items():
        default = str(spec.get("default", ""))
        values[name] = GITHUB_TOKEN if default.replace(" ", "") == "${{github.token}}" else default
    return values


class Step:
    """A fresh runner layout on the host (the runner's temp directory) for one step."""

    def __init__(self, root: Path, image: str, *, event: str = "pull_request") -> None:
        self.image = image
        self.event = event
        self.workspace = root / "workspace"
        self.file_commands = root / "_runner_file_commands"
        self.workflow = root / "_github_workflow"
        self.home = root / "_github_home"
        self.runner_temp = root / "runner_temp"
        for directory in (self.workspace, self.file_commands, self.workflow, self.home, self.runner_temp):
            directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(EVENTS / f"{event}.json", self.workflow / "event.json")
        guid = uuid.uuid4()
        self.files = {
            kind: self.file_commands / f"{kind}_{guid}"
            for kind in ("set_output", "step_summary", "set_env", "add_path", "save_state")
        }
        for path in self.files.values():
            path.write_text("", encoding="utf-8")
        self.log = root / "step.log"  # the CLI's stdout and stderr: what the runner shows as the step log
        self.container = f"testrun-step-{guid.hex[:12]}"

    def environment(self, inputs: dict[str, str], api_url: str) -> dict[str, str]:
        """The variables the runner sets, with container paths, as `-e NAME` values."""
        pull_request = self.event.startswith("pull_request")
        container_file = {kind: f"/github/file_commands/{path.name}" for kind, path in self.files.items()}
        env = {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "HOME": "/github/home",
            "GITHUB_EVENT_NAME": self.event,
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_OUTPUT": container_file["set_output"],
            "GITHUB_STEP_SUMMARY": container_file["step_summary"],
            "GITHUB_ENV": container_file["set_env"],
            "GITHUB_PATH": container_file["add_path"],
            "GITHUB_STATE": container_file["save_state"],
            "GITHUB_SHA": MERGE_SHA if pull_request else HEAD_SHA,
            "GITHUB_REF": "refs/pull/1347/merge" if pull_request else "refs/heads/main",
            "GITHUB_REF_NAME": "1347/merge" if pull_request else "main",
            "GITHUB_HEAD_REF": "feature/checkout" if pull_request else "",
            "GITHUB_BASE_REF": "main" if pull_request else "",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_REPOSITORY_OWNER": "acme",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": api_url,
            "GITHUB_GRAPHQL_URL": f"{api_url}/graphql",
            "GITHUB_ACTOR": "octocat",
            "GITHUB_TRIGGERING_ACTOR": "octocat",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_NUMBER": "17",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "e2e",
            "GITHUB_WORKFLOW": "Deploy",
            "GITHUB_ACTION": "__acme_testrun-action",
            "GITHUB_ACTION_REPOSITORY": "acme/testrun-action",
            "GITHUB_ACTION_REF": "v1",
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_NAME": "GitHub Actions 2",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_TEMP": "/github/runner_temp",
        }
        # Only spaces become underscores; hyphens stay (runner Handler.cs; github-platform.md 1.1).
        env.update({f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in inputs.items()})
        return env

    def command(self, env: dict[str, str], entrypoint: str | None = None) -> list[str]:
        args = [*RUN, "--rm", "--name", self.container, "--workdir", "/github/workspace"]
        for name in env:
            args += ["-e", name]
        mounts = {
            self.home: "/github/home",
            self.workflow: "/github/workflow",
            self.file_commands: "/github/file_commands",
            self.runner_temp: "/github/runner_temp",
            self.workspace: "/github/workspace",
        }
        for source, target in mounts.items():
            args += ["-v", f"{source}:{target}"]
        if entrypoint:
            args += ["--entrypoint", entrypoint]
        return [*args, self.image]

    def saved_state(self) -> dict[str, str]:
        """What the step saved with GITHUB_STATE, as the runner hands it to the post step: `STATE_<name>`."""
        return {f"STATE_{name}": value for name, value in read_outputs(self.files["save_state"]).items()}

    def start(
        self,
        inputs: dict[str, str],
        api_url: str,
        entrypoint: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.Popen[str]:
        env = {**self.environment(inputs, api_url), **(extra_env or {})}
        # The values reach `podman run -e NAME` through its own environment, as with the runner's docker CLI.
        process_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
        with self.log.open("w", encoding="utf-8") as log:
            return subprocess.Popen(
                self.command(env, entrypoint),
                env=process_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def finish(self, process: subprocess.Popen[str], timeout: float, *, killed: bool = False) -> StepResult:
        process.wait(timeout=timeout)
        return StepResult(
            code=process.returncode,
            log=self.log.read_text(encoding="utf-8"),
            outputs=read_outputs(self.files["set_output"]),
            summary=self.files["step_summary"].read_text(encoding="utf-8"),
            killed=killed,
        )

    def run(self, inputs: dict[str, str], api_url: str, *, timeout: float = 120) -> StepResult:
        return self.finish(self.start(inputs, api_url), timeout)

    def cancel(self, process: subprocess.Popen[str]) -> StepResult:
        """Cancel the step as the runner does; `killed` tells whether it had to SIGKILL the CLI."""
        process.send_signal(signal.SIGINT)
        if _exited_within(process, SIGINT_TO_SIGTERM):
            return self.finish(process, 5)
        process.send_signal(signal.SIGTERM)
        if _exited_within(process, SIGTERM_TO_KILL):
            return self.finish(process, 5)
        process.kill()
        return self.finish(process, 5, killed=True)

    def remove_container(self) -> None:
        """What the runner never does (github-platform.md 3.1), but a test leaves nothing running."""
        subprocess.run(
            [*PODMAN, "rm", "--force", "--ignore", self.container], capture_output=True, check=False
        )


def _exited_within(process: subprocess.Popen[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return True
        time.sleep(0.05)
    return False
