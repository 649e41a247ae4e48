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
