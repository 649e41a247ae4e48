"""A matrix: several action processes, one per job, on one commit, against one Buildkite simulator
whose quota they share (Buildkite's 50 requests a minute per user, providers.md 3.4, its window ten
times shorter, as in `scale`). Each triggers its build, waits, reads its failures and the history.

Measured: requests, 429s, wall time, against the time the quota needs for those requests (requests
divided by the quota's rate); and whether any job compared with a run of its own commit or a later one
(a build another job triggered): each must say it compared with the earlier builds alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from testrun_sim import buildkite as bk
from testrun_sim.server import Served

from . import github_job

PACE_SCALE = 10  # the quota's one-minute window is a tenth of that here (as in `scale`)
EARLIER = 10  # builds on main before the matrix, on other commits: the history
JOBS = (1, 4, 8)
# What every job says when it is compared with the earlier builds alone: of its 4 failed tests, the
# first two failed in some earlier builds on main. A sibling (all 4 failed, a moment ago) would make
# them all "seen there".
EXPECTED = "Compared with 10 recent runs on main: 2 new failures, 2 seen there."
WALL_LIMIT = 300.0  # seconds one job may take, at most, before the measurement is given up


@dataclass(frozen=True, slots=True)
class Matrix:
    jobs: int
    requests: int
    throttled: int
    seconds: float
    quota_seconds: float  # requests / (quota per window / window)
    own_commit_read: int  # jobs whose comparison was not the earlier builds': must be 0
    codes: tuple[int, ...]
    logs: tuple[str, ...]


def _scenario() -> bk.Scenario:
    return bk.Scenario(scheduled=0.2, duration=1.5, tests=40, failed=4, processing=0.1)


def run(jobs: int) -> Matrix:
    limits = bk.RateLimits()
    window = limits.window / PACE_SCALE
    app = bk.BuildkiteSimulator(
        {"e2e-tests": _scenario()}, rate_limits=bk.RateLimits(limits.organization, limits.user, window)
    )
    names = [case.name for case in bk.make_cases(_scenario()) if case.outcome == "failed"]
    app.seed_history(
        "e2e-tests",
        [bk.PastBuild(failed=names[: i % 3], duration=100, ago=600 * (i + 1)) for i in range(EARLIER)],
    )
    inputs = {"provider": "buildkite", "api-key": bk.DEFAULT_TOKEN, "organization": bk.ORGANIZATION,
              "pipeline": "e2e-tests", "suite": "e2e", "check-run": "false"}  # fmt: skip
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_"))}
    with Served(app) as served, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "testrun_action"],
                env={**base, **github_job.environ(Path(tmp) / f"job{n}", {**inputs, "api-url": served.url})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for n in range(jobs)
        ]
        logs = []
        for process in processes:
            out, _ = process.communicate(timeout=WALL_LIMIT)
            logs.append(out)
        seconds = time.monotonic() - started
        return Matrix(
            jobs=jobs,
            requests=len(app.requests),
            throttled=app.throttled,
            seconds=seconds,
            quota_seconds=len(app.requests) / (limits.user / window),
            own_commit_read=sum(1 for log in logs if EXPECTED not in log),
            codes=tuple(p.returncode for p in processes),
            logs=tuple(logs),
        )


def table(results: list[Matrix]) -> str:
    rows = ["| Jobs | Requests | 429s | Wall time | Requests / quota rate | Compared with own commit or later |",
            "|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in results:
        share = 100 * r.throttled / r.requests if r.requests else 0.0
        rows.append(
            f"| {r.jobs} | {r.requests} | {r.throttled} ({share:.1f} %) | {r.seconds:.1f} s | "
            f"{r.quota_seconds:.1f} s | {r.own_commit_read} |"
        )
    return "\n".join(rows) + (
        f"\n\nBuildkite's quota of 50 requests a minute per user, its window {PACE_SCALE}× shorter "
        "(50 per 6 s); every job on one commit, one process each.\n"
    )


def main() -> str:
    return table([run(jobs) for jobs in JOBS])


if __name__ == "__main__":
    print(main())
