"""New or known: each failure judged against recent runs of the compared branch, and this run against
the environment's recent runs. Pure: values in, values out.

A test is
- `known` ("also failing on main") when it failed in the latest compared run: it is already broken
  there, whatever this change does;
- `flaky` ("flaky lately") when it failed or was flaky in some compared runs but not the latest;
- `new` when it failed in none of them (or never ran in them).

`fail-on: new-failures` fails only on `new` ones, and only when that can be known: with no history, an
incomplete failure list, or failures the service counted but did not list, the step does not pass.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable

from .model import (
    FailedExecution,
    Failures,
    History,
    Novelty,
    NoveltyKind,
    Outcome,
    Outcomes,
    TestRun,
)

BAD = frozenset({"failed", "flaky"})


def classify(outcomes: Outcomes) -> Novelty:
    """A test's novelty from its outcomes in the compared runs, newest first."""
    ran = [outcome for outcome in outcomes if outcome is not None]
    failing = sum(1 for outcome in ran if outcome in BAD)
    if not failing:
        return Novelty(NoveltyKind.NEW, 0, len(ran))
    kind = NoveltyKind.KNOWN if ran[0] == "failed" else NoveltyKind.FLAKY
    return Novelty(kind, failing, len(ran))


def compare(failures: Failures, history: History) -> Failures:
    """The failures with their novelty set; unchanged when there is nothing to compare with."""
    if not history.comparable:
        return failures
    judged = tuple(
        dataclasses.replace(f, novelty=classify(history.outcomes.get(f.test_key, ())))
        for f in failures.executions
    )
    return dataclasses.replace(failures, executions=judged)


def describe(novelty: Novelty, against: str) -> str:
    """The novelty in plain words, for the log: `also failing on main`."""
    if novelty.kind is NoveltyKind.NEW:
        return "new failure"
    if novelty.kind is NoveltyKind.KNOWN:
        return f"also failing {against}"
    return f"flaky lately ({novelty.percent}% of recent runs)"


def new_ones(executions: Iterable[FailedExecution]) -> list[FailedExecution]:
    """Failed (not flaky) executions that are new, or whose novelty is unknown."""
    return [f for f in executions if not f.flaky and (f.novelty is None or f.novelty.kind is NoveltyKind.NEW)]


def judge_new_failures(
    outcome: Outcome, run: TestRun | None, failures: Failures, history: History | None
) -> tuple[bool, str | None]:
    """Whether a run passes `fail-on: new-failures`, and why not when that needs saying.

    Only a run that finished with failed tests can pass despite them; everything else is judged as
    `fail-on: failures` would judge it. Doubt is never a pass.
    """
    if outcome in (Outcome.PASSED, Outcome.TRIGGERED):
        return True, None
    if outcome is not Outcome.FAILED or run is None:
        return False, None
    if history is None or not history.comparable:
        why = (
            history.unavailable if history and history.unavailable else "there was no history to compare with"
        )
        return (
            False,
            f"fail-on new-failures: the step fails because it cannot tell which failures are new ({why}).",
        )
    listed = [f for f in failures.executions if not f.flaky]
    if not failures.complete or len(listed) < run.counts.failed:
        return False, (
            "fail-on new-failures: the step fails because not every failed test could be listed, so some "
            "could be new."
        )
    fresh = new_ones(listed)
    if fresh:
        return False, (
            f"fail-on new-failures: {len(fresh)} failed test{'s' if len(fresh) != 1 else ''} did not fail "
            f"{history.against} lately."
        )
    return (
        True,
        f"fail-on new-failures: every failed test also failed {history.against} lately, so the step passes.",
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Trend:
    """This run against the median of the environment's last ended runs."""

    runs: int
    duration: float | None  # this run's
    median_duration: float | None
    failed: int | None  # this run's
    median_failed: float | None


def trend(run: TestRun | None, history: History | None) -> Trend | None:
    if run is None or history is None or not history.recent:
        return None
    durations = [r.duration_seconds for r in history.recent if r.duration_seconds is not None]
    failed = [r.failed for r in history.recent if r.failed is not None]
    return Trend(
        runs=len(history.recent),
        duration=run.duration_seconds,
        median_duration=statistics.median(durations) if durations else None,
        failed=run.counts.failed if run.counts.total or run.counts.failed else None,
        median_failed=statistics.median(failed) if failed else None,
    )
