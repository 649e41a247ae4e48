"""No input and no environment gives a traceback: each is one clear error naming what is wrong (exit 2
for configuration), with the outputs written wherever they can be. The key cases run the real process."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from testrun_action.post import run_post
from testrun_sim.empirical import Scenario
from testrun_sim.runner_files import read_outputs
from testrun_sim.server import Fault

from .conftest import FAST, HEAD_SHA, Job, Simulated
from .test_entrypoint import run_process
from .test_signals import Step

NESTED_JSON = '{"a":' * 20_000 + "1" + "}" * 20_000
NESTED_YAML = "a: " + "[" * 20_000


def errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("::error")]


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"api_key": "kéy-123456"}, "Input 'api-key': must be printable ASCII without spaces"),
        ({"api_key": "key with space"}, "Input 'api-key': must be printable ASCII without spaces"),
        ({"metadata": NESTED_JSON}, "Input 'metadata': is nested too deeply"),
        ({"metadata": NESTED_YAML}, "Input 'metadata': is nested too deeply"),
        # The runner passes bytes; \udcff is how Python reads an invalid UTF-8 byte from the environment.
        ({"environment": "stag\udcffing"}, "Input 'environment': expected one line of at most 200"),
    ],
    ids=[
        "non-ASCII api-key",
        "api-key with a space",
        "nested JSON metadata",
        "nested YAML metadata",
        "not UTF-8",
    ],
)
def test_a_bad_input_in_the_real_process_is_one_error_with_outputs(
    job: Job, empirical: Simulated, inputs: dict[str, str], says: str
) -> None:
    done = run_process(job.environ(**inputs))

    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    [error] = errors(done.stdout)
    assert error.startswith(f"::error title=Invalid configuration::{says}")
    assert read_outputs(job.tmp / "output")["result"] == "error"
    assert empirical.app.recorded("PUT") == []


@pytest.mark.parametrize("variable", ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"])
def test_an_unwritable_runner_file_on_a_configuration_error_is_a_warning(job: Job, variable: str) -> None:
    done = run_process(job.environ(wait="maybe", env={variable: str(job.tmp / "missing" / "file")}))

    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert errors(done.stdout) == [
        "::error title=Invalid configuration::Input 'wait': expected `true` or `false`, got \"maybe\"."
    ]
    assert (
        f"::warning title=Runner file::Could not write {variable} (No such file or directory)" in done.stdout
    )
    if variable == "GITHUB_STEP_SUMMARY":
        assert read_outputs(job.tmp / "output")["result"] == "error"  # the other file still written
    else:
        assert "the step did not start a run" in (job.tmp / "summary").read_text(encoding="utf-8")


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target", "deployment_status"])
def test_an_event_that_needs_its_payload_refuses_to_run_without_it(
    job: Job, empirical: Simulated, github: Simulated, event: str
) -> None:
    missing = {"GITHUB_EVENT_PATH": str(job.tmp / "gone.json"), "GITHUB_EVENT_NAME": event}
    done = run_process(
        job.environ(
            event="deployment_status" if event == "deployment_status" else "pull_request", env=missing
        )
    )

    assert done.returncode == 2, done.stdout
    [error] = errors(done.stdout)
    assert error.startswith(
        "::error title=Invalid configuration::Input 'GITHUB_EVENT_PATH': the event payload file"
    )
    assert empirical.app.recorded("PUT") == []  # never a run on GITHUB_SHA, the merge commit
    assert github.app.recorded("POST") == []


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "the event payload is nested too deeply to read"),
        ("{not json", "the event payload could not be read (JSONDecodeError)"),
        ("[1, 2]", "the event payload is not a JSON object"),
        ('{"pull_request": {"number": 1}}', "the pull_request event payload has no `pull_request.head.sha`"),
        (None, "the event payload could not be read (Is a directory)"),
    ],
    ids=["nested", "not JSON", "not an object", "no head sha", "a directory"],
)
def test_an_unreadable_pull_request_payload_is_a_configuration_error(
    job: Job, empirical: Simulated, payload: str | None, says: str
) -> None:
    path = job.tmp / "odd.json"
    if payload is None:
        path.mkdir()
    else:
        path.write_text(payload, encoding="utf-8")
    result = job.run(event="pull_request", env={"GITHUB_EVENT_PATH": str(path)})

    assert result.code == 2
    assert f"Input 'GITHUB_EVENT_PATH': {says}" in result.log
    assert "Traceback" not in result.log
    assert empirical.app.recorded("PUT") == []


def test_a_deeply_nested_push_payload_is_an_error_too(job: Job, empirical: Simulated) -> None:
    path = job.tmp / "odd.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")

    result = job.run(env={"GITHUB_EVENT_PATH": str(path)})

    assert (result.code, result.outputs["result"]) == (2, "error")


def test_a_fork_without_fork_true_in_its_payload_is_still_a_fork(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    environ = job.environ(event="pull_request_fork")
    event = json.loads(Path(environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    head, base = event["pull_request"]["head"]["repo"], event["pull_request"]["base"]["repo"]
    assert head["full_name"] != base["full_name"]
    head.pop("fork", None)
    path = job.tmp / "no_fork_flag.json"
    path.write_text(json.dumps(event), encoding="utf-8")

    result = job.run(event="pull_request_fork", env={"GITHUB_EVENT_PATH": str(path)})

    assert result.code == 0
    assert github.app.recorded("POST") == []  # a read-only token: no check run attempted
    assert "No check run, this pull request comes from a fork" in result.log


def test_an_unwritable_state_file_after_the_trigger_still_follows_and_cancels_the_run(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=10)

    result = job.run(timeout_minutes="0.03", env={"GITHUB_STATE": str(job.tmp / "missing" / "state")})

    assert (result.code, result.outputs["result"]) == (1, "timed_out")
    assert "::warning title=Runner file::Could not write GITHUB_STATE" in result.log
    assert empirical.app.runs[1001].cancel_reason is not None
    assert "Traceback" not in result.log


def test_a_surrogate_in_a_failure_name_in_the_real_process(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        **{**FAST, "failed": 1},
        failures=[{"name": "pay \udc00", "message": "cut \ud83d", "file_path": "t/a.ts"}],
    )

    done = run_process(job.environ())

    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "Reporting problem" not in done.stdout
    assert "pay \ufffd" in (job.tmp / "summary").read_text(encoding="utf-8")
    assert read_outputs(job.tmp / "output")["result"] == "failed"
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "failure")


def test_sigterm_while_the_check_run_patch_hangs_exits_143_with_outputs(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    github.app.script(Fault("PATCH", r"/check-runs/\d+$", "delay", times=3, delay=30.0))
    step = Step(job)
    step.wait_until(lambda: bool(github.app.faults) and github.app.faults[0].times < 3)

    sent = time.monotonic()
    step.process.send_signal(signal.SIGTERM)
    log = step.process.communicate(timeout=10)[0]

    assert step.process.returncode == 143, log
    assert time.monotonic() - sent < 5.0
    assert "Traceback" not in log
    assert "Received SIGTERM while writing the check run" in log
    outputs = read_outputs(job.tmp / "output")
    assert (outputs["result"], outputs["run-id"]) == ("passed", "1001")
    assert "E2E tests passed" in (job.tmp / "summary").read_text(encoding="utf-8")


def test_sigterm_while_the_check_run_is_being_created_cancels_and_reports(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=10)
    github.app.script(Fault("POST", r"/check-runs$", "delay", times=1, delay=30.0))
    step = Step(job)
    step.wait_until(lambda: not github.app.faults)

    step.process.send_signal(signal.SIGTERM)
    log = step.process.communicate(timeout=10)[0]

    assert step.process.returncode == 143, log
    assert "Traceback" not in log
    assert empirical.app.runs[1001].cancel_reason == "GitHub job cancelled (SIGTERM)"
    assert read_outputs(job.tmp / "output")["result"] == "cancelled"


@pytest.mark.parametrize(
    "state",
    [
        {"STATE_run_id": "../../etc"},
        {"STATE_run_id": "9" * 5000},
        {"STATE_run_id": "abc"},
        {"STATE_run_id": "1001", "INPUT_METADATA": NESTED_JSON},
        {"STATE_run_id": "1001", "INPUT_API-KEY": "kéy-123456"},
    ],
    ids=["path", "huge", "not a number", "nested metadata", "non-ASCII key"],
)
def test_the_post_step_with_odd_saved_state_ends_quietly(
    job: Job, empirical: Simulated, capsys: pytest.CaptureFixture[str], state: dict[str, str]
) -> None:
    assert run_post({**job.environ(), **state}) == 0

    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert "::warning title=Post step::" in out
    assert len(out) < 2000


@pytest.mark.parametrize(
    "env",
    [{}, {"GITHUB_EVENT_PATH": "/nonexistent", "GITHUB_EVENT_NAME": "pull_request"}],
    ids=["", "no event file"],
)
def test_the_post_step_still_cancels_a_run_left_going(
    job: Job, empirical: Simulated, env: dict[str, str]
) -> None:
    empirical.app.scenarios["staging"] = Scenario(queued=0.1, duration=600, tests=10)
    job.run(wait="false")
    empirical.app.runs[1001].cancel_reason = None

    assert run_post({**job.environ(), "STATE_run_id": "1001", **env}) == 0
    assert empirical.app.runs[1001].cancel_reason == "the GitHub job stopped before the run ended"


def test_the_head_commit_is_reported_not_the_merge_commit(job: Job, github: Simulated) -> None:
    job.run(event="pull_request")

    assert [r["body"]["head_sha"] for r in github.app.recorded("POST", r"/check-runs$")] == [HEAD_SHA]
