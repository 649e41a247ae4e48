"""A matrix: several action processes, one per job, on one commit, against one Buildkite simulator
whose quota they share (Buildkite's 50 requests a minute per user, providers.md 3.4, its window ten
times shorter, as in `scale`). Each triggers its build, waits, reads its failures and the history.

Measured: requests, 429s, wall time, against the time the quota needs for those requests (requests
divided by the quota's rate); and whether any job compared with a run of its own commit or a later one
(a build another job triggered): each must say it compared with the earlier builds alone.

    .venv/bin/python -m benchmarks.matrix                                  # 1, 4 and 8 jobs, once
    .venv/bin/python -m benchmarks.matrix --runs 3 --before 8e2aada        # and another version, 3 times
    .venv/bin/python -m benchmarks.matrix --jobs 8 --trace                 # when each request and 429 came

`--before` takes a commit of this repository, or the `src` directory of another version of the action;
its processes run with that on PYTHONPATH, against the same simulator (this tree's). Not part of `make bench` (a
minute or more, and the figures move with the machine's load, given with them). With every number of
jobs, the table goes to stdout and `benchmarks/results/matrix.md`; `--trace` prints, per second, the
requests and 429s by what they were for (the trigger, status polls, the final reads of a run's results,
history reads), and when each quota window began.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testrun_sim import buildkite as bk
from testrun_sim.server import Served

from . import github_job

RESULT = Path(__file__).resolve().parent / "results" / "matrix.md"
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
    trace: tuple[Arrival, ...] = ()
    windows: tuple[float, ...] = ()  # when each quota window began, seconds after the start


@dataclass(frozen=True, slots=True)
class Arrival:
    """One request as the simulator saw it: when (seconds after the start), what kind, and whether
    it was answered 429."""

    at: float
    kind: str
    throttled: bool


def kind(request: dict[str, Any]) -> str:
    """What an action's request to Buildkite was for: the trigger, a status poll, a final read of the
    run's results, or a history read (providers/buildkite: client, final_reads, history)."""
    method, path, query = request["method"], request["path"], request.get("query") or {}
    if method == "POST":
        return "trigger"
    if method == "PUT":
        return "cancel"
    if re.search(r"/pipelines/[^/]+/builds/\d+$", path) or "build_id" in query:
        return "poll"
    if re.search(r"/suites/[^/]+/runs/[\w-]+$", path):
        return "poll"
    if path.endswith("/tests") or query.get("include_failure_expanded"):
        return "final"
    if path.endswith("/failed_executions"):
        return "history"
    if path.endswith("/runs") or (path.endswith("/builds") and "created_from" not in query):
        return "history"
    return "adopt"


KINDS = ("trigger", "poll", "final", "history", "adopt", "cancel")


def timeline(result: Matrix, step: float = 1.0) -> str:
    """Requests and 429s per `step` seconds, by kind, and the quota windows' starts: where the
    refusals come from."""
    if not result.trace:
        return ""
    end = max(a.at for a in result.trace)
    lines = [f"{result.jobs} jobs: requests (429s) per {step:g} s, by kind; * a quota window begins",
             "     t  " + " ".join(f"{k:>9}" for k in KINDS)]  # fmt: skip
    for n in range(int(end / step) + 1):
        low, high = n * step, (n + 1) * step
        got = [a for a in result.trace if low <= a.at < high]
        if not got:
            continue
        cells = []
        for k in KINDS:
            sent = [a for a in got if a.kind == k]
            count = sum(1 for a in sent if a.throttled)
            cells.append(f"{len(sent):>5}" + (f" ({count})" if count else "    ") if sent else " " * 9)
        mark = "*" if any(low <= w < high for w in result.windows) else " "
        lines.append(f"{low:6.2f}{mark} " + " ".join(cells))
    refused = [a for a in result.trace if a.throttled]
    lines.append("429s: " + ", ".join(f"{a.at:.2f} s {a.kind}" for a in refused) if refused else "429s: none")
    return "\n".join(lines)


