"""What every test service offers the flow: trigger or attach, poll, cancel, and fetch failures.

A provider maps its service's JSON into the neutral model at its edge and never writes to GitHub. Each
is a package under `providers/` (or an installed plug-in) declaring a `ProviderSpec` (`registry`);
`create_provider` builds the one the settings chose.

Time belongs to the wait loop (`waiting`), never to a provider: a poll is one status read and returns
what it saw; no provider method sleeps. Where an ended run can still change (`Reopens`) or its counts
are read only once it has ended (`ReadsWhenEnded`), the provider says so, and the wait loop schedules
the second look and the final reads under the deadline, saying in the log what each took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..clock import Clock, Deadline
from ..model import Failures, History, TestRun

if TYPE_CHECKING:  # kept out of the import path of the specs, which the settings read
    import httpx

    from ..context import GitHubContext
    from ..http import RetryPolicy
    from ..quota import Headroom
    from ..settings import Settings


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A request as it would be sent, for `dry-run`; headers carry no secret."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any

    @classmethod
    def json(cls, method: str, url: str, headers: dict[str, str], body: Any) -> PlannedRequest:
        """A JSON request with its credentials masked: the one place dry-run hides the key."""
        shown = {**headers, "Authorization": "Bearer ***", "Content-Type": "application/json"}
        return cls(method=method, url=url, headers=shown, body=body)


class Provider(Protocol):
    name: str  # shown to users: "Empirical"

    def planned_trigger(self) -> PlannedRequest: ...

    def trigger(self, deadline: Deadline) -> TestRun: ...

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        """One status read of the run: its state and counts as that read saw them (`confirmed`). It
        never sleeps, and reads nothing that only an ended run adds (`ReadsWhenEnded`)."""

    @property
    def marker(self) -> str | None:
        """The unique value the next trigger carries for its run to be found by, where it can carry one."""

    def remember_trigger(self, at: datetime, marker: str | None) -> None:
        """Take the trigger as sent at `at` (UTC) with `marker`: before sending it, or in the post step
        from the main step's saved state, so that `own_run` can look for its run."""

    def own_run(self, deadline: Deadline) -> TestRun | None:
        """The run the last trigger created, looked up by the adoption rule (`adoption`): None when no
        run proves it; `TriggerUncertain` when several could be it. For a trigger whose answer was
        unreadable or cut short by a signal, so that the run it may have created is not left running."""

    def cancel(self, run: TestRun, reason: str, deadline: Deadline) -> bool:
        """Ask the service to stop the run; False when it had already ended."""

    def failures(self, run: TestRun, deadline: Deadline) -> Failures:
        """The run's failed executions, read now. The flow asks only when the final reads did not
        already give them (`Ended.failures`)."""

    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Deadline) -> History:
        """The environment's last ended runs (the trend) and, given a `branch`, the failures' outcomes
        in that branch's last ended runs. Best effort: the flow turns an error into one line saying the
        history is unavailable, and the report stands without it."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Ended:
    """An ended run after its final reads: the run with the counts they decided, and the failed
    executions when reading them was part of deciding the counts (None: `failures` reads them)."""

    run: TestRun
    failures: Failures | None = None


@runtime_checkable
class Reopens(Protocol):
    """Optional: a provider whose ended runs can reopen (Buildkite: results uploaded late, providers.md 3.3)."""

    def settle_seconds(self, run: TestRun) -> float:
        """How long after a status read saw `run` ended to look again; the end stands only if that look
        sees the same state. 0: one look is enough."""


@runtime_checkable
class ReadsWhenEnded(Protocol):
    """Optional: a provider whose counts are read only once the run has ended (Buildkite: the build's
    tests and the failed executions, up to 300 requests)."""

    def final_reads(self, run: TestRun, deadline: Deadline) -> Ended:
        """`run`, as the last status read saw it ended, with the counts read now. `ServiceUnavailable`
        when the service could not answer: the wait looks at the run again, then reads again."""


@runtime_checkable
class KnowsRecentRuns(Protocol):
    """Optional: a provider that can say how long recent runs of the same target took."""

    def recent_durations(self, deadline: Deadline) -> list[float]:
        """Seconds each recent run ran, newest first; [] when none is known. One request at most;
        a `TestrunError` says why it failed, and the caller carries on without."""


@runtime_checkable
class AnnouncesQuota(Protocol):
    """Optional: a provider whose service announces a rate limit (Buildkite, providers.md 3.4)."""

    def headroom(self) -> Headroom | None:
        """What is left of the quota, as the last answer said; None when unknown."""


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a provider needs besides the settings: time, a log, and (in tests) a transport. `warn`:
    a line the log shows as a warning (the log itself when not given)."""

    clock: Clock
    log: Callable[[str], None]
    transport: httpx.BaseTransport | None = None
    policy: RetryPolicy | None = None
    warn: Callable[[str], None] | None = None


def create_provider(settings: Settings, context: GitHubContext, wiring: Wiring) -> Provider:
    # Only the chosen provider's client is imported: the trigger is sent sooner (start-up time).
    from .registry import spec_named

    return spec_named(settings.provider).factory(settings, context, wiring)
