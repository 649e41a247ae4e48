"""Time, behind a seam: the real clock for users, a virtual one for benchmarks and fast tests.

`run_within` is the wall-clock limit on network calls: socket timeouts bound each read, not the
request, so a server trickling a byte at a time could hold a call as long as it likes. The call runs
on a worker thread that is abandoned when its time is up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
# How often a waiting main thread wakes up: a signal handler runs at the latest this long after the
# signal, whichever thread the signal was delivered to.
WAKE_SECONDS = 0.2


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class Deadline:
    """The moment the whole wait must end; every sleep and retry is clipped to it."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.started = clock.now()
        self.at = self.started + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock.now())

    def elapsed(self) -> float:
        return self.clock.now() - self.started

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0.0


class VirtualClock:
    """Time that passes only when someone sleeps: hours of waiting run in milliseconds.

    Shared by the flow and a simulator, it makes "the service is down for two minutes" or "a two-hour
    run" exact and fast. Sleeping is thread-safe; the simulator only reads the time.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept = 0.0

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += seconds
                self.slept += seconds


class Overdue(Exception):
    """A call did not finish within its wall-clock time; its worker was abandoned."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:.1f}s")
        self.seconds = seconds


def run_within(
    seconds: float,
    call: Callable[[], T],
    name: str = "call",
    slow: tuple[float, Callable[[], None]] | None = None,
) -> T:
    """`call()` on a daemon thread: its result or exception, or `Overdue` after `seconds` of real time.
    `slow`: (after, say): `say()` once when the call is still going `after` seconds in, so that a long
    wait is never a silent one.

    An abandoned call runs on until its own socket timeouts end it; being a daemon, it never holds up
    the process's exit. A signal still interrupts the wait in the main thread."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the waiting thread, whatever it is
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name=name, daemon=True).start()
    started = time.monotonic()
    until = started + seconds
    while not done.wait(min(WAKE_SECONDS, max(0.0, until - time.monotonic()))):
        if time.monotonic() >= until:
            raise Overdue(seconds)
        if slow is not None and time.monotonic() - started >= slow[0]:
            slow[1]()
            slow = None
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
