"""Shared fixtures: simulators served on 127.0.0.1, and a simulated GitHub job that runs the real flow.

`job.run(...)` runs the action as the runner would (INPUT_* with hyphens, GITHUB_* variables, an event
payload, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files) and returns what a user would see.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testrun_action.flow import Hooks, run_action
from testrun_sim import buildkite as bk
from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.github import READ_TOKEN, GitHubSimulator
from testrun_sim.runner_files import read_outputs
from testrun_sim.server import Served
from testrun_sim.testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from testrun_sim.testsigma import Plan, TestsigmaSimulator
from testrun_sim.testsigma_tms import TmsScript, TmsSimulator

FIXTURES = Path(__file__).parent / "fixtures"
EVENTS = FIXTURES / "events"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"  # the head commit in every event fixture
MERGE_SHA = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"  # GITHUB_SHA of pull_request events: never reported
GITHUB_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
FAST = {"queued": 0.2, "duration": 0.6, "tests": 12}
FAST_BUILD = {"scheduled": 0.2, "duration": 0.6, "tests": 12, "processing": 0.1}


@dataclass
class Simulated:
    app: Any
    url: str


@pytest.fixture
def empirical() -> Iterator[Simulated]:
    """An Empirical simulator with fast `staging` and `production` environments."""
    app = EmpiricalSimulator({"staging": Scenario(**FAST), "production": Scenario(**FAST)})
    with Served(app) as served:
        yield Simulated(app, served.url)


@pytest.fixture
def github() -> Iterator[Simulated]:
    """A GitHub API simulator for acme/shop that accepts `GITHUB_TOKEN` (write) and `READ_TOKEN`."""
    app = GitHubSimulator(tokens={GITHUB_TOKEN: "write", READ_TOKEN: "read"})
    with Served(app) as served:
        yield Simulated(app, served.url)


PLAN_ID = 3058  # the test plan every Testsigma test triggers


@pytest.fixture
def testsigma() -> Iterator[Simulated]:
    """A Testsigma automation-platform simulator with one fast test plan."""
    app = TestsigmaSimulator({PLAN_ID: Plan(created=0.3, queued=0.1, pre_flight=0.1, duration=0.4)})
    with Served(app) as served:
        yield Simulated(app, served.url)


@pytest.fixture(autouse=True)
def _no_write_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub asks for a second between writes; the simulator does not, and tests stay fast."""
    from testrun_action.github import api

    monkeypatch.setattr(api, "WRITE_INTERVAL", 0.0)


@pytest.fixture
def tms() -> Iterator[Simulated]:
    """A Testsigma Test Management simulator."""
    app = TmsSimulator(TmsScript(import_polls=1))
    with Served(app) as served:
        yield Simulated(app, served.url)


@pytest.fixture
def buildkite() -> Iterator[Simulated]:
    """A Buildkite simulator with a fast `e2e-tests` pipeline reporting to suite `e2e`, and quotas
    (per second, not per minute) that ordinary tests never come near."""
    app = bk.BuildkiteSimulator(
        {"e2e-tests": bk.Scenario(**FAST_BUILD)},
        rate_limits=bk.RateLimits(organization=2000, user=1000, window=1.0),
    )
    with Served(app) as served:
        yield Simulated(app, served.url)


@dataclass
class JobResult:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str
    state: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def result(self) -> str:
        return self.outputs.get("result", "")

    @property
    def shown_log(self) -> str:
        """The log as a user sees it: the runner consumes `::add-mask::` lines and never shows them."""
        return "\n".join(line for line in self.log.splitlines() if not line.startswith("::add-mask::"))

    def everything(self) -> str:
        """All a user can see: the shown log, summary, outputs and saved state."""
        return "\n".join([self.shown_log, self.summary, json.dumps(self.outputs), self.state])


