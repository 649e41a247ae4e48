"""The provider-neutral model: what every provider returns, and what every report reads.

Each provider maps its own JSON into these types at its edge and nowhere else. The word "failed
execution" comes from Buildkite Test Engine: one failed (or flaky) run of one test.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    NEW_FAILURES = "new-failures"  # only failures not seen on the compared branch
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    passed: int = 0
    failed: int = 0  # failures that count: after snoozing, where the service snoozes
    flaky: int = 0
    skipped: int = 0
    snoozed: int = 0  # failures covered by a snooze: reported, never failing the step
    # The counts the service did not give ("total", "passed", ...): shown as 0, never taken as 0 by the
    # verdict, which needs the failed count and either the total or the passed count.
    missing: frozenset[str] = frozenset()

    @property
    def done(self) -> int:
        return self.passed + self.failed + self.flaky + self.skipped + self.snoozed

    @property
    def executed(self) -> int:
        """Tests that ran: everything counted but the skipped ones."""
        return self.passed + self.failed + self.flaky + self.snoozed


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
    error_meaning: str | None = None  # what the code means, in the provider's words (its `error_codes`)
    created_at: str | None = None
    # Where the state was seen: True once a status read of the run said it, False when only the
    # trigger's answer did. A pass needs a terminal state seen on a status read.
    confirmed: bool = False
    # The build whose tests this run reports, where that is another page (Buildkite: the build's logs).
    build_url: str | None = None
    # The environment the service ran it against, where its runs have one (Empirical's `environment_slug`).
    environment: str | None = None

    @property
    def terminal(self) -> bool:
        return self.phase.terminal


class NoveltyKind(StrEnum):
    """Whether a failure is news, judged against recent runs of the compared branch."""

    NEW = "new"  # it failed in none of them
    KNOWN = "known"  # it failed in the latest one: already broken there
    FLAKY = "flaky"  # it failed (or was flaky) in some, not the latest


@dataclass(frozen=True, slots=True)
class Novelty:
    kind: NoveltyKind
    failing_runs: int = 0  # compared runs in which the test failed or was flaky
    runs: int = 0  # compared runs that ran it

    @property
    def percent(self) -> int:
        return round(100 * self.failing_runs / self.runs) if self.runs else 0


@dataclass(frozen=True, slots=True)
class Artifact:
    """A link to something a run or a test left behind (a report, a video), labelled in plain words. A
    label says when the target may not exist, e.g. "Video (if recorded)": a URL built from fields read,
    never one presented as certain when the service only observably keeps it there."""

    label: str
    url: str


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
    key: str | None = None  # the service's id of the test, stable across runs (matches history)
    novelty: Novelty | None = None  # set by the comparison with recent runs, when there was one
    duration_seconds: float | None = None  # how long this execution took, where the service says
    # How often the test ran in this run, retries included, and how many of those runs failed, where the
    # service says (Buildkite Test Engine's executions per test); None when it does not.
    attempts: int | None = None
    failed_attempts: int | None = None
    artifacts: tuple[Artifact, ...] = ()  # e.g. its video, where the service keeps one

    @property
    def test_key(self) -> str:
        """What identifies the test across runs: the service's id, else its place and name."""
        return self.key or f"{self.file or self.group or ''}::{self.name}"


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test of the run as the service lists it, whatever its outcome. Untrusted service data."""

    __test__ = False  # not a pytest test class

    name: str
    status: str  # "passed", "failed", "flaky", "skipped" or "snoozed"
    file: str | None = None
    group: str | None = None
    key: str | None = None  # as `FailedExecution.key`: matches a failed execution of the same test
    duration_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Failures:
    """The failed executions of a run, and whether that list is the whole story."""

    executions: tuple[FailedExecution, ...] = ()
    complete: bool = True
    note: str | None = None  # why details are missing, when they are
    # Every test of the run, where the service lists them (passed and skipped too): the JUnit file's.
    tests: tuple[TestResult, ...] = ()
    artifacts: tuple[Artifact, ...] = ()  # the run's own, e.g. its Playwright HTML report


@dataclass(frozen=True, slots=True)
class PastRun:
    """An earlier ended run of the same environment, as a list of runs shows it."""

    id: str
    duration_seconds: float | None = None
    failed: int | None = None  # failed tests (after snoozing, where the service snoozes)
    branch: str | None = None


# A test's outcome in one compared run: "failed", "flaky", "passed", or None when it did not run there.
Outcomes = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class History:
    """What recent runs say, fetched best-effort after the run ended. Data only; `comparison` judges.

    `recent` is the trend (the environment's last ended runs, any branch). `compared` are the compared
    branch's last ended runs, and `outcomes` the current failures' outcomes in each of them (aligned
    with `compared`, newest first), keyed by `FailedExecution.test_key`.
    """

    recent: tuple[PastRun, ...] = ()
    branch: str | None = None  # the compared branch; None when nothing was compared
    compared: tuple[PastRun, ...] = ()
    outcomes: Mapping[str, Outcomes] = field(default_factory=dict)
    unavailable: str | None = None  # why the comparison could not be made: the one line shown
    trend_unavailable: str | None = None  # why the trend could not be read
    # How the compared runs are named when not by their branch, in plain words, e.g. "in earlier runs of
    # the test plan" for a service whose runs carry no branch.
    baseline: str = ""

    @property
    def comparable(self) -> bool:
        return self.branch is not None and self.unavailable is None

    @property
    def against(self) -> str:
        """The compared runs in plain words: `on main`."""
        return self.baseline or f"on {self.branch}"


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
class NotRun:
    """Why nothing could be started (the inputs could not be read): what the step outputs and the job
    summary report when there is no `Report`."""

    title: str
    message: str
    configuration: bool = False  # an input is wrong (exit 2), not a defect of ours


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
    configuration: bool = False  # the problem is an input's (exit 2): a configuration error
    interrupted: bool = False
    history: History | None = None  # recent runs: the trend and the comparison; None when not read
    verdict_note: str | None = None  # why `fail-on` decided as it did, when that is not obvious
    reason: str = ""  # the verdict in one line: why the step passed, failed or does not know
    conclusion: str = "neutral"  # the check run's conclusion, decided with the verdict
    # On a timeout: the limit (`timeout-minutes`, in seconds) and how long the step followed the run.
    timeout_seconds: float | None = None
    elapsed_seconds: float | None = None
