"""What every test service offers the flow: trigger or attach, poll, cancel, and fetch failures.

A provider maps its service's JSON into the neutral model at its edge and never writes to GitHub.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ..clock import Clock, Deadline
from ..context import GitHubContext
from ..http import RetryPolicy
from ..model import Failures, History, TestRun
from ..settings import Settings


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A request as it would be sent, for `dry-run`; headers carry no secret."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any


class Provider(Protocol):
    name: str  # shown to users: "Empirical"

    def planned_trigger(self) -> PlannedRequest: ...

    def trigger(self, deadline: Deadline) -> TestRun: ...

    def poll(self, run_id: str, deadline: Deadline) -> TestRun: ...

    def cancel(self, run: TestRun, reason: str, deadline: Deadline) -> bool:
        """Ask the service to stop the run; False when it had already ended."""

    def failures(self, run: TestRun, deadline: Deadline) -> Failures: ...

    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Deadline) -> History:
        """The environment's last ended runs (the trend) and, given a `branch`, the failures' outcomes
        in that branch's last ended runs. Best effort: the flow turns an error into one line saying the
        history is unavailable, and the report stands without it."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a provider needs besides the settings: time, a log, and (in tests) a transport."""

    clock: Clock
    log: Callable[[str], None]
    transport: httpx.BaseTransport | None = None
    policy: RetryPolicy | None = None


def create_provider(settings: Settings, context: GitHubContext, wiring: Wiring) -> Provider:
    from .buildkite import BuildkiteProvider
    from .empirical import EmpiricalProvider
    from .testsigma import TestsigmaProvider

    providers: dict[str, Callable[[Settings, GitHubContext, Wiring], Provider]] = {
        "empirical": EmpiricalProvider,
        "testsigma": TestsigmaProvider,
        "buildkite": BuildkiteProvider,
    }
    return providers[settings.provider](settings, context, wiring)
