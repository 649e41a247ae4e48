"""The HTTP policy's `unprocessed` rule: an answer a service uses to say it did nothing (Testsigma Test
Management's HTTP 500 rate limit) is retried even for a request that must not be repeated; any other
500 on such a request stays ambiguous."""

from __future__ import annotations

import httpx
import pytest

from testrun_action.clock import Deadline
from testrun_action.errors import DeliveryUncertain
from testrun_action.http import HttpClient, RetryPolicy
from testrun_action.testsigma_tms import rate_limited


class Instant:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def client(answers: list[httpx.Response], seen: list[httpx.Request]) -> HttpClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return HttpClient(
        service="TMS",
        base_url="https://tms.example.com/api/v1",
        headers={},
        clock=Instant(),
        log=lambda line: None,
        policy=RetryPolicy(attempts=4),
        transport=httpx.MockTransport(handler),
        unprocessed=rate_limited,
    )


def test_rate_limit_500_is_retried_for_a_non_repeatable_request() -> None:
    seen: list[httpx.Request] = []
    http = client(
        [
            httpx.Response(500, json={"message": "rate limit exceeded"}),
            httpx.Response(200, json={"ok": True}),
        ],
        seen,
    )

    status, body = http.json(
        "POST", "/projects/p/test_runs", body={}, repeatable=False, deadline=Deadline(Instant(), 60)
    )

    assert (status, body, len(seen)) == (200, {"ok": True}, 2)
    assert seen[0].url == "https://tms.example.com/api/v1/projects/p/test_runs"


def test_other_500_on_a_non_repeatable_request_is_ambiguous_and_not_repeated() -> None:
    seen: list[httpx.Request] = []
    http = client([httpx.Response(500, json={"message": "database is down"})], seen)

    with pytest.raises(DeliveryUncertain):
        http.json("POST", "/projects/p/test_runs", body={}, repeatable=False)
    assert len(seen) == 1


def test_multipart_files_are_sent_as_a_form() -> None:
    seen: list[httpx.Request] = []
    http = client([httpx.Response(202, json={"data": {"import_id": "i"}})], seen)

    http.json(
        "POST",
        "/import",
        files={"junit_xml": ("r.xml", b"<testsuites/>", "application/xml")},
        repeatable=False,
    )

    assert seen[0].headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="junit_xml"; filename="r.xml"' in seen[0].read()
