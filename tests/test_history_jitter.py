"""History reads start with jitter where the service announces a quota, so a matrix's jobs whose runs
end together do not all read at once; without a quota, or with `compare-with: none`, nothing waits."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from testrun_action import findings
from testrun_action.model import Failures, History, Phase, TestRun
from testrun_action.quota import Headroom

RUN = TestRun(id="1", url="https://example.test/1", state="failed", phase=Phase.FINISHED)
SETTINGS: Any = SimpleNamespace(compare=True, compare_with="main")
CONTEXT: Any = SimpleNamespace(default_branch="main")
GHA: Any = SimpleNamespace(debug=False, log=lambda line: None)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class Reader:
    def __init__(self, headroom: Headroom | None) -> None:
        self._headroom = headroom
        self.read = 0

    def history(self, run: TestRun, failures: Failures, branch: str | None, deadline: Any) -> History:
        self.read += 1
        return History(branch=branch)


class QuotaReader(Reader):
    def headroom(self) -> Headroom | None:
        return self._headroom


def test_history_reads_start_after_a_random_pause_within_the_jitter_where_a_quota_is_announced() -> None:
    waits = []
    for _ in range(40):
        clock, reader = Clock(), QuotaReader(Headroom(remaining=30, reset_in=60.0))
        findings.history(reader, RUN, Failures(), SETTINGS, CONTEXT, clock, GHA)  # type: ignore[arg-type]
        assert reader.read == 1
        waits.extend(clock.slept)

    assert len(waits) == 40
    assert all(0.0 <= w <= findings.HISTORY_JITTER for w in waits)
    assert max(waits) - min(waits) > findings.HISTORY_JITTER / 4  # spread, not one fixed pause


def test_a_quota_whose_window_has_reset_still_gets_the_jitter() -> None:
    clock, reader = Clock(), QuotaReader(None)
    findings.history(reader, RUN, Failures(), SETTINGS, CONTEXT, clock, GHA)  # type: ignore[arg-type]
    assert len(clock.slept) == 1
    assert 0.0 <= clock.slept[0] <= findings.HISTORY_JITTER


def test_the_jitter_is_at_most_half_the_time_to_the_quotas_reset() -> None:
    for _ in range(20):
        clock, reader = Clock(), QuotaReader(Headroom(remaining=3, reset_in=1.0))
        findings.history(reader, RUN, Failures(), SETTINGS, CONTEXT, clock, GHA)  # type: ignore[arg-type]
        assert all(w <= 0.5 for w in clock.slept)


def test_no_pause_for_a_service_without_a_quota_and_no_read_at_all_with_compare_with_none() -> None:
    clock, reader = Clock(), Reader(None)
    findings.history(reader, RUN, Failures(), SETTINGS, CONTEXT, clock, GHA)  # type: ignore[arg-type]
    assert (clock.slept, reader.read) == ([], 1)

    off: Any = SimpleNamespace(compare=False, compare_with=None)
    clock, reader = Clock(), QuotaReader(Headroom(remaining=30, reset_in=60.0))
    found = findings.history(reader, RUN, Failures(), off, CONTEXT, clock, GHA)  # type: ignore[arg-type]
    assert (clock.slept, reader.read, found) == ([], 0, History())
