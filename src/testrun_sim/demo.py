"""`testrun demo`: the real flow against a provider's simulators, in a simulated GitHub job.

A push event, temporary GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the provider's simulators scripted
for a run with failures that takes about 15 seconds (each entry of the registry says what it scripts);
then the summary and outputs the action wrote, and the check run as GitHub recorded it.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from testrun_action.flow import Hooks, run_action

from .github import WRITE_TOKEN, GitHubSimulator
from .registry import SIMULATORS
from .runner_files import read_outputs
from .server import Served

DEMO_SHA = "9f2c4e1b7a3d5f60812e4c9b0a7d3e5f1c2b4a69"
DEFAULT_PROVIDER = next(iter(SIMULATORS))


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
        "GITHUB_API_URL": api_url,
        "GITHUB_ACTOR": "octocat",
        "GITHUB_TRIGGERING_ACTOR": "octocat",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary"),
        "GITHUB_STATE": str(tmp / "state"),
    }


def step_inputs(inputs: dict[str, str]) -> dict[str, str]:
    """Inputs as the runner passes them to a Docker action: `INPUT_<NAME>`, the name upper-cased with its
    hyphens kept (github-platform.md 1.1)."""
    return {f"INPUT_{name.upper()}": value for name, value in inputs.items()}


@dataclass
class DemoJob:
    """What the simulated job left behind."""

    code: int
    summary: str
    outputs: dict[str, str]
    check_runs: list[dict[str, Any]]
    junit: str = ""  # the JUnit file the step wrote


def demo_job(provider: str = DEFAULT_PROVIDER, out: TextIO | None = None) -> DemoJob:
    """The action run once in a simulated push job against `provider`'s simulators; the log to `out`."""
    out = out or io.StringIO()
    entry = SIMULATORS[provider]
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="testrun-demo-") as name:
        tmp = Path(name)
        started = entry.demo(stack)
        github = GitHubSimulator()
        github_served = stack.enter_context(Served(github))
        inputs = {"provider": entry.provider, **started.inputs, "github-token": WRITE_TOKEN}
        inputs["junit-file"] = str(tmp / "e2e-results.xml")
        environ = job_environment(tmp, github_served.url, push_event()) | step_inputs(inputs)
        out.write(
            f"Simulated GitHub job: push to acme/shop@main, {started.description}, "
            f"GitHub API simulator at {github_served.url}\n\n"
        )
        code = run_action(environ, hooks=Hooks(stream=out))
        return DemoJob(
            code=code,
            summary=(tmp / "summary").read_text(encoding="utf-8"),
            outputs=read_outputs(tmp / "output"),
            check_runs=github.admin_check_runs(),
            junit=junit.read_text(encoding="utf-8") if (junit := tmp / "e2e-results.xml").exists() else "",
        )


def run_demo(provider: str = DEFAULT_PROVIDER, stream: TextIO | None = None) -> int:
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
