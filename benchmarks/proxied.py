"""One measured step: the real process (`python -m testrun_action`, from this tree or another version's
`src`) against the simulators, each behind a hostile proxy on 127.0.0.1. It gives the exit code, the
wall time (from the signal, when one is sent), the peak resident memory, the log and what the step
wrote, for `benchmarks.hostile` to put in a row."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testrun_sim import buildkite as bk
from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.github import GitHubSimulator
from testrun_sim.hostile import LONGEST, Hostile, Rule
from testrun_sim.runner_files import read_outputs
from testrun_sim.server import Fault, Served
from testrun_sim.testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from testrun_sim.testsigma import Plan, TestsigmaSimulator

from .github_job import environ

TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"  # noqa: S105 - the simulator's own
KILL_AFTER = LONGEST + 60.0  # a process still going then is killed (and the row says so)
READY_SECONDS = 60.0  # the longest a step is given to reach the point where a signal is sent
NOTE_CHARS = 90  # a quoted log line in a row is clipped to this
WATCH_SECONDS = 0.02  # how often the process's peak memory is read


@dataclass(frozen=True)
class Row:
    case: str
    budget: str
    code: int
    seconds: float
    peak_mb: float
    note: str = ""


@dataclass
class Setup:
    """The servers of one case: the service (Empirical, Testsigma or Buildkite) and GitHub, each behind
    a hostile proxy."""

    service: Hostile
    github: Hostile
    service_app: object
    github_app: GitHubSimulator


@dataclass
class Step:
    """What one run of the process did."""

    code: int
    took: float
    peak_mb: float
    log: str
    work: Path
    outputs: dict[str, str] = field(default_factory=dict)

    def written(self, name: str) -> str:
        path = self.work / name
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    def row(self, case: str, budget: str, note: str = "") -> Row:
        return Row(case, budget, self.code, self.took, self.peak_mb, note)


def servers(stack: ExitStack, service: str = "empirical", scenario: Any = None) -> Setup:
    """`service`: empirical (a run of 6 tests, or `scenario`), testsigma (plan 3058, two failures) or
    buildkite (pipeline e2e-tests)."""
    app: object
    if service == "testsigma":
        app = TestsigmaSimulator(
            {3058: Plan(created=0.1, queued=0.1, pre_flight=0.1, duration=0.3, failed=2, step_results=False)}
        )
    elif service == "buildkite":
        fast = bk.Scenario(scheduled=0.2, duration=0.6, tests=12, processing=0.1, failed=2)
        app = bk.BuildkiteSimulator({"e2e-tests": scenario or fast})
    else:
        app = EmpiricalSimulator({"staging": scenario or Scenario(queued=0.1, duration=600, tests=6)})
    served = stack.enter_context(Served(app))
    github_app = GitHubSimulator(tokens={TOKEN: "write"})
    github = stack.enter_context(Served(github_app))
    return Setup(
        stack.enter_context(Hostile(served.url)),
        stack.enter_context(Hostile(github.url)),
        app,
        github_app,
    )


def inputs(setup: Setup, service: str = "empirical", **more: str) -> dict[str, str]:
    given = {
        "API-KEY": DEFAULT_KEY,
        "API-URL": setup.service.url,
        "ENVIRONMENT": "staging",
        "POLL-INTERVAL": "0.2",
        "GITHUB-TOKEN": TOKEN,
    }
    if service == "testsigma":
        given.update(
            {"PROVIDER": "testsigma", "API-KEY": TESTSIGMA_KEY, "TEST-PLAN-ID": "3058", "ENVIRONMENT": ""}
        )
    if service == "buildkite":
        given.update(
            {
                "PROVIDER": "buildkite",
                "API-KEY": bk.DEFAULT_TOKEN,
                "ENVIRONMENT": "",
                "ORGANIZATION": bk.ORGANIZATION,
                "PIPELINE": "e2e-tests",
                "SUITE": "e2e",
            }
        )
    return {**given, **{k.upper().replace("_", "-"): v for k, v in more.items()}}


def run(
    src: Path | None,
    work: Path,
    env: dict[str, str],
    *args: str,
    ready: Callable[[], bool] | None = None,
) -> Step:
    """Run the process to its end; with `ready`, send SIGTERM once it is true and time from there."""
    base = {"PATH": os.environ["PATH"], **({"PYTHONPATH": str(src)} if src else {})}
    log_path = work / "process.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "testrun_action", *args],
            env={**base, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    killer = threading.Timer(KILL_AFTER, process.kill)
    killer.start()
    peak = _Peak(process.pid)
    peak.start()
    started = time.monotonic()
    try:
        if ready is not None:
            while not ready() and process.poll() is None and time.monotonic() - started < READY_SECONDS:
                time.sleep(0.05)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
        _, status = os.waitpid(process.pid, 0)
    finally:
        killer.cancel()
    took = time.monotonic() - started
    peak.join()
    output = work / "output"
    return Step(
        os.waitstatus_to_exitcode(status),
        took,
        peak.mb,
        log_path.read_text(encoding="utf-8", errors="replace"),
        work,
        read_outputs(output) if output.is_file() else {},
    )


class _Peak(threading.Thread):
    """The process's peak resident memory, read from `VmHWM` in /proc until it exits.

    Not `ru_maxrss`: a child keeps the largest RSS of the memory it was spawned from (Linux carries it
    over `execve`), so every process would show at least this benchmark's own peak. A spike in the
    last `WATCH_SECONDS` before the exit would be missed."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="peak", daemon=True)
        self._status = Path(f"/proc/{pid}/status")
        self.mb = 0.0

    def run(self) -> None:
        while True:
            try:
                found = re.search(r"^VmHWM:\s+(\d+) kB", self._status.read_text(), re.MULTILINE)
            except OSError:
                return
            if found is None:  # exited: no memory left to read
                return
            self.mb = max(self.mb, int(found.group(1)) / 1024)
            time.sleep(WATCH_SECONDS)


