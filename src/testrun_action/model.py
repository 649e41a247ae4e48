"""The provider-neutral model: what every provider returns, and what every report reads.

Each provider maps its own JSON into these types at its edge and nowhere else. The word "failed
execution" comes from Buildkite Test Engine: one failed (or flaky) run of one test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    """Where a run is, in words every provider's states map onto."""

    WAITING = "waiting"  # created, queued or pending behind other runs
    RUNNING = "running"
    CANCELLING = "cancelling"
    FINISHED = "finished"  # ran to the end; the counts say how it went
    ERRORED = "errored"  # the service could not complete the run (infrastructure error)
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (Phase.FINISHED, Phase.ERRORED, Phase.CANCELLED)


class Outcome(StrEnum):
    """The action's verdict; the `result` output."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    TRIGGERED = "triggered"  # wait: false; nothing is known about the tests yet


class FailOn(StrEnum):
    FAILURES = "failures"
    FLAKY = "flaky"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    passed: int = 0
    failed: int = 0  # failures that count: after snoozing, where the service snoozes
    flaky: int = 0
    skipped: int = 0
    snoozed: int = 0  # failures covered by a snooze: reported, never failing the step

    @property
    def done(self) -> int:
        return self.passed + self.failed + self.flaky + self.skipped + self.snoozed


@dataclass(frozen=True, slots=True)
class TestRun:
    """A remote run as last seen. `state` is the provider's own word, shown to users as is."""

    __test__ = False  # not a pytest test class

    id: str
    url: str
    state: str
    phase: Phase
    counts: Counts = field(default_factory=Counts)
    duration_seconds: float | None = None
    error_code: str | None = None
    created_at: str | None = None

    @property
    def terminal(self) -> bool:
        return self.phase.terminal


@dataclass(frozen=True, slots=True)
class FailedExecution:
    """One failed or flaky test execution. Every text field is untrusted service data."""

    name: str
    flaky: bool = False
    file: str | None = None
    line: int | None = None
    message: str = ""
    details: str = ""
    url: str | None = None
    group: str | None = None  # suite, describe block or machine: whatever groups tests in the service


@dataclass(frozen=True, slots=True)
class Failures:
    """The failed executions of a run, and whether that list is the whole story."""

    executions: tuple[FailedExecution, ...] = ()
    complete: bool = True
    note: str | None = None  # why details are missing, when they are


@dataclass(frozen=True, slots=True)
class Source:
    """The code under test, as the GitHub context describes it."""

    commit: str | None = None
    commit_url: str | None = None
    branch: str | None = None
    repository: str | None = None
    server_url: str = "https://github.com"
    pull_request: int | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the reports render: built once at the end of the flow, read by every publisher."""

    provider: str
    environment: str
    outcome: Outcome
    passed: bool  # the outcome passes `fail-on`
    fail_on: FailOn
    source: Source
    run: TestRun | None = None
    failures: Failures = field(default_factory=Failures)
    problem: str | None = None  # why the outcome is an error or unknown
    interrupted: bool = False
