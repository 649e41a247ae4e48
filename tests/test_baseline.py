"""Which earlier runs are history: started before this run, on another commit."""

from __future__ import annotations

from testrun_action.providers.baseline import Baseline, same_commit

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
START = "2026-05-29T07:30:00.000Z"


def test_a_run_of_the_same_commit_is_not_history_full_or_abbreviated() -> None:
    baseline = Baseline.of(START, SHA)

    assert not baseline.admits("2026-05-29T07:00:00Z", SHA)
    assert not baseline.admits("2026-05-29T07:00:00Z", SHA[:7].upper())
    assert baseline.admits("2026-05-29T07:00:00Z", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c")


def test_a_run_that_started_at_or_after_this_one_or_at_an_unknown_time_is_not_history() -> None:
    baseline = Baseline.of(START, SHA)

    assert not baseline.admits(START, None)
    assert not baseline.admits("2026-05-29T07:30:01Z", None)
    assert not baseline.admits(None, None)
    assert not baseline.admits("yesterday", None)
    assert baseline.admits(1780039799000, None)  # epoch milliseconds, a second before


def test_without_this_runs_start_only_the_commit_is_filtered_on() -> None:
    baseline = Baseline.of(None, SHA)

    assert baseline.admits(None, "other")
    assert not baseline.admits(None, SHA)


def test_short_prefixes_do_not_name_the_same_commit() -> None:
    assert not same_commit(SHA, SHA[:6])
    assert not same_commit(None, SHA)
    assert not same_commit(SHA, 42)
