"""`testrun` as a command people type: boolean inputs are switches with `--no-` forms, `testrun` alone is
the help, `testrun run --help` groups the inputs as the providers declare them with their defaults, and
`--json` prints the outcome for a script, the log going to stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from testrun_action.cli import _parser
from testrun_action.errors import ConfigurationError
from testrun_action.inputs import all_inputs
from testrun_action.providers.registry import specs
from testrun_action.settings import load_settings, read_raw_inputs
from testrun_sim.empirical import DEFAULT_KEY
from testrun_sim.runner_files import read_outputs

from .conftest import Job, Simulated

BOOLEANS = [spec.name for spec in all_inputs() if spec.boolean]


def command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `testrun` command itself: the function its console script runs."""
    code = "from testrun_action.cli import entrypoint; entrypoint()"
    environ = {"PATH": os.environ["PATH"], **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_boolean_inputs_are_the_declared_ones() -> None:
    assert {"wait", "dry-run", "cancel-on-abort", "job-summary", "check-run", "pr-comment"} <= set(BOOLEANS)


@pytest.mark.parametrize("name", BOOLEANS)
def test_every_boolean_input_is_a_switch_with_a_no_form_and_keeps_its_optional_value(name: str) -> None:
    _, run = _parser()

    def given(*args: str) -> object:
        return getattr(run.parse_args(list(args)), name)

    assert given(f"--{name}") == "true"
    assert given(f"--no-{name}") == "false"
    assert given(f"--{name}", "false") == "false"
    assert given(f"--{name}=FALSE") == "false"
    assert given(f"--{name}", "true") == "true"
    assert given(f"--no-{name}", f"--{name}") == "true"  # the last one wins, as with any option
    assert given() is None  # not given: the INPUT_ variable or the default decides
    assert given(f"--{name}", "") is None  # `--wait "$WAIT"` with nothing in it, as before


@pytest.mark.parametrize("name", [spec.name for spec in all_inputs()])
def test_an_input_is_declared_boolean_exactly_when_settings_read_it_as_one(name: str) -> None:
    environ = {"INPUT_API-KEY": DEFAULT_KEY, "INPUT_ENVIRONMENT": "staging", f"INPUT_{name.upper()}": "maybe"}
    try:
        load_settings(read_raw_inputs(environ))
        said = ""
    except ConfigurationError as exc:
        said = exc.message

    assert ("expected `true` or `false`" in said) == (name in BOOLEANS), said


def test_a_boolean_flag_with_another_value_is_a_usage_error_naming_the_flag() -> None:
    done = command("run", "--api-key", DEFAULT_KEY, "--environment", "staging", "--dry-run", "maybe")

    assert done.returncode == 2
    assert "testrun run: error: argument --dry-run: expected true or false, got 'maybe'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_switches_reach_the_settings_over_the_environment(job: Job, empirical: Simulated) -> None:
    environ = {k: v for k, v in job.environ(**{"dry-run": "true"}).items() if k != "GITHUB_ACTIONS"}

    done = command("run", "--no-dry-run", "--no-wait", "--no-check-run", env=environ)

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(empirical.app.recorded("PUT", r"^/api/test-runs$")) == 1  # not a dry run: it triggered
    assert read_outputs(job.tmp / "output")["result"] == "triggered"  # --no-wait


def test_testrun_alone_prints_the_help_and_exits_as_a_usage_error() -> None:
    done = command()

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: testrun ")
    for name in ("run", "post", "demo", "sandbox"):
        assert re.search(rf"^\s+{name}\s", done.stderr, re.M), done.stderr


def test_run_help_groups_the_inputs_by_provider_with_defaults_and_switches() -> None:
    done = command("run", "--help")

    assert done.returncode == 0
    text = done.stdout
    sections = dict(re.findall(r"^(\S[^\n]*):\n((?:[ ]+\S[^\n]*\n?)+)", text, re.M))
    groups = [heading for heading in sections if heading.endswith(" inputs")]
    assert groups[0] == "common inputs"
    listed = {
        option: heading
        for heading in groups
        for option in re.findall(r"^  (--[a-z-]+)", sections[heading], re.M)
    }
    assert set(listed) == {f"--{spec.name}" for spec in all_inputs()}
    for provider in specs():  # each provider's own inputs under a heading that names it
        for declared in provider.inputs:
            assert provider.display_name in listed[f"--{declared.name}"], (provider.name, declared.name)
    assert all(listed[f"--{name}"] == "common inputs" for name in ("provider", "api-key", "wait"))
    common = text.split("common inputs:\n", 1)[1].split("\n\n", 1)[0]
    assert "--wait, --no-wait" in common
    assert "--dry-run, --no-dry-run" in common
    assert "(default: --wait)" in " ".join(common.split())
    assert "(default: --no-dry-run)" in " ".join(common.split())
    assert re.search(r"--timeout-minutes VALUE[^-]*\(default: 60\)", " ".join(common.split()))


def _json_run(
    job: Job, *args: str, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    done = command("run", "--json", *args, env=job.environ(**inputs))
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout  # the outcome alone: the log is on stderr
    return done, json.loads(lines[0])


def _as_outputs(outcome: dict[str, object]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in outcome.items() if k != "exit-code"}


def test_json_prints_the_outcome_as_the_step_outputs_say_it(job: Job, empirical: Simulated) -> None:
    done, outcome = _json_run(job, "--no-check-run")

    assert done.returncode == 0, done.stderr
    assert "Triggered Empirical run" in done.stderr
    assert outcome["exit-code"] == 0
    assert outcome["result"] == "passed"
    assert isinstance(outcome["total"], int)
    assert outcome["total"] > 0
    assert outcome["run-id"]
    assert outcome["run-url"]
    assert outcome["state"] == "ended"
    assert _as_outputs(outcome) == read_outputs(job.tmp / "output")


def test_json_prints_the_outcome_of_a_configuration_error_too(job: Job, empirical: Simulated) -> None:
    done, outcome = _json_run(job, "--fail-on", "failure")

    assert done.returncode == 2
    assert outcome["exit-code"] == 2
    assert outcome["result"] == "error"
    assert outcome["total"] is None
    assert "Input 'fail-on'" in done.stderr
    assert _as_outputs(outcome) == read_outputs(job.tmp / "output")
