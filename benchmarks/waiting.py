"""Waiting: status checks per run, and how long after a run ends the action notices, for the adaptive
schedule (with and without a history of earlier runs) and for fixed 5 s and 10 s polling.

The real flow (`run_action`) sends real HTTP to the Empirical simulator; both share a virtual clock,
so a two-hour run takes a second or two. Each run is repeated with lengths spread over 10 s, so no
policy is lucky or unlucky in how its checks line up with the end. The simulator counts tests at an
even pace; real runs are lumpier, and some services count nothing until the end: the second table
has runs like that, where only the history of earlier runs says when the end will come.
"""

from __future__ import annotations

import io
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from testrun_action.clock import VirtualClock
from testrun_action.flow import Hooks, run_action
from testrun_action.simulators.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_action.simulators.server import Served

from . import github_job

RUNS = ((30, 20), (300, 60), (1800, 200), (7200, 400))  # seconds running, tests
SILENT_RUNS = ((300, 60), (1800, 200), (7200, 400))  # the same, counting nothing until the end
EXTRA_SECONDS = (0.0, 2.1, 4.3, 5.9, 8.2)  # each run is repeated this much longer
HISTORY = (0.93, 1.04, 0.98, 1.08, 0.95)  # earlier runs, as fractions of this one
QUEUED = 5.0
POLICIES = (
    ("adaptive", "", False),
    ("adaptive, with history", "", True),
    ("every 5 s", "5", False),
    ("every 10 s", "10", False),
)
STATUS = r"^/api/test-runs$"


@dataclass(frozen=True)
class Waited:
    seconds: int
    tests: int
    live_counts: bool
    policy: str
    checks: float  # means over the repeats
    delay: float


def _earlier_runs(app: EmpiricalSimulator, url: str, clock: VirtualClock, durations: list[float]) -> None:
    for duration in durations:
        app.scenarios["staging"] = Scenario(queued=QUEUED, duration=duration, tests=10)
        response = httpx.put(
            f"{url}/api/test-runs",
            json={"environment": "staging"},
            headers={"Authorization": f"Bearer {DEFAULT_KEY}"},
        )
        response.raise_for_status()
        clock.sleep(QUEUED + duration + 60)


def one_run(
    seconds: float, tests: int, poll_interval: str, history: bool, live_counts: bool = True
) -> tuple[int, float]:
    """(status checks, seconds from the run's end to the check that saw it) for one run."""
    clock = VirtualClock()
    app = EmpiricalSimulator(clock=clock.now)
    with Served(app) as served, tempfile.TemporaryDirectory() as tmp:
        if history:
            _earlier_runs(app, served.url, clock, [seconds * f for f in HISTORY])
        app.scenarios["staging"] = Scenario(
            queued=QUEUED, duration=seconds, tests=tests, live_counts=live_counts
        )
        inputs = {"api-key": DEFAULT_KEY, "api-url": served.url, "environment": "staging",
                  "poll-interval": poll_interval, "timeout-minutes": "600", "check-run": "false",
                  "job-summary": "false"}  # fmt: skip
        code = run_action(
            github_job.environ(Path(tmp), inputs),
            hooks=Hooks(clock=clock, stream=io.StringIO(), handle_signals=False),
        )
        if code != 0:
            raise RuntimeError(f"the run did not pass (exit {code})")
        run = max(app.runs.values(), key=lambda r: r.id)
        ended_at = run.created + QUEUED + seconds
        checks = [r for r in app.recorded("GET", STATUS) if r["query"].get("id") == str(run.id)]
        noticed = min(r["clock"] for r in checks if r["clock"] >= ended_at)
        return len(checks), noticed - ended_at


def measure() -> list[Waited]:
    results = []
    plan = [(s, t, True, p) for s, t in RUNS for p in POLICIES]
    plan += [(s, t, False, p) for s, t in SILENT_RUNS for p in POLICIES if p[0] != "every 5 s"]
    for seconds, tests, live, (policy, interval, history) in plan:
        outcomes = [one_run(seconds + extra, tests, interval, history, live) for extra in EXTRA_SECONDS]
        checks = statistics.mean(checks for checks, _ in outcomes)
        delay = statistics.mean(delay for _, delay in outcomes)
        results.append(Waited(seconds, tests, live, policy, checks, delay))
    return results


def _length(seconds: int) -> str:
    return (
        f"{seconds // 3600} h"
        if seconds >= 3600
        else f"{seconds // 60} min"
        if seconds >= 60
        else f"{seconds} s"
    )


def _rows(results: list[Waited], every_10: dict[tuple[int, bool], float]) -> list[str]:
    lines = [
        "| Run (tests) | Polling | Status checks | × every 10 s | Mean delay to notice the end |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {_length(r.seconds)} ({r.tests}) | {r.policy} | {r.checks:.0f} | "
            f"{r.checks / every_10[r.seconds, r.live_counts]:.2f}× | {r.delay:.1f} s |"
        )
    return lines


def table(results: list[Waited]) -> str:
    every_10 = {(r.seconds, r.live_counts): r.checks for r in results if r.policy == "every 10 s"}
    counted = [r for r in results if r.live_counts]
    silent = [r for r in results if not r.live_counts]
    adaptive = [r for r in counted if r.policy.startswith("adaptive") and r.seconds >= 300]
    met = all(r.delay < 2.0 and r.checks < every_10[r.seconds, True] for r in adaptive)
    worst_delay = max(r.delay for r in adaptive)
    worst_ratio = max(r.checks / every_10[r.seconds, True] for r in adaptive)
    spread = ", ".join(f"+{e:g}" for e in EXTRA_SECONDS[1:])
    return "\n".join(
        [
            f"Means over {len(EXTRA_SECONDS)} runs of each length (as given, {spread} s), each queued "
            f"{QUEUED:g} s first; history: {len(HISTORY)} earlier runs of {min(HISTORY):.0%}-{max(HISTORY):.0%} "
            "of the length. Runs whose tests are counted as they finish:",
            "",
            *_rows(counted, every_10),
            "",
            "Goal: mean delay under 2 s and fewer checks than every 10 s, for every run of 5 minutes or longer: "
            f"**{'met' if met else 'not met'}** (worst: {worst_delay:.1f} s, {worst_ratio:.2f}× the checks).",
            "",
            "Runs that count nothing until they end (only the history says when that will be):",
            "",
            *_rows(silent, every_10),
        ]
    )