def _scenario() -> bk.Scenario:
    return bk.Scenario(scheduled=0.2, duration=1.5, tests=40, failed=4, processing=0.1)


def run(jobs: int, src: Path | None = None) -> Matrix:
    """`jobs` processes of this tree's action, or of the one in `src`, against one simulator."""
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
    if src is not None:
        base["PYTHONPATH"] = str(src)
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
            trace=tuple(
                Arrival(r["clock"] - started, kind(r), r.get("status") == 429) for r in app.recorded()
            ),
            windows=tuple(w - started for w in app.windows),
        )


def table(results: list[tuple[int, str, Matrix]]) -> str:
    """One row per (run, version, matrix); the version column only when there are several."""
    versions = len({version for _, version, _ in results}) > 1
    head = "| Run | " + ("Version | " if versions else "")
    rows = [head + "Jobs | Requests | 429s | Wall time | Requests ÷ quota rate | Compared with own commit or later |",
            "|---:|" + ("---|" if versions else "") + "---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for number, version, r in results:
        share = 100 * r.throttled / r.requests if r.requests else 0.0
        rows.append(
            f"| {number} | " + (f"{version} | " if versions else "") + f"{r.jobs} | {r.requests} | "
            f"{r.throttled} ({share:.1f} %) | {r.seconds:.1f} s | {r.quota_seconds:.1f} s | {r.own_commit_read} |"
        )
    return "\n".join(rows) + (
        f"\n\nBuildkite's quota of 50 requests a minute per user, its window {PACE_SCALE}× shorter "
        "(50 per 6 s); every job on one commit, one process each. Requests ÷ quota rate: the least time "
        "the quota allows for that many requests.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, action="append", help=f"jobs in the matrix (default: {JOBS})")
    parser.add_argument("--runs", type=int, default=1, help="how many times to measure each (default: 1)")
    parser.add_argument("--before", help="a commit, or the src directory of another version, measured too")
    parser.add_argument("--trace", action="store_true", help="print when each request and 429 arrived")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        versions: dict[str, Path | None] = {}
        if args.before:
            try:
                before = versions["before"] = _version(args.before, Path(tmp))
            except subprocess.CalledProcessError:
                parser.error(f"{args.before} is neither a directory nor a commit of this repository")
            if not (before / "testrun_action" / "__init__.py").is_file():
                parser.error(f"{args.before} holds no testrun_action package")
        versions["after"] = None
        return _measure(args, versions, " ".join(["python -m benchmarks.matrix", *(argv or sys.argv[1:])]))


def _version(before: str, tmp: Path) -> Path:
    """The `src` of another version: a directory as given, or a commit's, extracted into `tmp`."""
    if Path(before).is_dir():
        return Path(before).resolve()
    archive = subprocess.run(["git", "-C", str(github_job.REPO), "archive", before, "src"], capture_output=True,
                             check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    return tmp / "src"


def _measure(args: argparse.Namespace, versions: dict[str, Path | None], command: str) -> int:
    started, load = time.monotonic(), os.getloadavg()[0]
    results = []
    for number in range(1, args.runs + 1):
        for version, src in versions.items():
            for jobs in args.jobs or JOBS:
                result = run(jobs, src)
                if args.trace:
                    print(f"Run {number}, {version}: {timeline(result)}", file=sys.stderr, flush=True)
                results.append((number, version, result))
    text = table(results)
    machine = (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load:.1f} at the start; {datetime.now(UTC):%Y-%m-%d}; `{command}` took "
        f"{time.monotonic() - started:.0f} s."
        + (f" Before: the action at `{args.before}`; after: this tree's." if args.before else "")
    )
    if not args.jobs:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(
            f"<!-- Written by `python -m benchmarks.matrix`. -->\n{machine}\n\n{text}", encoding="utf-8"
        )
    print(f"{machine}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
