"""`testrun demo`: the real flow against the embedded simulator, in a simulated GitHub job.

A push event, temporary GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a run of 48 tests with failures,
flaky and snoozed tests that takes about 15 seconds; then the summary and outputs it wrote. With
`--provider buildkite`, a Pipelines build of 60 tests whose Test Engine run has failed and flaky tests.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .flow import Hooks, run_action
from .simulators import buildkite as bk
from .simulators.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from .simulators.server import App, Served

DEMO_SHA = "9f2c4e1b7a3d5f60812e4c9b0a7d3e5f1c2b4a69"
DEMO_SCENARIO = Scenario(
    pending=1.0, queued=1.5, duration=11.0, tests=48, failed=3, flaky=2, snoozed=1, skipped=2
)
BUILDKITE_SCENARIO = bk.Scenario(
    scheduled=1.0, duration=7.0, tests=60, failed=3, flaky=2, skipped=2, processing=1.0
)
# The inputs of the Buildkite step; the rest of the job is the same.
BUILDKITE_INPUTS = {
    "INPUT_PROVIDER": "buildkite",
    "INPUT_API-KEY": bk.DEFAULT_TOKEN,
    "INPUT_ENVIRONMENT": "",
    "INPUT_ORGANIZATION": bk.ORGANIZATION,
    "INPUT_PIPELINE": "e2e-tests",
    "INPUT_SUITE": "e2e",
}


def push_event(sha: str = DEMO_SHA) -> dict[str, object]:
    return {
        "ref": "refs/heads/main",
        "after": sha,
        "repository": {"full_name": "acme/shop", "default_branch": "main"},
        "head_commit": {"id": sha, "message": "Speed up the checkout page"},
        "pusher": {"name": "octocat"},
    }


def job_environment(
    tmp: Path, api_url: str, event: dict[str, object], event_name: str = "push"
) -> dict[str, str]:
    """The variables the runner sets for a step of a push-triggered job (github-platform.md 1.3)."""
    (tmp / "event.json").write_text(json.dumps(event), encoding="utf-8")
    for name in ("output", "summary", "state"):
        (tmp / name).touch()
    return {
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(tmp / "event.json"),
        "GITHUB_SHA": DEMO_SHA,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_TRIGGERING_ACTOR": "octocat",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary"),
        "GITHUB_STATE": str(tmp / "state"),
        "INPUT_API-KEY": DEFAULT_KEY,
        "INPUT_API-URL": api_url,
        "INPUT_ENVIRONMENT": "staging",
        "INPUT_METADATA": "deployed_by: octocat\nticket: SHOP-1234",
    }


def run_demo(provider: str = "empirical", stream: TextIO | None = None) -> int:
    out = stream or sys.stdout
    simulator: App = EmpiricalSimulator({"staging": DEMO_SCENARIO, "production": Scenario()})
    if provider == "buildkite":
        simulator = bk.BuildkiteSimulator({"e2e-tests": BUILDKITE_SCENARIO})
    with Served(simulator) as served, tempfile.TemporaryDirectory(prefix="testrun-demo-") as name:
        tmp = Path(name)
        environ = job_environment(tmp, served.url, push_event())
        if provider == "buildkite":
            environ = {k: v for k, v in environ.items() if k != "INPUT_METADATA"} | BUILDKITE_INPUTS
        out.write(
            f"Simulated GitHub job: push to acme/shop@main, {provider.capitalize()} simulator at {served.url}\n\n"
        )
        code = run_action(environ, hooks=Hooks(stream=out))
        out.write("\n──── Job summary (GITHUB_STEP_SUMMARY) ────\n")
        out.write((tmp / "summary").read_text(encoding="utf-8"))
        out.write("\n──── Step outputs (GITHUB_OUTPUT) ────\n")
        for key, value in read_outputs(tmp / "output").items():
            out.write(f"{key} = {value}\n")
        meaning = {0: "the tests passed", 1: "tests failed", 2: "bad configuration", 3: "service unusable"}
        out.write(f"\nThe step would exit with code {code} ({meaning.get(code, 'interrupted')}).\n")
    return 0


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file the way the runner does (heredoc form, github-platform.md 6.1)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            else:
                raise ValueError(f"Matching delimiter not found '{delimiter}'")
            outputs[key] = "\n".join(value)
        elif "=" in line:
            key, value_ = line.split("=", 1)
            outputs[key] = value_
    return outputs
