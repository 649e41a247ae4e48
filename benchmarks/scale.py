"""Scale: a Buildkite run with 10,000 failed executions (pages of 100).

1. A process of its own (`python -m benchmarks.scale phases ...`) reads the finished run from the
   Buildkite simulator (served by this process) through the real provider and HTTP, then renders the
   job summary, the check run's output and annotations (`max-annotations: 1000`) and the JUnit file
   with the real functions, timing each; its peak RSS is read from /proc/self/status (VmHWM).
2. The whole action (`python -m testrun_action`, attached to the build) does it all for real: the
   same reads, the check run written to the GitHub simulator, the summary, the JUnit file. Its wall
   time and peak RSS come from `wait4`.
3. The reads again, against Buildkite's default quota (50 requests a minute per user, providers.md
   3.4), its window ten times shorter: how long the rate gate spreads them over, and whether any
   request still ran into a 429.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testrun_action.clock import Deadline, SystemClock, VirtualClock
from testrun_action.context import load_context
from testrun_action.model import Failures
from testrun_action.providers import Wiring
from testrun_action.providers.buildkite.client import BuildkiteProvider
from testrun_action.providers.buildkite.settings import BuildkiteSettings
from testrun_action.settings import load_settings, read_raw_inputs
from testrun_sim import buildkite as bk
from testrun_sim.github import GitHubSimulator
from testrun_sim.server import Served

from . import github_job

FAILED = 10_000
ANNOTATIONS = 1_000
SUMMARY_BUDGET = 1_000_000
PACE_SCALE = 10  # the quota's window, one minute at Buildkite, is a tenth of that here
GITHUB_TOKEN = "ghs_benchmarkbenchmarkbenchmarkbenchmark1"  # noqa: S105 - the simulator's, not a secret


def _inputs(api_url: str, build: int, junit: Path) -> dict[str, str]:
    return {"provider": "buildkite", "api-key": bk.DEFAULT_TOKEN, "api-url": api_url,
            "organization": bk.ORGANIZATION, "pipeline": "e2e-tests", "suite": "e2e",
            "build-number": str(build), "max-annotations": str(ANNOTATIONS), "junit-file": str(junit),
            "github-token": GITHUB_TOKEN, "poll-interval": "0.5"}  # fmt: skip


def _scenario() -> bk.Scenario:
    return bk.Scenario(scheduled=0.0, duration=0.2, tests=FAILED, failed=FAILED, processing=0.0)


def _peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


# -- 1. the phases, in a process of their own ----------------------------------------------------------
def phases(api_url: str, build: int, workdir: Path) -> dict[str, Any]:
    from testrun_action.gha import Actions
    from testrun_action.github.check_run import PER_REQUEST
    from testrun_action.model import Report, Source
    from testrun_action.report.annotations import batches, to_annotations
    from testrun_action.report.check_output import annotation_note, check_summary, check_title
    from testrun_action.report.junit import render_junit
    from testrun_action.report.summary import render_summary
    from testrun_action.untrusted import redacted
    from testrun_action.verdict import decide

    env = github_job.environ(workdir, _inputs(api_url, build, workdir / "junit.xml"))
    settings, context = load_settings(read_raw_inputs(env)), load_context(env)
    gha = Actions(env, io.StringIO())
    for secret in settings.secrets():
        gha.mask(secret)
    clock = VirtualClock()  # the rate gate's pauses pass at once
    assert isinstance(settings, BuildkiteSettings)
    provider = BuildkiteProvider(settings, context, Wiring(clock, lambda line: None))
    started = time.perf_counter()
    deadline = Deadline(clock, 3600)
    # The build has ended and its results are processed (`_finished_build`): the status read, then the
    # final reads that the wait schedules once a second look agrees.
    ended = provider.final_reads(provider.poll(str(build), deadline), deadline)
    run, failures = ended.run, ended.failures or Failures()
    fetched = time.perf_counter()
    provider.close()
    verdict = decide(run, fail_on=settings.fail_on, min_tests=settings.min_tests, failures=failures)
    report = Report("Buildkite", settings.environment, verdict.outcome, verdict.passed,
                    settings.fail_on, Source(context.sha, context.commit_url, context.branch,
                                             context.repository), run, failures)  # fmt: skip

    started_summary = time.perf_counter()
    summary = render_summary(report)
    started_check = time.perf_counter()
    clean = redacted(report, gha.redact)  # what CheckRunPublisher.finished renders, without sending it
    located = to_annotations(clean.failures.executions, context.workspace)
    sent = located[: settings.max_annotations]
    note = annotation_note(
        len(located) - len(sent), len(clean.failures.executions) - len(located), ANNOTATIONS
    )
    output = {"title": gha.redact(check_title(clean)), "summary": gha.redact(check_summary(clean, note))}
    requests = batches(sent, PER_REQUEST)
    started_junit = time.perf_counter()
    junit = gha.redact(render_junit(redacted(report, gha.redact)))
    (workdir / "junit.xml").write_text(junit, encoding="utf-8")
    done = time.perf_counter()
    return {
        "executions": len(failures.executions),
        "complete": failures.complete,
        "failed": run.counts.failed,
        "total": run.counts.total,
        "fetch": fetched - started,
        "summary": started_check - started_summary,
        "summary_bytes": len(summary.encode("utf-8")),
        "check": started_junit - started_check,
        "check_bytes": len(json.dumps(output).encode("utf-8")),
        "annotations": len(sent),
        "check_requests": len(requests),
        "junit": done - started_junit,
        "junit_bytes": len(junit.encode("utf-8")),
        "peak_rss": _peak_rss_bytes(),
    }


# -- the parent: simulators, the two processes, the paced reads ---------------------------------------
@dataclass(frozen=True)
class Scale:
    phases: dict[str, Any]
    action_seconds: float
    action_exit: int
    action_rss: int
    check_writes: int
    paced_seconds: float
    paced_requests: int
    throttled: int


def _finished_build(app: bk.BuildkiteSimulator) -> int:
    build = app.start_build("e2e-tests", {"commit": github_job.HEAD_SHA, "branch": "main"})
    time.sleep(0.4)  # ended, and its results processed (see `_scenario`)
    return build.number


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))}


def _paced() -> tuple[float, int, int]:
    """The reads at Buildkite's default quota, its one-minute window compressed tenfold (real threads
    and a real clock): seconds they would take at full scale, requests, 429s."""
    limits = bk.RateLimits()
    app = bk.BuildkiteSimulator(
        {"e2e-tests": _scenario()},
        rate_limits=bk.RateLimits(limits.organization, limits.user, limits.window / PACE_SCALE),
    )
    with Served(app) as served, tempfile.TemporaryDirectory() as tmp:
        build = _finished_build(app)
        env = github_job.environ(Path(tmp), _inputs(served.url, build, Path(tmp) / "junit.xml"))
        clock = SystemClock()
        settings = load_settings(read_raw_inputs(env))
        assert isinstance(settings, BuildkiteSettings)
        provider = BuildkiteProvider(settings, load_context(env), Wiring(clock, lambda line: None))
        started = clock.now()
        deadline = Deadline(clock, 3600)
        run = provider.final_reads(provider.poll(str(build), deadline), deadline).run
        provider.close()
        assert run.counts.failed == FAILED, run
        return (clock.now() - started) * PACE_SCALE, len(app.requests), app.throttled


def measure() -> Scale:
    app = bk.BuildkiteSimulator(
        {"e2e-tests": _scenario()}, rate_limits=bk.RateLimits(organization=10**6, user=10**6, window=60.0)
    )
    github = GitHubSimulator(tokens={GITHUB_TOKEN: "write"})
    with Served(app) as served, Served(github) as gh, tempfile.TemporaryDirectory() as tmp:
        build = _finished_build(app)
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale", "phases", served.url, str(build), tmp],
            env=_base_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        measured = json.loads(child.stdout)
        env = {
            **_base_env(),
            **github_job.environ(
                Path(tmp) / "action", _inputs(served.url, build, Path(tmp) / "a.xml"), gh.url
            ),
        }
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "testrun_action"], env=env, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        writes = len(github.recorded("POST", r"/check-runs$")) + len(
            github.recorded("PATCH", r"/check-runs/\d+$")
        )
    paced_seconds, paced_requests, throttled = _paced()
    return Scale(measured, seconds, process.returncode, usage.ru_maxrss * 1024, writes, paced_seconds,
                 paced_requests, throttled)  # fmt: skip


def table(result: Scale) -> str:
    p = result.phases
    rendering = p["summary"] + p["check"] + p["junit"]
    rss = max(p["peak_rss"], result.action_rss)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f} ms"

    rows = [
        ("Read every page from the simulator (100 of failed executions, 101 of tests)", ms(p["fetch"]),
         f"{p['executions']:,} executions, {'all' if p['complete'] else 'not all'} read; {p['failed']:,} failed of {p['total']:,}"),
        ("Render the job summary", ms(p["summary"]), f"{p['summary_bytes']:,} bytes ({p['summary_bytes'] / SUMMARY_BUDGET:.2%} of the 1 MB budget)"),
        (f"Render the check run (output + {p['annotations']:,} annotations)", ms(p["check"]),
         f"{p['check_bytes']:,} bytes of output; {p['check_requests']} requests of 50 annotations"),
        ("Render the JUnit file", ms(p["junit"]), f"{p['junit_bytes'] / 1e6:.1f} MB"),
        ("**All rendering**", f"**{ms(rendering)}**", f"{rendering:.2f}× the 1 s goal"),
        ("Peak RSS of the process above", f"{p['peak_rss'] / 1e6:.0f} MB", ""),
        ("The whole action (`python -m testrun_action`, attached to the build)", f"{result.action_seconds:.1f} s",
         f"exit {result.action_exit}; {result.check_writes} check-run writes, GitHub asks for 1 s between writes"),
        ("Peak RSS of the whole action", f"{result.action_rss / 1e6:.0f} MB", f"{result.action_rss / 150e6:.2f}× the 150 MB goal"),
        ("The reads at Buildkite's default quota (50 a minute per user)", f"{result.paced_seconds / 60:.1f} min",
         f"{result.paced_requests} requests, {result.throttled} answered 429 (measured with the window {PACE_SCALE}× shorter)"),
    ]  # fmt: skip
    met = rendering < 1.0 and rss < 150e6 and p["summary_bytes"] < SUMMARY_BUDGET
    lines = ["| Step | Time or size | Notes |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += [
        "",
        f"Goal: rendering under 1 s, the summary under 1,000,000 bytes, peak RSS under 150 MB: "
        f"**{'met' if met else 'not met'}**.",
    ]
    return "\n".join(lines)


if __name__ == "__main__" and sys.argv[1:2] == ["phases"]:
    _, _, url, number, workdir = sys.argv
    print(json.dumps(phases(url, int(number), Path(workdir))))
