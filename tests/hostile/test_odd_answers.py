"""Odd digits and redirects. `"²".isdigit()` is true and `int("²")` fails: numbers in headers must be
ASCII digits or count as absent. A redirect is never followed, on the service side or GitHub's, so a
key or token never goes to another host, and it is a clear error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testrun_action.clock import Deadline, VirtualClock
from testrun_action.paging import page_number
from testrun_action.quota import RateGate, rate_limit_reset, retry_after
from testrun_sim.hostile import Hostile, Rule
from testrun_sim.runner_files import read_outputs

from ..conftest import BUILDKITE_INPUTS, Job, Simulated
from .conftest import step

ODD = ("²", "١٢", "𝟗", "3²", "9" * 5000)  # superscript, Arabic-Indic, mathematical, mixed, too long


@pytest.mark.parametrize("odd", ODD)
def test_odd_digits_in_rate_limit_headers_count_as_absent(odd: str) -> None:
    headers = {"ratelimit-remaining": odd, "ratelimit-reset": odd}
    gate = RateGate(VirtualClock())

    gate.observe(headers)

    assert rate_limit_reset(headers) is None
    assert retry_after({"retry-after": odd}) is None
    assert gate.headroom() is None
    assert gate.reserve() == 0.0


@pytest.mark.parametrize("odd", ODD)
def test_odd_digits_in_link_page_numbers_count_as_absent(odd: str) -> None:
    assert page_number(f"https://api.buildkite.com/v2/x?page={odd}&per_page=100") is None
    assert page_number("https://api.buildkite.com/v2/x?page=7&per_page=100") == 7


def test_a_wait_beyond_an_hour_is_not_believed() -> None:
    assert retry_after({"retry-after": "86400"}) is None
    assert retry_after({"retry-after": "120"}) == 120.0
    assert rate_limit_reset({"ratelimit-remaining": "0", "ratelimit-reset": "999999"}) is None


@pytest.fixture
def hostile_buildkite(buildkite: Simulated) -> Iterator[Hostile]:
    with Hostile(buildkite.url) as proxy:
        yield proxy


@pytest.fixture
def odd_job(tmp_path: Path, hostile_buildkite: Hostile, github: Simulated) -> Job:
    return Job(tmp_path, hostile_buildkite.url, github.url, BUILDKITE_INPUTS)


def test_odd_digits_in_buildkite_quota_headers_neither_crash_nor_orphan_the_build(
    odd_job: Job, hostile_buildkite: Hostile, buildkite: Simulated
) -> None:
    odd = {"RateLimit-Remaining": "²", "RateLimit-Reset": "²", "RateLimit-User-Remaining": "١٢"}
    hostile_buildkite.add(Rule("*", r"^/v2/", "rewrite", headers=odd))

    done = step(odd_job.environ())

    assert done.code == 0, done.log  # followed to its end: nothing orphaned
    assert "Internal error" not in done.log
    assert read_outputs(odd_job.tmp / "output")["result"] == "passed"


def test_an_odd_retry_after_is_a_retry_with_backoff(odd_job: Job, hostile_buildkite: Hostile) -> None:
    busy = {"Retry-After": "²", "content-type": "application/json"}
    rule = hostile_buildkite.add(
        Rule("GET", r"/builds/\d+$", "answer", times=1, status=503, headers=busy, body=b"{}")
    )

    result = odd_job.run()

    assert result.code == 0, result.log
    assert rule.hits == 1
    assert "Internal error" not in result.log


def test_a_redirected_trigger_is_refused_and_the_key_goes_nowhere_else(
    hjob: Job, service: Hostile, elsewhere: Hostile
) -> None:
    service.add(
        Rule("PUT", r"^/api/test-runs$", "redirect", status=307, location=f"{elsewhere.url}/api/test-runs")
    )

    result = hjob.run()

    assert result.code == 2, result.log
    assert "answered with a redirect (HTTP 307) to 127.0.0.1" in result.log
    assert "Redirects are not followed" in result.log
    assert elsewhere.seen == []


def test_a_redirected_status_check_is_refused_not_followed(
    hjob: Job, service: Hostile, elsewhere: Hostile
) -> None:
    service.add(Rule("GET", r"^/api/test-runs$", "redirect", status=301, location=f"{elsewhere.url}/x"))

    result = hjob.run(timeout_minutes="0.05")

    assert result.code != 0, result.log
    assert "redirect (HTTP 301)" in result.log
    assert elsewhere.seen == []


def test_a_redirected_check_run_create_is_refused_and_the_token_goes_nowhere_else(
    hjob: Job, gh: Hostile, elsewhere: Hostile
) -> None:
    gh.add(
        Rule(
            "POST",
            r"/check-runs$",
            "redirect",
            status=302,
            location=f"{elsewhere.url}/repos/acme/shop/check-runs",
        )
    )

    result = hjob.run()

    assert result.code == 0, result.log  # the tests passed; the check run is a warning
    assert "GitHub API answered with a redirect (HTTP 302)" in result.log
    assert result.outputs["result"] == "passed"
    assert elsewhere.seen == []


def test_deadline_remaining_is_never_negative() -> None:
    clock = VirtualClock()
    deadline = Deadline(clock, 1.0)
    clock.sleep(5.0)
    assert deadline.remaining() == 0.0
