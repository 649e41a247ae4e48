"""Waiting: status checks per run, and how long after a run ends the action notices, for the adaptive
schedule (with and without a history of earlier runs) and for fixed 5 s and 10 s polling.

The real flow (`run_action`) sends real HTTP to the Empirical simulator; both share a virtual clock,
so a two-hour run takes a second or two. Runs count their tests in the ways real runs do: as they
finish; in shard-sized bursts (two equal shards, or one shard done at once and a long one reporting
at its end); stalled at 90 % for minutes; or nothing until the end. Run lengths are not multiples of
10 s, and each run is repeated with a different length and queue time, so that no fixed interval is
lucky or unlucky in how its checks line up with the end.
"""

from __future__ import annotations

import io
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from testrun_action.clock import VirtualClock
from testrun_action.flow import Hooks, run_action
from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario, SimRun
from testrun_sim.server import Served

from . import github_job

# Seconds of running time and tests: the two lengths of the shard example in issue 17, five minutes
# and over, half an hour and over, two hours and over (none a multiple of 10 s), with as many tests as
# the earlier table had for such lengths.
LENGTHS = (127, 244, 302, 1807, 7213)
TESTS = {127: 60, 244: 60, 302: 60, 1807: 200, 7213: 400}
REPEATS = ((0.0, 5.0), (2.1, 3.3), (4.3, 7.1), (5.9, 4.4), (8.2, 6.6))  # seconds longer, seconds queued
HISTORY = (0.97, 1.02, 0.99, 1.03, 0.98)  # earlier runs, as fractions of this one: a steady history
STALL = 262.0  # seconds at 90 %: the example, 90 % counted after 40 s of a 302 s run
POLICIES = (
    ("adaptive", "", False),
    ("adaptive, history", "", True),
    ("every 5 s", "5", False),
    ("every 10 s", "10", False),
)
STATUS = r"^/api/test-runs$"
LONG_RUN = 300  # seconds: from here on, no more checks than every 10 s
MEAN_GOAL = 2.0
WORST_GOAL = 10.0

Counting = Callable[[float, float], float]  # (seconds running, run length) -> share of tests counted


def _stalled(running: float, length: float) -> float:
    stall = min(STALL, 0.87 * length)
    return min(0.9, 0.9 * running / (length - stall))


PATTERNS: tuple[tuple[str, Counting | None], ...] = (
    ("counted as they finish", lambda running, length: running / length),
    ("two equal shards: half at half-time, the rest at the end", lambda r, n: 0.5 if r >= n / 2 else 0.0),
    ("two unbalanced shards: half at once, the rest at the end", lambda r, n: 0.5 if r >= 1 else 0.0),
    (f"stalled at 90 % for the last {STALL / 60:.1f} minutes (or most of a shorter run)", _stalled),
    ("nothing until the end", None),
)
STEADY = ("counted as they finish",)  # patterns where the progress alone says when the run will end


class CountingSimulator(EmpiricalSimulator):
    """The Empirical simulator, counting the tests of runs still going by `counting`."""

    counting: Counting | None = None

    def _progress(self, run: SimRun) -> float:
        share = super()._progress(run)
        if self.counting is None or share >= 1:
            return share
        return self.counting(share * run.scenario.duration, run.scenario.duration)


@dataclass(frozen=True)
class Waited:
    pattern: str
    seconds: int
    policy: str
    checks: float  # mean over the repeats
    mean_delay: float
    worst_delay: float


def _earlier_runs(app: EmpiricalSimulator, url: str, clock: VirtualClock, durations: list[float]) -> None:
    for duration in durations:
        app.scenarios["staging"] = Scenario(queued=5.0, duration=duration, tests=10)
        response = httpx.put(
            f"{url}/api/test-runs",
            json={"environment": "staging"},
            headers={"Authorization": f"Bearer {DEFAULT_KEY}"},
        )
        response.raise_for_status()
        clock.sleep(5.0 + duration + 60)


