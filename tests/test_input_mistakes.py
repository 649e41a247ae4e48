"""Inputs that would be silently ignored say so: an unknown `INPUT_*` name or `--flag` suggests the input
meant, an input and its alias set to different values is refused naming both, and `INPUT_DRY_RUN` beside
the runner's own `INPUT_DRY-RUN` (which wins) is a warning saying how to set it."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import Job, Simulated


def warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("::warning")]


def test_an_unknown_input_variable_is_one_warning_suggesting_the_input_meant(
    job: Job, empirical: Simulated
) -> None:
    result = job.run(wait="false", env={"INPUT_ENVIROMENT": "production"})

    assert result.code == 0, result.log
    assert warnings(result.log) == [
        "::warning title=Unknown input::Unknown input 'enviroment'; did you mean 'environment'?"
    ]
    [trigger] = empirical.app.recorded("PUT", r"^/api/test-runs$")
    assert trigger["body"]["environment"] == "staging"  # the declared input, as before


def test_an_unknown_input_with_nothing_close_is_said_to_be_ignored_without_its_value(
    job: Job, empirical: Simulated
) -> None:
    result = job.run(wait="false", env={"INPUT_SLACK_WEBHOOK": "https://hooks.example/s3cr3t-v4lue"})

    assert warnings(result.log) == [
        "::warning title=Unknown input::Unknown input 'slack_webhook'; it is ignored."
    ]
    assert "s3cr3t" not in result.everything()


def test_many_unknown_inputs_are_a_few_warnings_and_a_count(job: Job, empirical: Simulated) -> None:
    result = job.run(wait="false", env={f"INPUT_EXTRA_{n}": "x" for n in range(8)})

    shown = warnings(result.log)
    assert len(shown) == 5
    assert shown[-1] == "::warning title=Unknown input::4 more INPUT_ variables are ignored."


def test_a_declared_input_given_in_either_form_is_no_warning(job: Job, empirical: Simulated) -> None:
    environ = job.environ(wait="false")
    environ["INPUT_TIMEOUT_MINUTES"] = environ.pop("INPUT_TIMEOUT-MINUTES", "30") or "30"

    done = subprocess.run(
        [sys.executable, "-m", "testrun_action"],
        env={"PATH": os.environ["PATH"], **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stdout
    assert warnings(done.stdout) == []


def test_the_underscore_form_beside_the_runners_hyphen_form_is_a_warning_saying_how_to_set_it(
    job: Job, empirical: Simulated
) -> None:
    # The runner always sets INPUT_DRY-RUN (from `with:` or the default); a step's `env:` adds the other.
    result = job.run(wait="false", **{"dry-run": "false"}, env={"INPUT_DRY_RUN": "true"})

    assert result.code == 0, result.log
    [warning] = warnings(result.log)
    assert warning.startswith(
        "::warning title=Input ignored::INPUT_DRY_RUN is ignored: input 'dry-run' is read "
    )
    assert "`with: dry-run: …`" in warning
    assert "INPUT_DRY-RUN" in warning
    assert len(empirical.app.recorded("PUT", r"^/api/test-runs$")) == 1  # INPUT_DRY-RUN won: not a dry run


def test_the_same_value_in_both_forms_is_no_warning(job: Job, empirical: Simulated) -> None:
    result = job.run(wait="false", **{"dry-run": "false"}, env={"INPUT_DRY_RUN": "false"})

    assert warnings(result.log) == []


def test_an_input_and_its_alias_set_to_different_values_is_refused_naming_both(
    job: Job, empirical: Simulated
) -> None:
    result = job.run(**{"auth-key": "another-key-7777"})

    assert result.code == 2
    errors = [line for line in result.log.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error title=Invalid configuration::Input 'api-key': is set, and so is its alias `auth-key`, to "
        "another value: keep one of the two."
    ]
    assert empirical.app.recorded("PUT", r"^/api/test-runs$") == []
    assert "another-key-7777" not in result.everything()


def test_an_input_and_its_alias_set_to_the_same_value_is_fine(job: Job, empirical: Simulated) -> None:
    result = job.run(wait="false", **{"auth-key": job.environ()["INPUT_API-KEY"]})

    assert result.code == 0, result.log


def test_a_misspelt_flag_is_a_usage_error_suggesting_the_flag_meant() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "testrun_action", "run", "--api-key", "k-123456", "--enviroment", "staging"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "testrun run: error: unrecognized argument --enviroment; did you mean --environment?"
    )
    assert "Traceback" not in done.stderr
