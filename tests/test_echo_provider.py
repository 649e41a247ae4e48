"""A provider from outside the product: the toy Echo service (tests/echo) plugs in through an entry point
and runs the whole flow in the real process, to a pass and to a failure, with no product file naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from testrun_action.providers.registry import ENTRY_POINT_GROUP, specs
from testrun_sim.runner_files import read_outputs

from .conftest import Job, Simulated
from .echo import simulator
from .test_check_run import only_check_run

ROOT = Path(__file__).resolve().parent.parent


def plugin_path(tmp: Path, entry: str = "echo = tests.echo:SPEC") -> str:
    """A PYTHONPATH on which Echo is an installed plug-in: a distribution's metadata with its entry point,
    as `pip install` would leave it, and the directory its code is imported from."""
    dist = tmp / "site" / "testrun_echo-0.1.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: testrun-echo\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry}\n", encoding="utf-8")
    return os.pathsep.join([str(dist.parent), str(ROOT)])


@pytest.fixture
def echo() -> Iterator[Simulated]:
    service = simulator.EchoService()
    with simulator.served(service) as url:
        yield Simulated(service, url)


@pytest.fixture
def echo_job(tmp_path: Path, echo: Simulated, github: Simulated) -> Job:
    job = Job(tmp_path)
    job.api_url = echo.url
    job.github_api_url = github.url
    job.defaults = {"provider": "echo", "api-key": simulator.KEY, "environment": "", "echo-word": "hello"}
    return job


def run_process(
    job: Job, entry: str = "echo = tests.echo:SPEC", **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": plugin_path(job.tmp, entry), **job.environ(**inputs)}
    done = subprocess.run(
        [sys.executable, "-m", "testrun_action"], env=env, capture_output=True, text=True, timeout=60
    )
    summary = (job.tmp / "summary").read_text(encoding="utf-8")
    return done, read_outputs(job.tmp / "output"), summary


def test_a_plugged_in_provider_runs_the_whole_flow_to_a_pass(
    echo_job: Job, echo: Simulated, github: Simulated
) -> None:
    done, outputs, summary = run_process(echo_job)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Triggering a run on Echo for the word 'hello'" in done.stdout
    assert (outputs["result"], outputs["total"], outputs["passed"], outputs["failed"]) == (
        "passed",
        "5",
        "5",
        "0",
    )
    assert outputs["run-url"] == "http://127.0.0.1:9/dashboard/runs/100"  # the spec's default dashboard
    assert "E2E tests passed" in summary
    assert only_check_run(github)["conclusion"] == "success"
    assert done.stderr == ""


def test_a_plugged_in_provider_runs_the_whole_flow_to_a_failure(
    echo_job: Job, echo: Simulated, github: Simulated
) -> None:
    done, outputs, summary = run_process(echo_job, echo_failures="2")

    assert done.returncode == 1, done.stdout + done.stderr
    assert (outputs["result"], outputs["failed"], outputs["passed"]) == ("failed", "2", "3")
    assert "echoes hello take 2" in summary
    assert "expected hello, heard nothing" in summary
    check_run = only_check_run(github)
    assert check_run["conclusion"] == "failure"


def test_a_plugged_in_provider_explains_its_own_error_codes(echo_job: Job) -> None:
    done, outputs, summary = run_process(echo_job, echo_word="silence")

    assert done.returncode == 1, done.stdout + done.stderr
    assert outputs["result"] == "error"
    assert "`silent`" in summary
    assert "The echo service heard nothing back" in summary


def test_a_plugged_in_providers_inputs_are_refused_for_another_provider(echo_job: Job) -> None:
    done, _, _ = run_process(echo_job, provider="empirical", environment="staging", echo_word="hello")

    assert done.returncode == 2
    assert (
        "Input 'echo-word': is only used with `provider: echo`; remove it for `provider: empirical`."
        in done.stdout
    )
    assert "Traceback" not in done.stdout + done.stderr


def test_a_plugged_in_providers_own_input_is_checked_and_named(echo_job: Job) -> None:
    done, _, _ = run_process(echo_job, echo_failures="eleven")

    assert done.returncode == 2
    assert [line for line in done.stdout.splitlines() if line.startswith("::error")] == [
        "::error title=Invalid configuration::Input 'echo-failures': expected a whole number from 0 to 10, got \"eleven\"."
    ]


def test_a_plug_in_that_cannot_load_is_a_configuration_error_only_when_chosen(echo_job: Job) -> None:
    broken = "echo = tests.echo:MISSING"

    done, _, _ = run_process(echo_job, broken)
    others, _, _ = run_process(echo_job, broken, provider="empirical", environment="staging", echo_word="",
                               dry_run="true")  # fmt: skip

    assert done.returncode == 2
    assert [line for line in done.stdout.splitlines() if line.startswith("::error")] == [
        "::error title=Invalid configuration::Input 'provider': the provider plug-in `echo` "
        "(tests.echo:MISSING) could not be loaded: module 'tests.echo' has no attribute 'MISSING'"
    ]
    assert "Traceback" not in done.stdout + done.stderr
    assert others.returncode == 0, others.stdout + others.stderr


def test_a_plug_in_redeclaring_another_providers_input_is_left_out_without_a_traceback(
    echo_job: Job,
) -> None:
    clashing = "echo = tests.echo:CLASHING"

    done, outputs, _ = run_process(echo_job, clashing)
    others, _, _ = run_process(echo_job, clashing, provider="empirical", environment="staging", echo_word="",
                               dry_run="true")  # fmt: skip

    assert done.returncode == 2, done.stdout + done.stderr
    assert "declares an input `organization` that another provider declares differently" in done.stdout
    assert outputs["result"] == "error"
    assert "Traceback" not in done.stdout + done.stderr + others.stdout + others.stderr
    assert others.returncode == 0, others.stdout + others.stderr


def test_the_plugged_in_provider_is_known_only_through_its_entry_point() -> None:
    assert "echo" not in [spec.name for spec in specs()]  # not installed in this process
    product = ROOT / "src" / "testrun_action"
    named = [p for p in product.rglob("*.py") if "tests.echo" in p.read_text(encoding="utf-8")]
    assert named == []