class Job:
    """A simulated GitHub Actions step of this action."""

    def __init__(
        self,
        tmp_path: Path,
        api_url: str = "",
        github_api_url: str = "http://127.0.0.1:9",  # nothing listens: set to a simulator's URL
        defaults: dict[str, str] | None = None,
    ) -> None:
        self.tmp = tmp_path
        self.api_url = api_url
        self.github_api_url = github_api_url
        self.defaults: dict[str, str] = dict(defaults or {})  # inputs every run gets, unless given

    def environ(
        self, *, event: str = "push", env: dict[str, str] | None = None, **inputs: str
    ) -> dict[str, str]:
        shutil.copy(EVENTS / f"{event}.json", self.tmp / "event.json")
        for name in ("output", "summary", "state"):
            (self.tmp / name).write_text("", encoding="utf-8")
        event_name = event.split("_fork")[0].split("_target")[0]
        environ = {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(self.tmp / "event.json"),
            "GITHUB_SHA": MERGE_SHA if event_name.startswith("pull_request") else HEAD_SHA,
            "GITHUB_REF": "refs/pull/1347/merge"
            if event_name.startswith("pull_request")
            else "refs/heads/main",
            "GITHUB_REF_NAME": "1347/merge" if event_name.startswith("pull_request") else "main",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": self.github_api_url,
            "GITHUB_ACTOR": "octocat",
            "GITHUB_TRIGGERING_ACTOR": "octocat",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_OUTPUT": str(self.tmp / "output"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary"),
            "GITHUB_STATE": str(self.tmp / "state"),
        }
        defaults = {
            "api-key": DEFAULT_KEY,
            "api-url": self.api_url,
            "environment": "staging",
            "poll-interval": "0.2",
            "github-token": GITHUB_TOKEN,
            **self.defaults,
        }
        # The runner sets every declared input, hyphens kept (github-platform.md 1.1).
        given = {k.replace("_", "-"): v for k, v in inputs.items()}
        for name, value in {**defaults, **self.defaults, **given}.items():
            environ[f"INPUT_{name.upper()}"] = value
        environ.update(env or {})
        return environ

    def run(
        self,
        *,
        event: str = "push",
        env: dict[str, str] | None = None,
        hooks: Hooks | None = None,
        **inputs: str,
    ) -> JobResult:
        environ = self.environ(event=event, env=env, **inputs)
        stream = io.StringIO()
        hooks = hooks or Hooks()
        hooks.stream = stream
        hooks.handle_signals = False
        code = run_action(environ, hooks=hooks)
        return JobResult(
            code=code,
            log=stream.getvalue(),
            outputs=read_outputs(self.tmp / "output"),
            summary=(self.tmp / "summary").read_text(encoding="utf-8"),
            state=(self.tmp / "state").read_text(encoding="utf-8"),
        )

    def start(self, **inputs: str) -> subprocess.Popen[str]:
        """The step as the runner starts it: `python -m testrun_action` in a process of its own."""
        env = {"PATH": os.environ["PATH"], **self.environ(**inputs)}
        if "PYTHONPATH" in os.environ:  # the product under test, when not the installed one
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        return subprocess.Popen(
            [sys.executable, "-m", "testrun_action"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self, process: subprocess.Popen[str]) -> JobResult:
        log, _ = process.communicate(timeout=90)
        return JobResult(
            code=process.returncode,
            log=log,
            outputs=read_outputs(self.tmp / "output"),
            summary=(self.tmp / "summary").read_text(encoding="utf-8"),
            state=(self.tmp / "state").read_text(encoding="utf-8"),
        )

    def step(self, **inputs: str) -> JobResult:
        """`run`, through the real process."""
        return self.finish(self.start(**inputs))


TESTSIGMA_INPUTS = {
    "provider": "testsigma",
    "api-key": TESTSIGMA_KEY,
    "test-plan-id": str(PLAN_ID),
    "environment": "",
}
BUILDKITE_INPUTS = {
    "provider": "buildkite",
    "api-key": bk.DEFAULT_TOKEN,
    "environment": "",
    "organization": bk.ORGANIZATION,
    "pipeline": "e2e-tests",
    "suite": "e2e",
}


@pytest.fixture
def job(tmp_path: Path, empirical: Simulated, github: Simulated) -> Job:
    """A GitHub job whose action talks to the Empirical simulator and the GitHub simulator."""
    return Job(tmp_path, empirical.url, github.url)


@pytest.fixture
def testsigma_job(tmp_path: Path, testsigma: Simulated, github: Simulated) -> Job:
    """A GitHub job whose action runs a Testsigma test plan on the simulator."""
    return Job(tmp_path, testsigma.url, github.url, TESTSIGMA_INPUTS)


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connections are refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bk_job(tmp_path: Path, buildkite: Simulated, github: Simulated) -> Job:
    """A GitHub job whose action talks to the Buildkite simulator."""
    return Job(tmp_path, buildkite.url, github.url, BUILDKITE_INPUTS)
