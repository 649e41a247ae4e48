"""Numbers and words in the log and the summary: rounded, not truncated; singular where one; no
half tests; nothing said about zero new failures as "(0 new)"."""

from __future__ import annotations

import pytest

from testrun_action.model import Counts, FailedExecution, History, Novelty, NoveltyKind, PastRun
from testrun_action.report import glance
from testrun_action.waiting import _minutes

from .test_summary import report


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (3599.99, "60m"),
        (3600, "60m"),
        (0.25 * 60 - 0.01, "15s"),
        (14.99, "15s"),
        (290, "4m50s"),
        (59.6, "1m"),
    ],
)
def test_wait_times_are_rounded_to_the_second_and_whole_minutes_have_no_seconds(
    seconds: float, said: str
) -> None:
    assert _minutes(seconds) == said


@pytest.mark.parametrize(("median", "said"), [(1.0, "1"), (0.5, "0–1"), (2.5, "2–3"), (1.25, "1.2")])
def test_a_median_of_counts_is_never_half_a_test(median: float, said: str) -> None:
    assert glance.count_median(median) == said


def test_one_earlier_run_is_the_last_ended_run() -> None:
    history = History(recent=(PastRun("900", duration_seconds=600, failed=1),))

    line = glance.trend_line(report(history=history))

    assert line is not None
    assert line.startswith("📈 Against the last ended run of `staging`: ")
    assert "last 1 " not in line


def test_two_earlier_runs_split_the_median_failures_as_a_range() -> None:
    history = History(recent=(PastRun("900", failed=0), PastRun("901", failed=1)))

    line = glance.trend_line(report(history=history))

    assert line is not None
    assert line.endswith("**3 failed** (median 0–1)")


def test_no_new_failure_is_said_as_none_new() -> None:
    known = FailedExecution(name="a", novelty=Novelty(NoveltyKind.KNOWN, 1, 1))

    key = glance.legend(Counts(total=5, passed=4, failed=1), (known,))

    assert "(0 new)" not in key
    assert key.startswith("🟥 **1 failed** (none new) · ")
