"""What every HTTP provider gets from the one base: the wiring's retry policy, and its service's error
envelope read by its own hook; the quota headers read by scope, whatever the service."""

from __future__ import annotations

import httpx
import pytest

from testrun_action.clock import Deadline, VirtualClock
from testrun_action.context import GitHubContext
from testrun_action.errors import RequestRejected, ServiceUnavailable
from testrun_action.http import HttpClient, RetryPolicy
from testrun_action.providers import Wiring, create_provider
from testrun_action.providers.registry import specs
from testrun_action.quota import quota_scopes
from testrun_action.settings import Settings, load_settings, read_raw_inputs

# Enough inputs for each built-in provider to poll run 42.
INPUTS = {
    "empirical": {"INPUT_ENVIRONMENT": "staging"},
    "buildkite": {"INPUT_ORGANIZATION": "acme", "INPUT_PIPELINE": "e2e", "INPUT_SUITE": "e2e"},
    "testsigma": {"INPUT_TEST-PLAN-ID": "3058"},
}


def settings_for(name: str) -> Settings:
    environ = {"INPUT_PROVIDER": name, "INPUT_API-KEY": "key-123456", "INPUT_API-URL": "https://api.example",
               **INPUTS[name]}  # fmt: skip
    return load_settings(read_raw_inputs(environ))


def answering(status: int, body: object, seen: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


def test_every_built_in_provider_is_covered_here() -> None:
    assert sorted(INPUTS) == sorted(spec.name for spec in specs())


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_the_wiring_policy_reaches_every_provider(name: str) -> None:
    seen: list[str] = []
    clock = VirtualClock()
    policy = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.01)
    wiring = Wiring(clock, lambda line: None, answering(503, {}, seen), policy)
    provider = create_provider(settings_for(name), GitHubContext(), wiring)

    with pytest.raises(ServiceUnavailable):
        provider.poll("42", Deadline(clock, 60))

    assert len(seen) == 2  # the policy's attempts, not the default five
    provider.close()


@pytest.mark.parametrize(
    ("name", "body", "said"),
    [
        # Spring's envelope: `error` is the status phrase, `message` the reason (providers.md 2.1).
        ("testsigma", {"status": 400, "error": "Bad Request", "message": "plan 3058 is archived"},
         "plan 3058 is archived"),
        # Buildkite's validation errors (providers.md 3.4).
        ("buildkite", {"message": "Validation Failed", "errors": ["branch is required"]},
         "Validation Failed: branch is required"),
        ("empirical", {"error": {"message": "environment not found"}}, "environment not found"),
    ],
)  # fmt: skip
def test_each_provider_reads_its_services_error_envelope(name: str, body: object, said: str) -> None:
    seen: list[str] = []
    clock = VirtualClock()
    wiring = Wiring(clock, lambda line: None, answering(400, body, seen))
    provider = create_provider(settings_for(name), GitHubContext(), wiring)

    with pytest.raises(RequestRejected) as raised:
        provider.poll("42", Deadline(clock, 60))

    assert raised.value.message.endswith(f"(HTTP 400): {said}")
    provider.close()


def test_a_client_without_a_hook_reads_the_common_envelopes_only() -> None:
    clock = VirtualClock()
    transport = answering(400, {"error": "Bad Request", "message": "plan 3058 is archived"}, [])
    http = HttpClient(service="Some service", base_url="https://api.example", headers={}, clock=clock,
                      log=lambda line: None, transport=transport)  # fmt: skip

    with pytest.raises(RequestRejected, match=r"\(HTTP 400\): Bad Request$"):
        http.json("GET", "/x", deadline=Deadline(clock, 60))


def test_quota_headers_are_read_by_scope_unscoped_first_and_bounded() -> None:
    headers = httpx.Headers({"RateLimit-User-Remaining": "3", "RateLimit-User-Reset": "9",
                             "RateLimit-Remaining": "40", "X-Other": "1"})  # fmt: skip
    many = httpx.Headers({f"RateLimit-S{n}-Remaining": "1" for n in range(50)})

    assert quota_scopes(headers) == [
        ("ratelimit-remaining", "ratelimit-reset"),
        ("ratelimit-user-remaining", "ratelimit-user-reset"),
    ]
    assert len(quota_scopes(many)) == 4