def one_run(
    seconds: float, tests: int, queued: float, counting: Counting | None, poll_interval: str, history: bool
) -> tuple[int, float]:
    """(status checks, seconds from the run's end to the check that saw it) for one run."""
    clock = VirtualClock()
    app = CountingSimulator(clock=clock.now)
    with Served(app) as served, tempfile.TemporaryDirectory() as tmp:
        if history:
            _earlier_runs(app, served.url, clock, [seconds * f for f in HISTORY])
        app.counting = counting
        app.scenarios["staging"] = Scenario(
            queued=queued, duration=seconds, tests=tests, live_counts=counting is not None
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
        ended_at = run.created + queued + seconds
        checks = [r for r in app.recorded("GET", STATUS) if r["query"].get("id") == str(run.id)]
        noticed = min(r["clock"] for r in checks if r["clock"] >= ended_at)
        return len(checks), noticed - ended_at


def measure(
    patterns: tuple[tuple[str, Counting | None], ...] = PATTERNS, lengths: tuple[int, ...] = LENGTHS
) -> list[Waited]:
    results = []
    for pattern, counting in patterns:
        for seconds in lengths:
            for policy, interval, history in POLICIES:
                outcomes = [
                    one_run(seconds + extra, TESTS[seconds], queued, counting, interval, history)
                    for extra, queued in REPEATS
                ]
                delays = [delay for _, delay in outcomes]
                checks = statistics.mean(checks for checks, _ in outcomes)
                results.append(Waited(pattern, seconds, policy, checks, statistics.mean(delays), max(delays)))
    return results


def _length(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds} s"


def _misses(r: Waited, every_10: Waited) -> list[str]:
    """The goals a row of the adaptive schedule misses."""
    misses = []
    if r.worst_delay > WORST_GOAL:
        misses.append(f"worst delay > {WORST_GOAL:g} s")
    steady = r.pattern in STEADY or r.policy == "adaptive, history"
    if steady and r.mean_delay >= MEAN_GOAL:
        misses.append(f"mean delay ≥ {MEAN_GOAL:g} s")
    if r.seconds >= LONG_RUN and r.checks > every_10.checks:
        misses.append("more checks than every 10 s")
    return misses


def table(results: list[Waited]) -> str:
    cell = {(r.pattern, r.seconds, r.policy): r for r in results}
    header = "| Progress | Run (tests) | " + " | ".join(p for p, _, _ in POLICIES) + " | Goals |"
    lines = [header, "|---" * (len(POLICIES) + 3) + "|"]
    missed = []
    for pattern in dict.fromkeys(r.pattern for r in results):
        for seconds in dict.fromkeys(r.seconds for r in results if r.pattern == pattern):
            every_10 = cell[pattern, seconds, "every 10 s"]
            cells, misses = [], []
            for policy, _, _ in POLICIES:
                r = cell[pattern, seconds, policy]
                cells.append(
                    f"{r.checks:.0f} ({r.checks / every_10.checks:.2f}×) · {r.mean_delay:.1f} / {r.worst_delay:.1f} s"
                )
                if policy.startswith("adaptive"):
                    misses += [f"{policy}: {m}" for m in _misses(r, every_10)]
            missed += misses
            goals = "met" if not misses else "**not met**: " + "; ".join(misses)
            run = f"{_length(seconds)} ({TESTS[seconds]})"
            lines.append(f"| {pattern} | {run} | " + " | ".join(cells) + f" | {goals} |")
    spread = ", ".join(f"+{extra:g} s and queued {queued:g} s" for extra, queued in REPEATS)
    return "\n".join(
        [
            f"Each cell: status checks (× every 10 s) · mean / worst delay to notice the end, over {len(REPEATS)} "
            f"runs of each length ({spread}). History: {len(HISTORY)} earlier runs of "
            f"{min(HISTORY):.0%}-{max(HISTORY):.0%} of the length.",
            "",
            *lines,
            "",
            f"Goals, for both adaptive columns: worst delay ≤ {WORST_GOAL:g} s on every pattern; mean delay under "
            f"{MEAN_GOAL:g} s where the tests are counted as they finish or the history is steady; no more checks "
            f"than every 10 s for runs of {LONG_RUN // 60} minutes or more: **{'met' if not missed else 'not met'}** "
            f"({len(missed)} misses).",
        ]
    )
