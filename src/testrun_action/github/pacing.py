"""One pacing clock for every GitHub write in the process.

GitHub asks for at least a second between writes ("Best practices for using the REST API": "wait at
least one second between each request" that is a POST, PATCH, PUT or DELETE). A step writes from more
than one client (the check run's, the comment's), and PyGithub keeps a timer per client, so the comment
went out 52-89 ms after the check run's last update. The clock lives here, once per process.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from ..clock import Deadline, Overdue


class WritePacing:
    """A write starts at least `interval` after the previous one ended, whichever client sent it. Writes
    are serialised, so two clients can't both find the clock free.

    The pause never takes the write's own time: when the budget cannot hold both (after a cancel signal
    each report gets a second before the runner's kill), the pause is cut to leave the write `floor`
    seconds. A check run left in progress would cost more than one early write, which GitHub's advice
    (aimed at "a large number of" writes) tolerates; every ordinary budget holds the full pause."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: float | None = None  # time.monotonic() when the last write ended

    @contextlib.contextmanager
    def write(self, deadline: Deadline, interval: float, floor: float) -> Iterator[None]:
        waiting = deadline.remaining()
        if not self._lock.acquire(timeout=waiting):  # another write holds the clock past our budget
            raise Overdue(waiting)
        try:
            if self._last is not None:
                wait = min(self._last + interval - time.monotonic(), deadline.remaining() - floor)
                if wait > 0:
                    time.sleep(wait)
            try:
                yield
            finally:
                self._last = time.monotonic()
        finally:
            self._lock.release()


PACING = WritePacing()
