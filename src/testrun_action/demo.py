"""`testrun demo`: the real flow against the embedded simulators, in a simulated GitHub job.

A push event, temporary GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a run of 48 tests with failures,
flaky and snoozed tests that takes about 15 seconds; then the summary and outputs it wrote, and the
check run as GitHub recorded it. `--provider buildkite` runs a Pipelines build of 60 tests whose Test
Engine run has failed and flaky tests; `--provider testsigma` a Testsigma test plan (it sits in
STATUS_CREATED first, as real runs do), recorded in the Test Management simulator.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .flow import Hooks, run_action
from .simulators import buildkite as bk
from .simulators.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from .simulators.github import WRITE_TOKEN, GitHubSimulator
from .simulators.server import Served
from .simulators.testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from .simulators.testsigma import Plan, TestsigmaSimulator
from .simulators.testsigma_tms import DEFAULT_KEY as TMS_KEY
from .simulators.testsigma_tms import DEFAULT_PROJECT, TmsSimulator

DEMO_SHA = "9f2c4e1b7a3d5f60812e4c9b0a7d3e5f1c2b4a69"
DEMO_SCENARIO = Scenario(
    pending=1.0, queued=1.5, duration=11.0, tests=48, failed=3, flaky=2, snoozed=1, skipped=2
)
DEMO_PLAN_ID = 3058
DEMO_PLAN = Plan(
    name="Shop regression", created=2.0, queued=1.0, pre_flight=1.0, duration=9.0, tests=48, failed=3,
    machines=["Windows 11 Chrome", "macOS Safari"],
)  # fmt: skip
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


def _empirical(stack: contextlib.ExitStack, tmp: Path) -> tuple[dict[str, str], str]:
    served = stack.enter_context(
        Served(EmpiricalSimulator({"staging": DEMO_SCENARIO, "production": Scenario()}))
    )
    return job_environment(tmp, served.url, push_event()), f"Empirical simulator at {served.url}"


def _testsigma(stack: contextlib.ExitStack, tmp: Path) -> tuple[dict[str, str], str]:
    platform = stack.enter_context(Served(TestsigmaSimulator({DEMO_PLAN_ID: DEMO_PLAN})))
    tms = stack.enter_context(Served(TmsSimulator()))
    environ = job_environment(tmp, platform.url, push_event())
    del environ["INPUT_METADATA"]  # an Empirical input
    environ.update(
        {
            "INPUT_PROVIDER": "testsigma",
            "INPUT_API-KEY": TESTSIGMA_KEY,
            "INPUT_TEST-PLAN-ID": str(DEMO_PLAN_ID),
            "INPUT_TESTSIGMA-TMS-PROJECT": DEFAULT_PROJECT,
            "INPUT_TESTSIGMA-TMS-API-KEY": TMS_KEY,
            "INPUT_TESTSIGMA-TMS-URL": tms.url,
            "INPUT_TESTSIGMA-TMS-LABELS": "Smoke, Nightly",
        }
    )
    return environ, f"Testsigma simulator at {platform.url}, Test Management simulator at {tms.url}"


def _buildkite(stack: contextlib.ExitStack, tmp: Path) -> tuple[dict[str, str], str]:
    served = stack.enter_context(Served(bk.BuildkiteSimulator({"e2e-tests": BUILDKITE_SCENARIO})))
    return job_environment(
        tmp, served.url, push_event()
    ) | BUILDKITE_INPUTS, f"Buildkite simulator at {served.url}"


# Each provider's simulators, started on the stack, and the job's environment for it.
PROVIDERS: dict[str, Callable[[contextlib.ExitStack, Path], tuple[dict[str, str], str]]] = {
    "empirical": _empirical,
    "buildkite": _buildkite,
    "testsigma": _testsigma,
}


def run_demo(provider: str = "empirical", stream: TextIO | None = None) -> int:
    out = stream or sys.stdout
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="testrun-demo-") as name:
        tmp = Path(name)
        environ, where = PROVIDERS[provider](stack, tmp)
        github = GitHubSimulator()
        github_served = stack.enter_context(Served(github))
        environ["GITHUB_API_URL"] = github_served.url
        environ["INPUT_GITHUB-TOKEN"] = WRITE_TOKEN
        environ["INPUT_JUNIT-FILE"] = str(tmp / "e2e-results.xml")
        out.write(
            f"Simulated GitHub job: push to acme/shop@main, {where}, GitHub API simulator at {github_served.url}\n\n"
        )
        code = run_action(environ, hooks=Hooks(stream=out))
        out.write("\n──── Job summary (GITHUB_STEP_SUMMARY) ────\n")
        out.write((tmp / "summary").read_text(encoding="utf-8"))
        out.write("\n──── Step outputs (GITHUB_OUTPUT) ────\n")
        for key, value in read_outputs(tmp / "output").items():
            out.write(f"{key} = {value}\n")
        for check_run in github.admin_check_runs():
            out.write(show_check_run(check_run))
        meaning = {0: "the tests passed", 1: "tests failed", 2: "bad configuration", 3: "service unusable"}
        out.write(f"\nThe step would exit with code {code} ({meaning.get(code, 'interrupted')}).\n")
    return 0


def show_check_run(check_run: dict[str, Any], summary_lines: int = 12) -> str:
    """A check run as the pull request's Checks tab shows it: name, verdict, title, summary, annotations."""
    output = check_run.get("output") or {}
    summary = (output.get("summary") or "").splitlines()
    lines = [
        f"\n──── Check run on {check_run['head_sha'][:7]} (as GitHub recorded it) ────",
        f"{check_run['name']}: {check_run['status']}, {check_run.get('conclusion') or 'no conclusion'}",
        f"Title: {output.get('title')}",
        f"Details: {check_run.get('details_url')}",
        "Summary:",
        *(f"  {line}" for line in summary[:summary_lines]),
    ]
    if len(summary) > summary_lines:
        lines.append(f"  … ({len(summary) - summary_lines} more lines)")
    lines.append(f"Annotations ({len(check_run['annotations'])}):")
    for a in check_run["annotations"]:
        lines.append(f"  {a['annotation_level']:<8} {a['path']}:{a['start_line']}  {a.get('title', '')}")
        lines.append(f"           {a['message']}")
    return "\n".join(lines) + "\n"


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
