"""The HTTP layer every provider is built on: one timeout and retry policy, in one place.

- Every request has connect and read timeouts, clipped to the overall deadline, and a wall-clock
  limit (`clock.run_within`) that a server trickling its answer byte by byte cannot stretch.
- Every body is read within a size limit counted after decompression (`bodies`), and JSON is
  decoded safely (lone surrogates replaced, deep nesting refused): a bad body is a `MalformedResponse`.
- Transient failures (connection errors, 408, 429, 500, 502, 503, 504) are retried with exponential
  backoff and full jitter, honouring `Retry-After` (seconds or an HTTP date) and `RateLimit-Reset`,
  never sleeping past the deadline (the headers are read in `quota`).
- Where a service announces its quota (`RateLimit-Remaining` / `RateLimit-Reset`), requests slow down
  before it runs out instead of running into 429s (`quota.RateGate`); threads sharing a client share it.
- `Link` headers (RFC 8288) are read for pagination, and only links to the API's own origin are
  followed, so the token is never sent to another host.
- A request that must not be repeated (a trigger) is retried only when it certainly did not reach the
  service: the connection was refused or never made, a 429/503 asked us to come back later, or the
  client's `unprocessed` predicate recognises the answer as one that acted on nothing (a service whose
  rate limit is an HTTP 500, providers.md 2.2). Any other failure raises
  `DeliveryUncertain`, so the caller can look for what it may have created.
- Other 4xx fail at once with the service's own message (where its envelope has it:
  `envelopes.error_message`, or the client's own reader). Malformed JSON is a `MalformedResponse`.
- Redirects are never followed (the key would go wherever they point): a 3xx is a clear error.
- Headers with odd numbers (`"²".isdigit()` is true) count as absent.
- Error messages name the service and the host, never headers or credentials.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypedDict, Unpack
from urllib.parse import urlsplit

import httpx

from . import bodies
from .clock import Clock, Deadline, Overdue, run_within
from .envelopes import decode, service_message
from .errors import (
    AuthenticationError,
    DeliveryUncertain,
    MalformedResponse,
    RequestRejected,
    ServiceUnavailable,
)
from .quota import RateGate, retry_after

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# A trigger may be repeated after these only when the service said when to come back.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
PACING_LOG_SECONDS = 5.0  # pauses this long or longer are said in the log
MIN_WALL = 1.0  # the least wall-clock time one attempt gets, even at the deadline (a last cancel)


class RequestOptions(TypedDict, total=False):
    """What a request may say besides its method and path (`HttpClient.send`)."""

    params: Mapping[str, str | int] | None
    body: Any
    files: Mapping[str, tuple[str, bytes, str]] | None
    deadline: Deadline | None
    repeatable: bool
    attempts: int | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


class HttpClient:
    def __init__(
        self,
        *,
        service: str,
        base_url: str,
        headers: Mapping[str, str],
        clock: Clock,
        log: Callable[[str], None],
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
        unprocessed: Callable[[httpx.Response], bool] | None = None,
        credential_input: str = "api-key",
        body_limit: int = bodies.JSON_LIMIT,
        error_message: Callable[[Any], Any] | None = None,
    ) -> None:
        """`unprocessed`: answers that certainly acted on nothing (a rate limit): retried like a 429,
        even for a request that must not be repeated. `credential_input`: the input named when the
        service refuses the credentials. `body_limit`: the largest answer read, after decompression.
        `error_message`: the reason in the service's error answers (`service_message`)."""
        self.service = service
        parts = urlsplit(base_url)
        self.host = parts.hostname or "the service"
        self._origin = (parts.scheme, parts.hostname, parts.port)
        self._clock = clock
        self._log = log
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._unprocessed = unprocessed or (lambda response: False)
        self._credential_input = credential_input
        self._body_limit = body_limit
        self.error_message = error_message
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Accept-Encoding": bodies.ACCEPT_ENCODING, **dict(headers)},
            transport=transport,
            follow_redirects=False,
            trust_env=True,
        )
        self.last_headers: Mapping[str, str] = {}
        self.gate = RateGate(clock)

    def close(self) -> None:
        self._client.close()

    def json(
        self, method: str, path: str, *, accept: tuple[int, ...] = (), **options: Unpack[RequestOptions]
    ) -> tuple[int, Any]:
        """Send a request and return (status, decoded JSON). 2xx and the statuses in `accept` return;
        everything else raises a `TestrunError`. The options are `send`'s: `files` sends a multipart form
        instead of JSON; `attempts` overrides the policy's, e.g. 1 for a best-effort request that is
        not worth a retry."""
        response = self.send(method, path, **options)
        if response.is_success or response.status_code in accept:
            return response.status_code, decode(response, self.service)
        raise self._failure(response)

    def json_page(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        deadline: Deadline | None = None,
    ) -> tuple[Any, dict[str, str]]:
        """GET one page: its decoded JSON and its `Link` relations (`next`, `last`, ...) to URLs on the
        API's own origin. `path` may be such an absolute URL, taken from an earlier page's links."""
        response = self.send("GET", path, params=params, deadline=deadline)
        if not response.is_success:
            raise self._failure(response)
        payload = decode(response, self.service)
        links = {
            rel: link["url"]
            for rel, link in response.links.items()
            if isinstance(rel, str) and self._same_origin(link.get("url", ""))
        }
        return payload, links

    def _same_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.hostname, parts.port) == self._origin

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        deadline: Deadline | None = None,
        repeatable: bool = True,
        attempts: int | None = None,
        limit: int | None = None,
    ) -> httpx.Response:
        """Send with the retry policy; the final answer is returned whatever its status, its body read
        (at most `limit` bytes after decompression, the client's `body_limit` unless given)."""
        policy = self._policy if attempts is None else replace(self._policy, attempts=attempts)
        limit = self._body_limit if limit is None else limit
        attempt = 0
        while True:
            attempt += 1
            self._pace(deadline)
            remaining = deadline.remaining() if deadline else None
            timeout = httpx.Timeout(
                _clip(policy.read_timeout, remaining),
                connect=_clip(policy.connect_timeout, remaining),
            )
            wall = max(MIN_WALL, _clip(policy.connect_timeout + policy.read_timeout, remaining))
            request = self._client.build_request(
                method, path, params=params, json=body, files=files, timeout=timeout
            )
            try:
                response = run_within(
                    wall, functools.partial(self._exchange, request, limit), f"{self.service} request"
                )
            except bodies.BodyError as exc:
                self.gate.unanswered()
                raise MalformedResponse(
                    f"{self.service} sent an answer that was refused: {exc} (from {self.host})."
                ) from None
            except (httpx.TransportError, Overdue) as exc:
                self.gate.unanswered()
                not_sent = isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol
                )
                reason = f"{_describe(exc)} talking to {self.host}"
                if not (repeatable or not_sent):
                    raise DeliveryUncertain(
                        f"{self.service}: {reason}; the request may have been received."
                    ) from None
                wait = None
            else:
                self.last_headers = response.headers
                self.gate.observe(response.headers)
                status = response.status_code
                unprocessed = self._unprocessed(response)
                if status not in RETRY_STATUSES and not unprocessed:
                    return response
                wait = retry_after(response.headers)
                if status == 429:  # refused for the quota: no request of this client goes before the reset
                    self.gate.hold(wait if wait is not None else self._policy.base_delay)
                said = service_message(response, self.error_message) if unprocessed else ""
                reason = f"HTTP {status}{' (' + said + ')' if said else ''} from {self.host}"
                not_processed = unprocessed or (status in NOT_PROCESSED_STATUSES and wait is not None)
                if not repeatable and not not_processed:
                    raise DeliveryUncertain(f"{self.service}: {reason}; the request may have been received.")
                if attempt >= policy.attempts:
                    return response
            if attempt >= policy.attempts:
                raise ServiceUnavailable(
                    f"{self.service} could not be reached: {reason} ({attempt} attempts)."
                )
            delay = self._backoff(attempt, wait)
            left = deadline.remaining() if deadline else None  # after the attempt, not before it
            if left is not None and delay >= left:
                raise ServiceUnavailable(
                    f"{self.service}: {reason}; no time left to retry before the deadline."
                )
            self._log(
                f"{self.service}: {reason}; retrying in {delay:.1f}s (attempt {attempt + 1}/{policy.attempts})."
            )
            self._clock.sleep(delay)

    def _exchange(self, request: httpx.Request, limit: int) -> httpx.Response:
        """One request and its whole body, read within `limit`: an answer with its body decoded."""
        response = self._client.send(request, stream=True)
        try:
            if bodies.declared_too_large(response.headers.get("content-length"), limit):
                raise bodies.TooLarge(limit)
            content = _loaded(response)
            if content is None:
                content = bodies.read_within(
                    response.iter_raw(bodies.CHUNK), response.headers.get("content-encoding"), limit
                )
            elif len(content) > limit:
                raise bodies.TooLarge(limit)
        finally:
            response.close()
        headers = [  # as they came, in bytes: a header need not be ASCII to be passed on
            (name, value)
            for name, value in response.headers.raw
            if name.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)

    def _pace(self, deadline: Deadline | None) -> None:
        """Wait for the rate gate to let the request go, asking again each time it says to wait."""
        said = False
        while (pause := self.gate.reserve()) > 0:
            if deadline is not None and pause >= deadline.remaining():
                self.gate.reserve(force=True)  # no time to wait for the quota: try anyway (a last cancel)
                return
            if pause >= PACING_LOG_SECONDS and not said:
                self._log(
                    f"{self.service}: API rate limit nearly used up; waiting {pause:.0f}s for it to reset."
                )
                said = True
            self._clock.sleep(pause)

    def _backoff(self, attempt: int, retry_after_seconds: float | None) -> float:
        if retry_after_seconds is not None:
            return retry_after_seconds + self._rng.uniform(0, 0.5)
        ceiling = min(self._policy.max_delay, self._policy.base_delay * 2 ** (attempt - 1))
        return self._rng.uniform(ceiling / 2, ceiling)

    def _failure(self, response: httpx.Response) -> Exception:
        status = response.status_code
        said = service_message(response, self.error_message)
        detail = f": {said}" if said else "."
        if status in (401, 403):
            return AuthenticationError(
                f"{self.service} refused the credentials (HTTP {status}){detail} Check the `{self._credential_input}` input."
            )
        if 300 <= status < 400:
            where = urlsplit(response.headers.get("location", "")).hostname
            return RequestRejected(
                f"{self.service} answered with a redirect (HTTP {status})"
                f"{f' to {where}' if where else ''}. Redirects are not followed, so the credentials "
                f"never leave {self.host}: check that the URL of the service is the API's own."
            )
        if status in RETRY_STATUSES:
            return ServiceUnavailable(f"{self.service} kept failing (HTTP {status}){detail}")
        if 400 <= status < 500:
            return RequestRejected(f"{self.service} rejected the request (HTTP {status}){detail}")
        return ServiceUnavailable(f"{self.service} answered HTTP {status} unexpectedly{detail}")


def _loaded(response: httpx.Response) -> bytes | None:
    """The body of an answer that came already read (a test's `MockTransport`), else None."""
    try:
        return response.content
    except httpx.ResponseNotRead:
        return None


def _clip(value: float, remaining: float | None) -> float:
    return value if remaining is None else max(0.5, min(value, remaining))


def _describe(exc: httpx.TransportError | Overdue) -> str:
    if isinstance(exc, Overdue):
        return f"no complete answer within {exc.seconds:.1f}s"
    names = {
        httpx.ConnectError: "connection failed",
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection",
        httpx.RemoteProtocolError: "connection closed unexpectedly",
        httpx.ReadError: "connection reset",
        httpx.WriteError: "connection reset while sending",
    }
    for kind, words in names.items():
        if isinstance(exc, kind):
            return words
    return type(exc).__name__
