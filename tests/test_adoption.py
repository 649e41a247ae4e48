"""The adoption rule and strict counts, as units: what is provably ours, and what a count may be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from testrun_action.errors import MalformedResponse, TriggerUncertain
from testrun_action.providers.adoption import Candidate, Sent, choose, clock_offset
from testrun_action.providers.wire import Count, Wire, read, whole_number

SENT_AT = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
SENT = Sent(at=SENT_AT, fields={"environment_slug": "staging", "commit": "abc"})


def candidate(run_id: str = "1", after: float = 1.0, **fields: Any) -> Candidate:
    return Candidate(
        run_id=run_id,
        url=f"https://example.test/runs/{run_id}",
        created_at=SENT_AT + timedelta(seconds=after),
        fields={"environment_slug": "staging", "commit": "abc", **fields},
    )


def test_the_one_run_created_after_the_trigger_with_every_sent_field_is_adopted() -> None:
    assert choose([candidate()], SENT, timedelta(0)) == candidate()


def test_a_run_created_before_the_trigger_is_not_adopted() -> None:
    assert choose([candidate(after=-90)], SENT, timedelta(0)) is None


def test_a_run_missing_or_differing_in_a_sent_field_is_not_adopted() -> None:
    assert choose([candidate(commit=None)], SENT, timedelta(0)) is None
    assert choose([candidate(environment_slug="production")], SENT, timedelta(0)) is None


def test_a_run_that_had_ended_before_the_trigger_is_not_adopted() -> None:
    ended = Candidate(
        "1",
        "u",
        SENT_AT,
        {"environment_slug": "staging", "commit": "abc"},
        None,
        SENT_AT - timedelta(seconds=30),
    )
    assert choose([ended], SENT, timedelta(0)) is None


def test_several_matching_runs_are_never_a_guess_and_name_each_candidate() -> None:
    with pytest.raises(TriggerUncertain) as raised:
        choose([candidate("1"), candidate("2", after=2)], SENT, timedelta(0))

    assert "could not tell which run the trigger created" in raised.value.message
    assert "https://example.test/runs/1" in raised.value.message
    assert "https://example.test/runs/2" in raised.value.message


def test_a_marker_decides_between_runs_with_the_same_fields() -> None:
    marked = Sent(at=SENT_AT, fields=SENT.fields, marker="ours")
    ours = Candidate("1", "u", SENT_AT + timedelta(seconds=1), SENT.fields, "ours")
    theirs = Candidate("2", "u", SENT_AT + timedelta(seconds=1), SENT.fields, "theirs")

    assert choose([theirs, ours], marked, timedelta(0)) == ours


def test_the_service_clock_is_measured_from_its_date_header_not_assumed_close() -> None:
    read_at = SENT_AT + timedelta(seconds=2)
    behind = {"date": format_datetime(read_at - timedelta(minutes=10), usegmt=True)}
    offset = clock_offset(behind, read_at)

    assert offset == timedelta(minutes=-10)
    # The service stamps its run 10 minutes "before" our trigger: its clock is 10 minutes behind.
    assert choose([candidate(after=-600 + 1)], SENT, offset) is not None
    assert choose([candidate(after=-600 - 90)], SENT, offset) is None
    assert clock_offset({}, read_at) == timedelta(0)
    assert clock_offset({"date": "not a date"}, read_at) == timedelta(0)


@pytest.mark.parametrize(("value", "count"), [(0, 0), (3, 3), ("3", 3), (" 12 ", 12), (2**40, 2**40)])
def test_a_count_is_a_json_integer_or_a_decimal_string(value: Any, count: int) -> None:
    assert whole_number(value) == count


@pytest.mark.parametrize("value", [-1, "-1", 2.5, 3.0, True, False, "²", "1e3", "", None, [3], {"n": 3}])
def test_anything_else_is_not_a_count(value: Any) -> None:
    with pytest.raises(ValueError, match="expected a whole number"):
        whole_number(value)


class Item(Wire):
    failed_count: Count | None = None


def test_a_malformed_count_is_a_malformed_answer_naming_the_field_and_extra_fields_are_ignored() -> None:
    assert read(Item, {"failed_count": "4", "unknown": [1]}, "the run").failed_count == 4
    assert read(Item, {}, "the run").failed_count is None
    with pytest.raises(MalformedResponse, match="`failed_count`: expected a whole number, got -3"):
        read(Item, {"failed_count": -3}, "the run")


def test_history_counts_that_are_not_whole_numbers_are_unknown_for_the_trend_never_0() -> None:
    from testrun_action.providers.readers import count as _count
    from testrun_action.providers.testsigma.history import _past

    assert _past({"id": 5, "failedCount": 2.5}).failed is None
    assert _past({"id": 5, "failedCount": "2"}).failed == 2
    assert _past({"id": 5, "metrics": {"failedCount": True}, "failedCount": 1}).failed == 1
    assert _count({"failed_count": -1}, "failed_count") is None
    assert _count({"failed_count": "7"}, "failed_count") == 7