def case(
    src: Path | None,
    work: Path,
    *,
    service: str = "empirical",
    scenario: Any = None,
    rules: tuple[tuple[str, Rule | Callable[[Setup], Rule]], ...] = (),
    faults: tuple[tuple[str, Fault], ...] = (),
    event: str = "push",
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    ready: Callable[[Setup], Callable[[], bool]] | None = None,
    url_user: str = "",
    more: dict[str, str] | None = None,
    **given: str,
) -> tuple[Step, Setup]:
    """One step against fresh servers: `rules` are (`service` or `github`, rule or a function of the
    servers giving one) for the proxies,
    `faults` the same for the simulators behind them; `url_user` goes in the api-url (`user:password`), `more` are inputs like `given`."""
    given = {**given, **(more or {})}
    with ExitStack() as stack:
        setup = servers(stack, service, scenario)
        for side, rule in rules:
            proxy = setup.github if side == "github" else setup.service
            proxy.add(rule(setup) if callable(rule) else rule)
        for side, fault in faults:
            app = setup.github_app if side == "github" else setup.service_app
            app.script(fault)  # type: ignore[attr-defined]
        if url_user:
            given = {"api_url": setup.service.url.replace("http://", f"http://{url_user}@"), **given}
        environment = {
            **environ(work, inputs(setup, service, **given), setup.github.url, event),
            **(env or {}),
        }
        step = run(src, work, environment, *args, ready=ready(setup) if ready else None)
    return step, setup


def seen(proxy: Hostile, method: str, path: str, count: int = 1) -> Callable[[], bool]:
    """True once the proxy has seen `count` requests whose whole path matches `path`."""

    def enough() -> bool:
        with proxy.lock:
            return (
                sum(1 for r in proxy.seen if r["method"] == method and re.fullmatch(path, r["path"])) >= count
            )

    return enough


def said(log: str, *phrases: str) -> str:
    return "; ".join(p for p in phrases if p in log)


def first_problem(log: str) -> str:
    """The traceback's last line, else the first error or warning the step wrote (not a failure's
    annotation), clipped."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    if any(line.startswith("Traceback") for line in lines):
        error = next(
            (ln for ln in reversed(lines) if re.match(r"^[\w.]+(Error|Exception|Interrupted)\b", ln)), ""
        )
        return f"traceback {error or lines[-1]}"[:NOTE_CHARS]
    for line in lines:
        annotation = line.startswith(("::error file=", "::warning file="))  # a failure, not a problem
        if line.startswith(("::error", "::warning")) and not annotation:
            return line.split("::", 2)[-1][:NOTE_CHARS]
    return ""


def happened(step: Step, *more: str) -> str:
    """A short account of a step: its first problem, the `result` output (or none) and `more`."""
    result = step.outputs.get("result")
    parts = [first_problem(step.log), f"result={result}" if result else "no outputs", *more]
    return "; ".join(part for part in parts if part)
