"""Hostile servers of our own on 127.0.0.1, in front of the simulators: the service side (`service`, in
front of Empirical) and the GitHub side (`gh`). `step(...)` runs the real `python -m testrun_action`
process and returns its exit code, wall time, log and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testrun_sim.hostile import Hostile

from ..conftest import Job, Simulated

KILL_AFTER = 90.0  # a step still going after this is killed: the test fails, it never hangs


@pytest.fixture
def service(empirical: Simulated) -> Iterator[Hostile]:
    with Hostile(empirical.url) as proxy:
        yield proxy


@pytest.fixture
def gh(github: Simulated) -> Iterator[Hostile]:
    with Hostile(github.url) as proxy:
        yield proxy


@pytest.fixture
def elsewhere() -> Iterator[Hostile]:
    """Another host, where a redirect points: it records whatever reaches it."""
    with Hostile() as proxy:
        yield proxy


@pytest.fixture
def hjob(tmp_path: Path, service: Hostile, gh: Hostile) -> Job:
    """A job whose action talks to Empirical and GitHub through the hostile proxies."""
    return Job(tmp_path, service.url, gh.url)


@dataclass
class Finished:
    code: int
    took: float  # seconds from start (or from the signal, when one was sent) to exit
    log: str
    peak_mb: float  # the process's peak resident memory


def step(
    environ: dict[str, str],
    *,
    ready: Callable[[], bool] | None = None,
    send: int | None = None,
) -> Finished:
    """Run the action's process. With `send`, wait until `ready()`, then send that signal; `took` counts
    from the signal."""
    log_path = Path(environ["GITHUB_OUTPUT"]).with_name("process.log")
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "testrun_action"],
            env={"PATH": os.environ["PATH"], **environ},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    killer = threading.Timer(KILL_AFTER, lambda: process.kill())
    killer.start()
    started = time.monotonic()
    try:
        if send is not None and ready is not None:
            while not ready():
                assert process.poll() is None, log_path.read_text(encoding="utf-8")
                assert time.monotonic() - started < 30, "the step never got ready"
                time.sleep(0.05)
            started = time.monotonic()
            process.send_signal(send)
        _, status, usage = os.wait4(process.pid, 0)
        took = time.monotonic() - started
    finally:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Finished(process.returncode, took, log_path.read_text(encoding="utf-8"), usage.ru_maxrss / 1024)


def waiting(proxy: Hostile, method: str, path: str, count: int = 2) -> Callable[[], bool]:
    """True once the proxy has seen `count` requests like this one: the step is following the run."""

    def seen() -> bool:
        with proxy.lock:
            return sum(1 for r in proxy.seen if r["method"] == method and r["path"] == path) >= count

    return seen
