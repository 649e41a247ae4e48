"""Reads sent a few at a time (`paging.concurrently`: Buildkite's pages, Testsigma's per-test lookups):
results in the order of the items, and on a cancelled job the reads not started yet are never sent."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from testrun_action.errors import Interrupted
from testrun_action.paging import concurrently
from testrun_action.signals import SignalGuard


def test_results_come_in_the_order_of_the_items_whichever_read_ends_first() -> None:
    def read(item: int) -> int:
        time.sleep(0.01 * (5 - item))  # the last item's read ends first
        return item * 10

    assert concurrently(read, range(5), workers=5) == [0, 10, 20, 30, 40]


@pytest.fixture
def cancel_signal() -> Iterator[None]:
    """SIGUSR1 stands for the runner's SIGINT: the first one becomes `Interrupted` in the main thread."""
    previous = signal.signal(signal.SIGUSR1, SignalGuard())
    yield
    signal.signal(signal.SIGUSR1, previous)


@pytest.mark.usefixtures("cancel_signal")
def test_a_cancelled_job_sends_none_of_the_reads_not_yet_started() -> None:
    started: list[int] = []
    release = threading.Event()

    def read(item: int) -> int:
        started.append(item)
        if item == 0:  # the job is cancelled while the first reads are out and the rest are queued
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGUSR1)
        release.wait(5)
        return item

    with pytest.raises(Interrupted):
        concurrently(read, range(10), workers=2)
    release.set()
    time.sleep(0.2)  # time for a worker to take another item, were any left queued

    assert sorted(started) in ([0], [0, 1])
