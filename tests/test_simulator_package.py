"""The simulators live in testrun_sim, beside the action and never inside it: the action runs without
loading them, `testrun demo` and `testrun sandbox` reach them through the command line, and both loop over
the registry of simulators keyed by provider name."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from testrun_action.cli import main
from testrun_action.providers.registry import specs
from testrun_sim import sandbox
from testrun_sim.cli import parser
from testrun_sim.demo import DEMO_SHA, demo_job
from testrun_sim.empirical import DEFAULT_KEY
from testrun_sim.entry import Listen, Script, SimulatorEntry, Started
from testrun_sim.registry import SIMULATORS

from .conftest import Job, Simulated

# Imports every module of the action, then runs it as the image's entrypoint does, and says which
# testrun_sim modules were loaded by then.
ACTION_ALONE = """
import pkgutil, runpy, sys, testrun_action
for module in pkgutil.walk_packages(testrun_action.__path__, "testrun_action."):
    if not module.name.endswith("__main__"):
        __import__(module.name)
try:
    runpy.run_module("testrun_action", run_name="__main__", alter_sys=True)
finally:
    print(sorted(name for name in sys.modules if name.split(".")[0] == "testrun_sim"), file=sys.stderr)
"""


def test_the_action_runs_without_loading_the_simulators(job: Job, empirical: Simulated) -> None:
    environ = {"PATH": os.environ["PATH"], **job.environ(wait="false")}

    done = subprocess.run(
        [sys.executable, "-c", ACTION_ALONE], env=environ, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Triggered Empirical run" in done.stdout
    assert done.stderr.splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_demo_and_sandbox_say_clearly_that_the_simulators_are_missing_where_they_are(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "testrun_sim"]:
        monkeypatch.setitem(sys.modules, name, None)  # as in the image: no such package

    code = main([command, "--port", "0"] if command == "sandbox" else [command])

    assert code == 2
    error = capsys.readouterr().err
    assert f"testrun {command}: the simulators (package testrun_sim) are not installed here" in error
    assert "image" in error
    assert "Traceback" not in error


def test_every_provider_the_action_accepts_has_simulators() -> None:
    assert set(SIMULATORS) == {spec.name for spec in specs()}
    assert all(name == entry.provider for name, entry in SIMULATORS.items())


@pytest.mark.parametrize("provider", list(SIMULATORS))
def test_the_demo_runs_each_registered_provider_to_its_failures_and_check_run(provider: str) -> None:
    job = demo_job(provider)

    assert job.code == 1, job.summary
    assert job.outputs["result"] == "failed"
    assert int(job.outputs["failed"]) > 0
    [check_run] = job.check_runs
    assert check_run["conclusion"] == "failure"
    assert check_run["head_sha"] == DEMO_SHA


def test_the_sandbox_serves_each_registered_provider_to_a_real_trigger(
    tmp_path: Path, github: Simulated
) -> None:
    with contextlib.ExitStack() as stack:
        started = sandbox.start(stack, "127.0.0.1", sandbox.first_ports(0), {})
        assert list(started) == list(SIMULATORS)
        for name, each in started.items():
            job = Job(tmp_path)
            job.github_api_url = github.url
            result = job.run(**{"provider": name, **each.inputs, "wait": "false"})
            assert result.code == 0, result.log
            assert result.outputs["run-id"], result.log


def test_the_sandbox_keeps_the_ports_its_users_know() -> None:
    # docs/sandbox.md and the CI workflow name these; Testsigma's Test Management takes 8027.
    assert sandbox.first_ports(8025) == {"empirical": 8025, "testsigma": 8026, "buildkite": 8028}
    assert set(sandbox.first_ports(0).values()) == {0}


def test_the_sandbox_command_serves_until_interrupted_where_it_is_told(unused_port: int) -> None:
    sandboxed = subprocess.Popen(
        [sys.executable, "-m", "testrun_action", "sandbox", "--port", "0", "--empirical-port", str(unused_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    stalled = threading.Timer(30, sandboxed.kill)  # a sandbox that never says it is up ends the loop
    stalled.start()
    lines: list[str] = []
    try:
        assert sandboxed.stdout is not None
        for line in sandboxed.stdout:
            lines.append(line.strip())
            if lines[-1] == "Ctrl-C stops them":
                break
        sandboxed.send_signal(signal.SIGINT)
        assert sandboxed.wait(timeout=10) == 0
    finally:
        stalled.cancel()
        if sandboxed.poll() is None:
            sandboxed.kill()
            sandboxed.wait(timeout=10)
    assert lines[-1] == "Ctrl-C stops them"
    assert f"Empirical simulator on http://127.0.0.1:{unused_port}  (api-key: {DEFAULT_KEY})" in lines
    for entry in SIMULATORS.values():
        assert any(
            line.lower().startswith(f"{entry.provider} simulator on http://127.0.0.1:") for line in lines
        )


def test_a_new_provider_s_simulators_are_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Listen, Sequence[str]]] = []

    def echo_sandbox(
        stack: contextlib.ExitStack[bool | None], listen: Listen, scripts: Sequence[str]
    ) -> Started:
        calls.append((listen, scripts))
        return Started({"api-url": f"http://{listen.host}:{listen.port}"}, "Echo simulator")

    def echo_demo(stack: contextlib.ExitStack[bool | None]) -> Started:
        raise AssertionError("not started here")

    echo = SimulatorEntry(
        "echo", echo_demo, echo_sandbox, ports=1, script=Script("--echo", "NAME=JSON", "script an echo")
    )
    monkeypatch.setitem(SIMULATORS, "echo", echo)
    after_last = 8025 + sum(entry.ports for name, entry in SIMULATORS.items() if name != "echo")

    assert parser("demo").parse_args(["--provider", "echo"]).provider == "echo"
    args = parser("sandbox").parse_args(["--port", "8025", "--echo", 'a={"x": 1}'])
    assert sandbox.first_ports(args.port)["echo"] == after_last
    with contextlib.ExitStack() as stack:
        ports = sandbox.first_ports(0) | {"echo": after_last}
        started = sandbox.start(stack, "127.0.0.1", ports, {"echo": args.script_echo})
    assert calls == [(Listen("127.0.0.1", after_last), ['a={"x": 1}'])]
    assert started["echo"].description == "Echo simulator"
    overridden = parser("sandbox").parse_args(["--echo-port", "9100"])
    assert overridden.port_echo == 9100


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s)\]>\"'`|]+", text)


def test_a_sandbox_run_links_only_to_pages_the_sandbox_serves(tmp_path: Path, github: Simulated) -> None:
    """Every report link of a sandbox run, failed tests' included, opens a page of the sandbox, never the
    real dashboards (dash.empirical.run, buildkite.com, app.testsigma.com); GitHub's links aside."""
    scripts = {
        "empirical": ['staging={"duration": 1, "failed": 2}'],
        "buildkite": ['e2e-tests={"failed": 2}'],
    }
    with contextlib.ExitStack() as stack:
        started = sandbox.start(stack, "127.0.0.1", sandbox.first_ports(0), scripts)
        plan = f"{started['testsigma'].inputs['api-url']}/_sim/plans/{started['testsigma'].inputs['test-plan-id']}"
        httpx.put(plan, json={"failed": 2}, timeout=10).raise_for_status()
        addresses = {value for each in started.values() for value in each.inputs.values() if "://" in value}
        sandbox_hosts = tuple(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/" for url in addresses)
        for name, each in started.items():
            job = Job(tmp_path / name)
            (tmp_path / name).mkdir()
            job.github_api_url = github.url
            result = job.run(
                **{"provider": name, **each.inputs, "poll-interval": "0.2", "compare-with": "none"}
            )
            seen = _links(result.everything())
            service = [url for url in seen if not url.startswith(("https://github.com/", github.url))]

            assert result.outputs["run-url"] in service, result.log
            assert result.code == 1, result.log  # failed tests, each with its links
            strays = [url for url in service if not url.startswith(sandbox_hosts)]
            assert strays == [], f"{name}: {strays}"
            for url in set(service):
                page = httpx.get(url, timeout=10)
                assert page.status_code == 200, url
                assert page.headers["content-type"].startswith("text/html"), url
