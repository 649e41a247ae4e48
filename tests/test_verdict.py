"""Every row of the verdict: what the evidence says, and the result, exit code, check-run conclusion and
reason that follow. A pass needs a status read, counts that add up, `min-tests` executed, no error code."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from testrun_action.clock import Deadline, VirtualClock
from testrun_action.model import (
    Counts,
    FailedExecution,
    FailOn,
    Failures,
    History,
    Novelty,
    NoveltyKind,
    Outcome,
    Phase,
    TestRun,
)
from testrun_action.polling import PollSchedule
from testrun_action.verdict import decide
from testrun_action.waiting import wait_for_run

PASSED = TestRun(
    id="7",
    url="https://example.test/runs/7",
    state="ended",
    phase=Phase.FINISHED,
    counts=Counts(total=10, passed=10),
    confirmed=True,
)
ONE_FAILED = replace(PASSED, counts=Counts(total=10, passed=9, failed=1))
A_FAILURE = FailedExecution(name="Login › signs in", key="k1")
KNOWN = replace(A_FAILURE, novelty=Novelty(NoveltyKind.KNOWN, 1, 1))
NEW = replace(A_FAILURE, novelty=Novelty(NoveltyKind.NEW, 0, 1))
COMPARED = History(branch="main", outcomes={"k1": ("failed",)})


@dataclass(frozen=True)
class Row:
    name: str
    run: TestRun | None
    result: Outcome
    exit_code: int
    conclusion: str
    says: str
    fail_on: FailOn = FailOn.FAILURES
    min_tests: int = 1
    evidence: dict[str, Any] = field(default_factory=dict)


ROWS = [
    # -- how the flow ended, before any evidence is weighed --
    Row("interrupted by SIGTERM", PASSED, Outcome.CANCELLED, 143, "cancelled", "cancelled",
        evidence={"interrupted": 15}),
    Row("an error ended the flow", None, Outcome.ERROR, 3, "failure", "Test service unavailable",
        evidence={"problem": "Test service unavailable: down"}),
    Row("a configuration error ended the flow", None, Outcome.ERROR, 2, "failure", "Input",
        evidence={"problem": "Input 'x': bad", "problem_exit": 2}),
    Row("no run", None, Outcome.ERROR, 3, "failure", "No run was followed"),
    Row("wait: false", replace(PASSED, phase=Phase.WAITING, confirmed=False), Outcome.TRIGGERED, 0, "neutral",
        "`wait` is `false`", evidence={"waited": False}),
    Row("timed out on the trigger's word", replace(PASSED, confirmed=False), Outcome.ERROR, 3, "failure",
        "no status read confirmed it", evidence={"timed_out": True, "unreadable": "HTTP 500"}),
    Row("timed out while status reads failed", replace(PASSED, phase=Phase.RUNNING), Outcome.ERROR, 3,
        "failure", "could not be read", evidence={"timed_out": True, "unreadable": "not JSON"}),
    Row("timed out", replace(PASSED, phase=Phase.RUNNING), Outcome.TIMED_OUT, 1, "timed_out",
        "did not end", evidence={"timed_out": True}),
    Row("timed out, fail-on never", replace(PASSED, phase=Phase.RUNNING), Outcome.TIMED_OUT, 0, "timed_out",
        "`fail-on` is `never`", fail_on=FailOn.NEVER, evidence={"timed_out": True}),
    # -- the state --
    Row("not ended", replace(PASSED, phase=Phase.RUNNING), Outcome.ERROR, 3, "failure", "had not ended"),
    Row("ended on the trigger's word only", replace(PASSED, confirmed=False), Outcome.ERROR, 3, "failure",
        "Only the trigger's answer"),
    Row("cancelled", replace(PASSED, phase=Phase.CANCELLED), Outcome.CANCELLED, 1, "cancelled", "cancelled"),
    Row("cancelled, fail-on never", replace(PASSED, phase=Phase.CANCELLED), Outcome.CANCELLED, 0, "cancelled",
        "`never`", fail_on=FailOn.NEVER),
    Row("errored", replace(PASSED, phase=Phase.ERRORED, error_code="merge_conflict"), Outcome.ERROR, 1,
        "failure", "`merge_conflict`"),
    Row("ended with an error code", replace(PASSED, error_code="report_not_generated"), Outcome.ERROR, 1,
        "failure", "`report_not_generated`"),
    Row("errored, fail-on never", replace(PASSED, phase=Phase.ERRORED), Outcome.ERROR, 0, "neutral", "errored",
        fail_on=FailOn.NEVER),
    # -- the counts --
    Row("failed count missing", replace(PASSED, counts=Counts(total=10, passed=10, missing=frozenset({"failed"}))),
        Outcome.ERROR, 3, "failure", "failed count"),
    Row("counts that do not add up", replace(PASSED, counts=Counts(total=10, passed=2)), Outcome.ERROR, 3,
        "failure", "do not add up"),
    Row("more failures listed than counted", PASSED, Outcome.ERROR, 3, "failure", "listed 1",
        evidence={"failures": Failures((A_FAILURE,))}),
    Row("failed", ONE_FAILED, Outcome.FAILED, 1, "failure", "1 test failed"),
    Row("failed without a total", replace(ONE_FAILED, counts=Counts(failed=1, missing=frozenset({"total", "passed"}))),
        Outcome.FAILED, 1, "failure", "1 test failed"),
    Row("failed, fail-on never", ONE_FAILED, Outcome.FAILED, 0, "neutral", "`never`", fail_on=FailOn.NEVER),
    Row("failed, new-failures without history", ONE_FAILED, Outcome.FAILED, 1, "failure",
        "cannot tell which failures are new",
        fail_on=FailOn.NEW_FAILURES),
    Row("failed, new-failures, list incomplete", ONE_FAILED, Outcome.FAILED, 1, "failure",
        "not every failed test could be listed",
        fail_on=FailOn.NEW_FAILURES, evidence={"failures": Failures((KNOWN,), complete=False), "history": COMPARED}),
    Row("failed, new-failures, all known", ONE_FAILED, Outcome.FAILED, 0, "neutral", "None is new",
        fail_on=FailOn.NEW_FAILURES, evidence={"failures": Failures((KNOWN,)), "history": COMPARED}),
    Row("failed, new-failures, one new", ONE_FAILED, Outcome.FAILED, 1, "failure", "did not fail on main lately",
        fail_on=FailOn.NEW_FAILURES, evidence={"failures": Failures((NEW,)), "history": COMPARED}),
    Row("nothing says how many ran", replace(PASSED, counts=Counts(missing=frozenset({"total", "passed"}))),
        Outcome.ERROR, 3, "failure", "how many tests ran"),
    Row("nothing says how many ran, min-tests 0", replace(PASSED, counts=Counts(missing=frozenset({"total", "passed"}))),
        Outcome.PASSED, 0, "success", "0 tests ran", min_tests=0),
    Row("no test ran", replace(PASSED, counts=Counts()), Outcome.FAILED, 1, "failure", "0 tests ran; `min-tests` is 1"),
    Row("only skipped tests", replace(PASSED, counts=Counts(total=3, skipped=3)), Outcome.FAILED, 1, "failure",
        "0 tests ran"),
    Row("fewer than min-tests", PASSED, Outcome.FAILED, 1, "failure", "10 tests ran; `min-tests` is 11",
        min_tests=11),
    Row("no test ran, min-tests 0", replace(PASSED, counts=Counts()), Outcome.PASSED, 0, "success", "0 tests ran",
        min_tests=0),
    Row("flaky, fail-on flaky", replace(PASSED, counts=Counts(total=10, passed=9, flaky=1)), Outcome.PASSED, 1,
        "failure", "`fail-on` is `flaky`", fail_on=FailOn.FLAKY),
    Row("flaky", replace(PASSED, counts=Counts(total=10, passed=9, flaky=1)), Outcome.PASSED, 0, "success",
        "10 tests ran, none failed"),
    Row("snoozed failures", replace(PASSED, counts=Counts(total=10, passed=8, snoozed=2)), Outcome.PASSED, 0,
        "success", "none failed"),
    Row("passed", PASSED, Outcome.PASSED, 0, "success", "10 tests ran, none failed"),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_verdict_of_each_kind_of_evidence(row: Row) -> None:
    verdict = decide(row.run, fail_on=row.fail_on, min_tests=row.min_tests, **row.evidence)

    assert (verdict.outcome, verdict.exit_code, verdict.conclusion) == (
        row.result,
        row.exit_code,
        row.conclusion,
    )
    assert row.says in f"{verdict.reason} {verdict.note or ''}"
    assert "\n" not in verdict.reason
    assert verdict.passed is (row.exit_code == 0)


class _OnePoll:
    """A provider whose status read says the run failed, whatever the trigger's answer said."""

    name = "Simulated"

    def __init__(self) -> None:
        self.polls = 0

    def poll(self, run_id: str, deadline: Deadline) -> TestRun:
        self.polls += 1
        return replace(ONE_FAILED, confirmed=True)


def test_the_wait_reads_the_status_of_a_run_the_trigger_says_ended() -> None:
    clock = VirtualClock()
    provider = _OnePoll()
    said_by_trigger = replace(PASSED, confirmed=False)

    waited = wait_for_run(
        provider,  # type: ignore[arg-type]
        said_by_trigger,
        deadline=Deadline(clock, 60),
        schedule=PollSchedule(fixed=1.0),
        clock=clock,
        log=lambda line: None,
    )

    assert provider.polls == 1
    assert waited.run.counts.failed == 1
    assert decide(waited.run, fail_on=FailOn.FAILURES, min_tests=1).exit_code == 1
