"""`testrun demo`: the real flow against the embedded simulators, in a simulated GitHub job.

A push event, temporary GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a run of 48 tests with failures,
flaky and snoozed tests that takes about 15 seconds, after ten earlier runs that the report compares it
with; then the summary and outputs it wrote, and the
check run as GitHub recorded it. `--provider buildkite` runs a Pipelines build of 60 tests whose Test
Engine run has failed and flaky tests; `--provider testsigma` a Testsigma test plan (it sits in
STATUS_CREATED first, as real runs do), recorded in the Test Management simulator.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from testrun_action.flow import Hooks, run_action

from . import buildkite as bk
from .empirical import DEFAULT_KEY, EmpiricalSimulator, PastRun, Scenario
from .github import WRITE_TOKEN, GitHubSimulator
from .server import Served
from .testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from .testsigma import PastRun as PastPlanRun
from .testsigma import Plan, TestsigmaSimulator
from .testsigma_tms import DEFAULT_KEY as TMS_KEY
from .testsigma_tms import DEFAULT_PROJECT, TmsSimulator

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


# Earlier runs, newest first, so that the report can tell new failures from known ones: on main, one of
# today's failures has failed since the last run, another now and then; the third is new.
DEMO_HISTORY = [
    PastRun(failed=["Search › filters by price"], duration=11.8, ago=3_600),
    PastRun(branch="feature/wishlist", failed=["Login › signs in with email"], duration=12.6, ago=5_400),
    PastRun(failed=["Search › filters by price", "Cart › keeps the cart after sign-in"], duration=10.9, ago=7_200),
    PastRun(duration=10.2, ago=10_800),
    PastRun(flaky=["Cart › keeps the cart after sign-in"], duration=10.7, ago=14_400),
    PastRun(duration=9.8, ago=18_000),
    PastRun(failed=["Checkout › charges the saved card"], duration=10.4, ago=21_600),
    PastRun(duration=10.1, ago=25_200),
    PastRun(failed=["Cart › keeps the cart after sign-in"], duration=11.2, ago=28_800),
    PastRun(duration=9.9, ago=32_400),
]  # fmt: skip
BUILDKITE_HISTORY = [
    bk.PastBuild(failed=["Checkout applies a discount code"], duration=7.5, ago=3_600),
    bk.PastBuild(duration=7.1, ago=7_200),
    bk.PastBuild(failed=["Search finds products by name"], duration=6.8, ago=10_800),
]
TESTSIGMA_HISTORY = [
    PastPlanRun(failed=["Apply a discount code"], duration=8.7, ago=3_600),
    PastPlanRun(failed=["Filter by price #2"], duration=9.4, ago=7_200),
    PastPlanRun(duration=9.1, ago=10_800),
]


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
    app = EmpiricalSimulator({"staging": DEMO_SCENARIO, "production": Scenario()})
    app.seed_history("staging", DEMO_HISTORY)
    served = stack.enter_context(Served(app))
    return job_environment(tmp, served.url, push_event()), f"Empirical simulator at {served.url}"


def _testsigma(stack: contextlib.ExitStack, tmp: Path) -> tuple[dict[str, str], str]:
    simulator = TestsigmaSimulator({DEMO_PLAN_ID: DEMO_PLAN})
    simulator.seed_history(DEMO_PLAN_ID, TESTSIGMA_HISTORY)
    platform = stack.enter_context(Served(simulator))
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
    simulator = bk.BuildkiteSimulator({"e2e-tests": BUILDKITE_SCENARIO})
    simulator.seed_history("e2e-tests", BUILDKITE_HISTORY)
    served = stack.enter_context(Served(simulator))
    return job_environment(
        tmp, served.url, push_event()
    ) | BUILDKITE_INPUTS, f"Buildkite simulator at {served.url}"


# Each provider's simulators, started on the stack, and the job's environment for it.
PROVIDERS: dict[str, Callable[[contextlib.ExitStack, Path], tuple[dict[str, str], str]]] = {
    "empirical": _empirical,
    "buildkite": _buildkite,
    "testsigma": _testsigma,
}


@dataclass
class DemoJob:
    """What the simulated job left behind."""

    code: int
    summary: str
    outputs: dict[str, str]
    check_runs: list[dict[str, Any]]


def demo_job(provider: str = "empirical", out: TextIO | None = None) -> DemoJob:
    """The action run once in a simulated push job against `provider`'s simulators; the log to `out`."""
    out = out or io.StringIO()
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
        return DemoJob(
            code=code,
            summary=(tmp / "summary").read_text(encoding="utf-8"),
            outputs=read_outputs(tmp / "output"),
            check_runs=github.admin_check_runs(),
        )


def run_demo(provider: str = "empirical", stream: TextIO | None = None) -> int:
    out = stream or sys.stdout
    job = demo_job(provider, out)
    out.write("\n──── Job summary (GITHUB_STEP_SUMMARY) ────\n")
    out.write(job.summary)
    out.write("\n──── Step outputs (GITHUB_OUTPUT) ────\n")
    for key, value in job.outputs.items():
        out.write(f"{key} = {value}\n")
    for check_run in job.check_runs:
        out.write(show_check_run(check_run))
    meaning = {0: "the tests passed", 1: "tests failed", 2: "bad configuration", 3: "service unusable"}
    out.write(f"\nThe step would exit with code {job.code} ({meaning.get(job.code, 'interrupted')}).\n")
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
