"""Hostile servers, measured: the real process (`python -m testrun_action`) against a hostile proxy on
127.0.0.1 (`testrun_sim.hostile`) in front of the simulators. For each case: the exit
code, the wall time against its budget, and the process's peak resident memory.

    .venv/bin/python -m benchmarks.hostile                          # this tree
    .venv/bin/python -m benchmarks.hostile --before /tmp/old/src    # and another version, side by side

`--before` takes the `src` directory of another version of the action (e.g. `git archive <commit> src`);
its process runs with that on PYTHONPATH, against the same servers. Not part of `make bench`: a version
without the limits takes minutes (the proxy stops trickling after `hostile.LONGEST` seconds). The table
goes to stdout and `benchmarks/results/hostile.md`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.github import GitHubSimulator
from testrun_sim.hostile import LONGEST, Hostile, Rule
from testrun_sim.server import Served
from testrun_sim.testsigma import DEFAULT_KEY as TESTSIGMA_KEY
from testrun_sim.testsigma import Plan, TestsigmaSimulator

from .github_job import environ

RESULT = Path(__file__).resolve().parent / "results" / "hostile.md"
TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"  # noqa: S105 - the simulator's own
KILL_AFTER = LONGEST + 60.0  # a process still going then is killed (and the row says so)
TRIGGER_ANSWER = b'{"data": {"id": 1001, "url": "https://dash.empirical.run/p/test-runs/1001"}}'
STATUS = r"^/api/test-runs$"


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
    """The servers of one case: Empirical (or Testsigma) and GitHub, each behind a hostile proxy."""

    service: Hostile
    github: Hostile
    service_app: object
    github_app: GitHubSimulator


def _servers(stack: ExitStack, testsigma: bool = False, long_run: bool = True) -> Setup:
    if testsigma:
        app: object = TestsigmaSimulator(
            {3058: Plan(created=0.1, queued=0.1, pre_flight=0.1, duration=0.3, failed=2, step_results=False)}
        )
    else:
        scenario = Scenario(queued=0.1, duration=600 if long_run else 0.5, tests=6)
        app = EmpiricalSimulator({"staging": scenario})
    served = stack.enter_context(Served(app))  # type: ignore[arg-type]
    github_app = GitHubSimulator(tokens={TOKEN: "write"})
    github = stack.enter_context(Served(github_app))
    return Setup(
        stack.enter_context(Hostile(served.url)),
        stack.enter_context(Hostile(github.url)),
        app,
        github_app,
    )


def _inputs(setup: Setup, testsigma: bool = False, **more: str) -> dict[str, str]:
    inputs = {
        "API-KEY": DEFAULT_KEY,
        "API-URL": setup.service.url,
        "ENVIRONMENT": "staging",
        "POLL-INTERVAL": "0.2",
        "GITHUB-TOKEN": TOKEN,
    }
    if testsigma:
        inputs.update(
            {"PROVIDER": "testsigma", "API-KEY": TESTSIGMA_KEY, "TEST-PLAN-ID": "3058", "ENVIRONMENT": ""}
        )
    return {**inputs, **{k.upper().replace("_", "-"): v for k, v in more.items()}}


def _run(
    src: Path | None,
    workdir: Path,
    env: dict[str, str],
    *args: str,
    ready: Callable[[], bool] | None = None,
) -> tuple[int, float, float, str]:
    """The process's exit code, seconds (from the signal when `ready` is given), peak MB and log."""
    base = {"PATH": os.environ["PATH"], **({"PYTHONPATH": str(src)} if src else {})}
    log_path = workdir / "process.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "testrun_action", *args],
            env={**base, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    killer = threading.Timer(KILL_AFTER, process.kill)
    killer.start()
    started = time.monotonic()
    try:
        if ready is not None:
            while not ready() and process.poll() is None and time.monotonic() - started < 60:
                time.sleep(0.05)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    took = time.monotonic() - started
    return (
        process.returncode,
        took,
        usage.ru_maxrss / 1024,
        log_path.read_text(encoding="utf-8", errors="replace"),
    )


def _following(proxy: Hostile) -> Callable[[], bool]:
    def seen() -> bool:
        with proxy.lock:
            return sum(1 for r in proxy.seen if r["method"] == "GET" and r["path"] == "/api/test-runs") >= 2

    return seen


def _said(log: str, *phrases: str) -> str:
    return "; ".join(p for p in phrases if p in log)


# -- the cases ------------------------------------------------------------------------------------
def status_check(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack)
        setup.service.add(Rule("GET", STATUS, "trickle", every=2.0))
        code, took, peak, log = _run(
            src, work, environ(work, _inputs(setup, timeout_minutes="0.3"), setup.github.url)
        )
    return Row(
        "status check trickled (1 byte / 2 s)",
        "18 s deadline",
        code,
        took,
        peak,
        _said(log, "did not end within"),
    )


def trigger(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack)
        setup.service.add(Rule("PUT", STATUS, "trickle", every=2.0, body=TRIGGER_ANSWER))
        code, took, peak, log = _run(
            src, work, environ(work, _inputs(setup, timeout_minutes="0.3"), setup.github.url)
        )
    return Row("trigger trickled", "18 s deadline", code, took, peak, _said(log, "no complete answer"))


def silent(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack)
        setup.service.add(Rule("*", r"^/api/", "silent"))
        code, took, peak, _ = _run(
            src, work, environ(work, _inputs(setup, timeout_minutes="0.3"), setup.github.url)
        )
    return Row("service never answers", "18 s deadline", code, took, peak)


def cancel(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack)
        # Faster than the 1.5 s the cancel gets (flow.CANCEL_SECONDS), so no socket read times out.
        setup.service.add(Rule("POST", r"/cancel$", "trickle", every=1.0))
        env = environ(work, _inputs(setup), setup.github.url)
        code, took, peak, _ = _run(src, work, env, ready=_following(setup.service))
    return Row(
        "remote cancel after SIGTERM trickled (1 byte / s)",
        "1.5 s; exit ≤ 5 s after the signal",
        code,
        took,
        peak,
    )


def patch(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack, long_run=False)
        setup.github.add(Rule("PATCH", r"/check-runs/", "trickle", every=2.0))
        code, took, peak, log = _run(src, work, environ(work, _inputs(setup), setup.github.url))
    return Row(
        "check-run PATCH trickled",
        "60 s (+ the run, ~2 s)",
        code,
        took,
        peak,
        _said(log, "no complete answer"),
    )


def post_step(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack)
        setup.service.add(Rule("GET", r"^/api/test-runs", "trickle", every=2.0))
        env = {**environ(work, _inputs(setup), setup.github.url), "STATE_run_id": "1001"}
        code, took, peak, _ = _run(src, work, env, "post")
    return Row("post step, status check trickled", "60 s", code, took, peak)


def surrogates(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack, long_run=False)
        assert isinstance(setup.service_app, EmpiricalSimulator)
        setup.service_app.scenarios["staging"] = Scenario(
            queued=0.1,
            duration=0.5,
            tests=6,
            failed=1,
            failures=[{"name": "checkout HALF", "file_path": "t.ts"}],
        )
        setup.service.add(Rule("*", r"^/api/", "rewrite", replace=[(b"HALF", b"\\udc00")]))
        code, took, peak, _ = _run(src, work, environ(work, _inputs(setup), setup.github.url))
        [check_run] = setup.github_app.admin_check_runs() or [{"status": "none"}]
    summary = "summary written" if (work / "summary").read_text(encoding="utf-8").strip() else "summary lost"
    return Row(
        "lone surrogate in a failure name",
        "-",
        code,
        took,
        peak,
        f"{summary}; check run {check_run['status']}",
    )


def bomb(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack, long_run=False)
        setup.service.add(Rule("GET", STATUS, "bomb", times=2, size=1 << 30))
        code, took, peak, log = _run(src, work, environ(work, _inputs(setup), setup.github.url))
    return Row(
        "gzip bomb, 1 MB → 1 GiB (2 status checks)", "10 MB", code, took, peak, _said(log, "larger than")
    )


def huge_json(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack, long_run=False)
        setup.service.add(Rule("GET", STATUS, "huge", times=2, size=200_000_000))
        code, took, peak, log = _run(src, work, environ(work, _inputs(setup), setup.github.url))
    return Row(
        "200 MB JSON, no length (2 status checks)", "10 MB", code, took, peak, _said(log, "larger than")
    )


def junit(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack, testsigma=True)
        setup.service.add(Rule("GET", r"^/api/v1/reports/junit/", "huge", size=300_000_000, xml=True))
        env = environ(work, _inputs(setup, testsigma=True), setup.github.url)
        code, took, peak, log = _run(src, work, env)
    return Row("300 MB Testsigma JUnit", "20 MB", code, took, peak, _said(log, "larger than"))


def github_bomb(src: Path | None, work: Path) -> Row:
    with ExitStack() as stack:
        setup = _servers(stack, long_run=False)
        setup.github.add(Rule("POST", r"/check-runs$", "bomb", size=1 << 30))
        code, took, peak, log = _run(src, work, environ(work, _inputs(setup), setup.github.url))
    return Row(
        "GitHub-side gzip bomb (check-run create)", "16 MB", code, took, peak, _said(log, "larger than")
    )


TIMED = (status_check, trigger, silent, cancel, patch, post_step, surrogates)  # idle: run side by side
HEAVY = (bomb, huge_json, junit, github_bomb)  # memory and CPU: one at a time
WORKERS = 4  # timed cases at once: more would measure the machine's load, not the budgets


def measure(versions: dict[str, Path | None]) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {label: [] for label in versions}
    with tempfile.TemporaryDirectory() as tmp:

        def one(label: str, case: Callable[[Path | None, Path], Row]) -> Row:
            print(f"{label}: {case.__name__}…", file=sys.stderr, flush=True)
            return case(versions[label], Path(tmp) / label / case.__name__)

        jobs = [(label, case) for case in TIMED for label in versions]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for (label, _), row in zip(jobs, pool.map(lambda job: one(*job), jobs), strict=True):
                rows[label].append(row)
        for case in HEAVY:
            for label in versions:
                rows[label].append(one(label, case))
    return rows


def table(rows: dict[str, list[Row]]) -> str:
    labels = list(rows)
    head = (
        "| case | budget | " + " | ".join(f"{label}: exit, time, peak RSS" for label in labels) + " | notes |"
    )
    lines = [head, "|" + "---|" * (len(labels) + 3)]
    for index, first in enumerate(rows[labels[0]]):
        cells = []
        notes = []
        for label in labels:
            row = rows[label][index]
            cells.append(f"{row.code}, {row.seconds:.1f} s, {row.peak_mb:,.0f} MB")
            if row.note:
                notes.append(f"{label}: {row.note}")
        lines.append(f"| {first.case} | {first.budget} | " + " | ".join(cells) + f" | {'<br>'.join(notes)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="the src directory of another version, measured too")
    args = parser.parse_args()
    versions: dict[str, Path | None] = {}
    if args.before:
        if not (args.before / "testrun_action" / "__init__.py").is_file():
            parser.error(f"{args.before} holds no testrun_action package")
        versions["before"] = args.before.resolve()
    versions["after"] = Path(__file__).resolve().parent.parent / "src"
    text = table(measure(versions))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(f"<!-- Written by `python -m benchmarks.hostile`. -->\n{text}\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
