"""Small units of the Buildkite path: result mapping, quota pacing, Link pagination, settings."""

from __future__ import annotations

import itertools
import threading

import httpx
import pytest

from testrun_action.clock import Deadline
from testrun_action.errors import ConfigurationError
from testrun_action.http import HttpClient
from testrun_action.model import Counts
from testrun_action.paging import read_all, with_page
from testrun_action.providers.buildkite.results import counts, failed_executions, split_location, tally
from testrun_action.quota import RATE_BURST, Headroom, RateGate, rate_limit_reset, retry_after
from testrun_action.settings import load_settings, read_raw_inputs


class FakeClock:
    """A clock that only moves when something sleeps; sleeps are recorded."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.t += max(0.0, seconds)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("./spec/models/user.rb:23", ("spec/models/user.rb", 23)),
        ("spec/models/user.rb", ("spec/models/user.rb", None)),
        ("./spec/models/user.rb", ("spec/models/user.rb", None)),
        (r"C:\work\spec\user_spec.rb:7", (r"C:\work\spec\user_spec.rb", 7)),
        ("tests/a:b.spec.ts:12", ("tests/a:b.spec.ts", 12)),
        ("tests/login.spec.ts:0", ("tests/login.spec.ts", None)),
        ("", (None, None)),
        (None, (None, None)),
        (":12", (":12", None)),
    ],
)
def test_location_splits_on_its_last_colon_and_drops_dot_slash(
    location: object, expected: tuple[str | None, int | None]
) -> None:
    assert split_location(location) == expected


def test_failed_executions_map_every_field_once_per_test() -> None:
    item = {
        "test_id": "t1",
        "test_name": "Deploy should be available",
        "location": "./spec/deploy_spec.rb:23",
        "failure_reason": "it didn't work",
        "failure_expanded": [
            {"expanded": ["  expected: false", "       got: true"], "backtrace": ["./spec/deploy_spec.rb:25"]}
        ],
        "test_execution_url": "https:://buildkite.com/typo-in-the-docs",
        "test_url": "https://buildkite.com/organizations/acme/analytics/suites/e2e/tests/t1",
        "scope": "Deploy",
    }
    retried = {**item, "failure_reason": "second failure"}

    [execution] = failed_executions([item, retried, {"test_id": "t2"}][:2], frozenset())

    assert execution.name == "Deploy should be available"
    assert (execution.file, execution.line) == ("spec/deploy_spec.rb", 23)
    assert execution.message == "it didn't work"
    assert execution.details == "  expected: false\n       got: true\n./spec/deploy_spec.rb:25"
    assert execution.url == "https://buildkite.com/organizations/acme/analytics/suites/e2e/tests/t1"
    assert execution.group == "Deploy"
    assert not execution.flaky


def test_failed_executions_survive_missing_and_odd_fields() -> None:
    [execution] = failed_executions([{"failure_expanded": "not a list", "location": 7}], frozenset())

    assert execution.name == "unnamed test"
    assert (execution.file, execution.line, execution.url, execution.details) == (None, None, None, "")


def test_tally_counts_only_the_suites_tests_and_calls_pass_after_fail_flaky() -> None:
    def test(test_id: str, suite: str, **by: int) -> dict[str, object]:
        return {"id": test_id, "url": f"https://api.buildkite.com/v2/analytics/organizations/o/suites/{suite}/tests/{test_id}",
                "executions_count_by_result": {"passed": 0, "failed": 0, **by}}  # fmt: skip

    tests = [
        test("a", "e2e", passed=2),
        test("b", "e2e", failed=1),
        test("c", "e2e", failed=1, passed=1),
        test("d", "e2e", skipped=1),
        test("e", "unit", failed=3),
    ]

    result = tally(tests, "e2e")

    assert (result.total, result.passed, result.failed, result.skipped) == (4, 1, 1, 1)
    assert result.flaky == frozenset({"c"})


def test_counts_never_hide_a_listed_failure() -> None:
    listed = failed_executions([{"test_id": "x"}, {"test_id": "y"}], frozenset())

    assert counts(listed, tally([], "e2e")).failed == 2
    assert counts(listed, None) == Counts(failed=2, missing=frozenset({"total", "passed"}))


def test_rate_limit_reset_follows_the_exhausted_scope() -> None:
    headers = {"RateLimit-Remaining": "120", "RateLimit-Reset": "50", "RateLimit-User-Remaining": "0",
               "RateLimit-User-Reset": "12"}  # fmt: skip
    assert rate_limit_reset(httpx.Headers(headers)) == 12.0
    assert rate_limit_reset(httpx.Headers({"RateLimit-Reset": "30"})) == 30.0
    assert retry_after(httpx.Headers({"Retry-After": "3", "RateLimit-Reset": "30"})) == 3.0


def test_rate_gate_spaces_the_last_requests_and_waits_for_the_reset() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    assert gate.reserve() == 0.0  # nothing announced yet

    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "40", "RateLimit-User-Reset": "30"}))
    assert gate.reserve() == 0.0  # plenty left

    # 12 left: the 10 of RATE_LOW_WATER are left to other jobs sharing the key, so two are spent.
    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "12", "RateLimit-User-Reset": "10",
                                "RateLimit-Remaining": "150", "RateLimit-Reset": "10"}))  # fmt: skip
    first, second = gate.reserve(), gate.reserve()
    assert first == 0.0
    assert second == pytest.approx(5.0)  # the two left, spread over the 10 s to the reset
    clock.t = 5.0
    assert gate.reserve() == 0.0  # the second, asking again when told
    assert gate.reserve() == pytest.approx(5.0)  # none left: wait for the reset, at 10 s
    clock.t = 10.0
    assert gate.reserve() == 0.0  # a new window


def test_the_rate_gate_spreads_what_is_left_over_the_window_after_a_short_burst() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "50", "RateLimit-User-Reset": "60"}))

    sent: list[float] = []  # the moments requests went, each asking again when told to wait
    while len(sent) < RATE_BURST + 3:
        wait = gate.reserve()
        if wait == 0.0:
            sent.append(clock.t)
        clock.t += wait
    waits = [0.0] + [later - earlier for earlier, later in itertools.pairwise(sent)]

    assert waits[: RATE_BURST + 1] == [0.0] * (RATE_BURST + 1)  # the burst, then the even pace
    assert all(w > 1.0 for w in waits[RATE_BURST + 1 :])  # about 60 s / 45 left apart, not at once


def test_a_429_holds_every_request_of_the_process_until_the_reset() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "40", "RateLimit-User-Reset": "30"}))

    gate.hold(12.0)

    assert gate.reserve() == pytest.approx(12.0)  # however much the headers say is left
    clock.t = 5.0
    assert gate.reserve() == pytest.approx(7.0)
    gate.hold(3.0)  # a shorter wait does not reopen it early
    assert gate.reserve() == pytest.approx(7.0)
    clock.t = 12.0
    assert gate.reserve() < 1.0


def test_a_429_through_the_client_makes_the_other_threads_wait_for_the_reset() -> None:
    clock = FakeClock()
    answered = []

    def handler(request: httpx.Request) -> httpx.Response:
        answered.append(clock.t)
        if len(answered) == 1:
            return httpx.Response(429, headers={"Retry-After": "9"})
        return httpx.Response(200, json={})

    http = HttpClient(service="Sim", base_url="http://sim.test", headers={}, clock=clock, log=lambda _: None,
                      transport=httpx.MockTransport(handler))  # fmt: skip
    http.json("GET", "/a", deadline=Deadline(clock, 60))

    assert len(answered) == 2  # refused, then served once the reset came
    assert answered[1] >= 9.0
    clock.t = 1.0  # as if another thread had sent just after the refusal
    assert http.gate.reserve() == pytest.approx(
        8.0, abs=0.6
    )  # another request, from any thread, waits for the reset


def _pages_transport(total_pages: int, seen: list[str], last: bool = True) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        page = int(request.url.params.get("page", "1"))
        links = []
        if page < total_pages:
            links.append(f'<{with_page(str(request.url), page + 1)}>; rel="next"')
            if last:
                links.append(f'<{with_page(str(request.url), total_pages)}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return httpx.Response(200, json=[{"page": page}], headers=headers)

    return httpx.MockTransport(handler)


def _client(transport: httpx.MockTransport, clock: FakeClock) -> HttpClient:
    return HttpClient(service="Buildkite", base_url="https://api.buildkite.com", headers={}, clock=clock,
                      log=lambda _: None, transport=transport)  # fmt: skip


@pytest.mark.parametrize("last", [True, False])
def test_every_page_is_read_in_order_with_or_without_a_last_link(last: bool) -> None:
    seen: list[str] = []
    clock = FakeClock()
    http = _client(_pages_transport(10, seen, last), clock)

    pages = read_all(http, "/v2/x", params={"per_page": 100, "include_failure_expanded": "true"},
                     deadline=Deadline(clock, 60), max_pages=20, what="test")  # fmt: skip

    assert [item["page"] for item in pages.items] == list(range(1, 11))
    assert pages.complete
    assert all("include_failure_expanded=true" in url for url in seen)


def test_reading_stops_at_the_page_cap_and_says_so() -> None:
    clock = FakeClock()
    http = _client(_pages_transport(30, []), clock)

    pages = read_all(http, "/v2/x", params={}, deadline=Deadline(clock, 60), max_pages=5, what="test")

    assert (len(pages.items), pages.pages_total, pages.complete) == (5, 30, False)


def test_a_list_wanted_whole_is_not_read_past_its_first_page_when_it_is_too_long() -> None:
    seen: list[str] = []
    clock = FakeClock()
    http = _client(_pages_transport(30, seen), clock)

    pages = read_all(http, "/v2/x", params={}, deadline=Deadline(clock, 60), max_pages=5, what="test",
                     all_or_nothing=True)  # fmt: skip

    assert (len(seen), pages.pages_total, pages.complete) == (1, 30, False)


def test_a_late_answer_does_not_give_back_requests_already_reserved() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "22", "RateLimit-User-Reset": "30"}))
    # (22 left: above the 10 kept for other jobs, so the four go at once.)
    for _ in range(4):  # four pages sent at once
        gate.reserve()

    # The answer to the first of them was counted before the other three were sent.
    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "21", "RateLimit-User-Reset": "30"}))

    assert gate.headroom() == Headroom(remaining=18, reset_in=30.0)
    for left in (20, 19, 18):  # the other three answered
        gate.observe(httpx.Headers({"RateLimit-User-Remaining": str(left), "RateLimit-User-Reset": "30"}))
        assert gate.headroom() == Headroom(remaining=18, reset_in=30.0)
    clock.t = 31.0
    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "49", "RateLimit-User-Reset": "60"}))
    assert gate.headroom() == Headroom(remaining=49, reset_in=60.0)  # a new window: as announced


def test_the_rate_gate_tells_the_schedule_what_is_left_of_the_quota() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    assert gate.headroom() is None  # nothing announced yet

    gate.observe(httpx.Headers({"RateLimit-User-Remaining": "30", "RateLimit-User-Reset": "20",
                                "RateLimit-Remaining": "150", "RateLimit-Reset": "20"}))  # fmt: skip
    gate.reserve()
    clock.t = 5.0

    assert gate.headroom() == Headroom(remaining=29, reset_in=15.0)
    clock.t = 20.0
    assert gate.headroom() is None  # the window has reset: nothing is known about the next one


def test_links_to_another_host_are_never_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(
            200, json=[{}], headers={"Link": '<https://evil.example/v2/x?page=2>; rel="next"'}
        )

    clock = FakeClock()
    pages = read_all(_client(httpx.MockTransport(handler), clock), "/v2/x", params={},
                     deadline=Deadline(clock, 60), max_pages=5, what="test")  # fmt: skip

    assert seen == ["https://api.buildkite.com/v2/x"]
    assert pages.complete  # as far as the service's own origin goes


def _buildkite(**inputs: str) -> dict[str, str]:
    environ = {"INPUT_PROVIDER": "buildkite", "INPUT_API-KEY": "bkua_token", "INPUT_ORGANIZATION": "acme",
               "INPUT_PIPELINE": "e2e-tests", "INPUT_SUITE": "e2e"}  # fmt: skip
    environ.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return environ


def test_buildkite_settings_default_the_api_and_label_and_read_build_number() -> None:
    settings = load_settings(read_raw_inputs(_buildkite(build_number="42")))

    assert settings.api_url == "https://api.buildkite.com"
    assert settings.environment == "e2e-tests"
    assert settings.run_id == "42"
    assert (settings.organization, settings.pipeline, settings.suite) == ("acme", "e2e-tests", "e2e")


def test_environment_stays_required_for_empirical() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(read_raw_inputs({"INPUT_API-KEY": "key"}))
    assert caught.value.input_name == "environment"
