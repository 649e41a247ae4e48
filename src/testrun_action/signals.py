"""SIGINT and SIGTERM while the action runs: the first becomes `Interrupted`, so that the flow cancels the
remote run and still reports; later ones are absorbed (github-platform.md 3.1). A log whose reader went
away (`testrun run | head -2`) is the same, as SIGPIPE: Python ignores the signal and raises
`BrokenPipeError` on the write instead, which `gha` hands to `reader_gone`."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from .errors import Interrupted


class SignalGuard:
    """Turns the first SIGINT/SIGTERM into `Interrupted`; later ones are absorbed, so the cleanup that
    the first one started (cancel the run, write the reports) is not cut short."""

    def __init__(self) -> None:
        self.armed = True

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise Interrupted(signum)

    def reader_gone(self) -> None:
        """The log's reader went away: SIGPIPE, in the main thread, where signals arrive too."""
        if threading.current_thread() is threading.main_thread():
            self(signal.SIGPIPE, None)


@contextlib.contextmanager
def handled(enabled: bool) -> Iterator[SignalGuard | None]:
    if not enabled:
        yield None
        return
    guard = SignalGuard()
    previous = {sig: signal.signal(sig, guard) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield guard
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
