"""Time, behind a seam: the real clock for users, a virtual one for benchmarks and fast tests."""

from __future__ import annotations

import time
from typing import Protocol


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
