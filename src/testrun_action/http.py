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
- A TLS failure (an unknown certificate authority, `https://` to a plain-http port) is permanent: it
  fails at once, in the words of the `ssl` error, with how to trust a private CA (`SSL_CERT_FILE`,
  which the client reads through `trust_env`).
- A request that failed for good names its method and URL, and an answer that suggests a wrong
  `api-url` (a 404, an HTML page, a refused connection) says to check it, with the expected base.
- Error messages name the service and the request, never headers or credentials.
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
from . import http_words as words
from .clock import Clock, Deadline, Overdue, run_within
from .envelopes import decode, service_message
from .errors import (
    AuthenticationError,
    DeliveryUncertain,
    MalformedResponse,
    RequestRejected,
    ServiceUnavailable,
    TlsFailure,
)
from .quota import RateGate, retry_after

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# A trigger may be repeated after these only when the service said when to come back.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
PACING_LOG_SECONDS = 5.0  # pauses this long or longer are said in the log
MIN_WALL = 1.0  # the least wall-clock time one attempt gets, even at the deadline (a last cancel)
# Attempts that end in silence (a connection accepted and no answer within the timeout) before giving
# up: a server that held two connections for a read timeout each without a byte will not answer a
# third, and each costs 30 s (RetryPolicy.read_timeout); other failures keep the policy's attempts.
SILENT_ATTEMPTS = 2
# An attempt still unanswered after this long says so in the log, so that no wait is silent for longer
# than this: a third of RetryPolicy.read_timeout, and far beyond an answer's usual time.
SLOW_LOG_SECONDS = 10.0


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
        url_input: str = "api-url",
        url_example: str | None = None,
    ) -> None:
        """`unprocessed`: answers that certainly acted on nothing (a rate limit): retried like a 429,
        even for a request that must not be repeated. `credential_input`: the input named when the
        service refuses the credentials. `body_limit`: the largest answer read, after decompression.
        `error_message`: the reason in the service's error answers (`service_message`). `url_input`: the
        input that gave `base_url`, named when an answer suggests it is wrong; `url_example`: its
        expected form (the provider's default)."""
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
        expected = f" (expected the API base, e.g. {url_example})" if url_example else ""
        self.url_hint = f"the `{url_input}` input{expected}"
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
            return response.status_code, self._decode(response)
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
        payload = self._decode(response)
        links = {
            rel: link["url"]
            for rel, link in response.links.items()
            if isinstance(rel, str) and self._same_origin(link.get("url", ""))
        }
        return payload, links

    def _decode(self, response: httpx.Response) -> Any:
        """The answer's JSON; a web page instead says it: a dashboard's URL given as the API's, or a
        proxy's page. Still a `MalformedResponse`: a proxy may answer so for a trigger the service took."""
        if words.is_html(response):
            raise MalformedResponse(
                f"{words.where(response.request)} was answered with an HTML page (HTTP {response.status_code}),"
                f" not the API's JSON. Check {self.url_hint}."
            )
        return decode(response, self.service)

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
        started = self._clock.now()
        attempt = silent = 0
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
                    wall,
                    functools.partial(self._exchange, request, limit),
                    f"{self.service} request",
                    slow=(SLOW_LOG_SECONDS, functools.partial(self._say_slow, request, timeout)),
                )
            except bodies.BodyError as exc:
                self.gate.unanswered()
                raise MalformedResponse(
                    f"{self.service} sent an answer that was refused: {exc} (from {self.host})."
                ) from None
            except (httpx.TransportError, Overdue) as exc:
                self.gate.unanswered()
                tls = words.tls_problem(exc)
                if tls is not None:  # permanent, and nothing was sent
                    problem, plain = tls
                    hint = (
                        f"The port may speak plain http, not https: check {self.url_hint}."
                        if plain
                        else words.TLS_HINT
                    )
                    raise TlsFailure(f"TLS: {problem} for {words.where(request)}. {hint}") from None
                not_sent = isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol
                )
                silent += isinstance(exc, httpx.ReadTimeout | Overdue)  # accepted, then no answer
                reason = words.describe(exc, request, timeout)
                if not (repeatable or not_sent):
                    raise DeliveryUncertain(
                        f"{self.service}: {reason} for {words.where(request)}; the request may have been received."
                    ) from None
                wait = None
                hint = f" Check {self.url_hint}." if not_sent else ""
                if attempt >= policy.attempts or silent >= SILENT_ATTEMPTS:
                    took = words.took(self._clock.now() - started)
                    raise ServiceUnavailable(
                        f"{self.service}: {reason} for {words.where(request)}"
                        f" ({words.plural(attempt, 'attempt')} over {took}).{hint}"
                    ) from None
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
                hint = ""
                not_processed = unprocessed or (status in NOT_PROCESSED_STATUSES and wait is not None)
                if not repeatable and not not_processed:
                    raise DeliveryUncertain(f"{self.service}: {reason}; the request may have been received.")
                if attempt >= policy.attempts:
                    return response
            delay = self._backoff(attempt, wait)
            left = deadline.remaining() if deadline else None  # after the attempt, not before it
            if left is not None and delay >= left:
                raise ServiceUnavailable(
                    f"{self.service}: {reason} for {words.where(request)}; no time left to retry before the"
                    f" deadline.{hint}"
                )
            most = policy.attempts if not silent else min(policy.attempts, attempt - silent + SILENT_ATTEMPTS)
            self._log(
                f"{self.service}: {reason} for {words.where(request)}; retrying in {delay:.1f}s"
                f" (attempt {attempt + 1} of at most {most})."
            )
            self._clock.sleep(delay)

    def _say_slow(self, request: httpx.Request, timeout: httpx.Timeout) -> None:
        self._log(
            f"{self.service}: no answer yet after {SLOW_LOG_SECONDS:.0f}s for {words.where(request)};"
            f" waiting up to {timeout.read:.0f}s."
        )

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
        if status in (401, 403):  # the service's words end in a full stop: the hint is a sentence of its own
            return AuthenticationError(
                f"{self.service} refused the credentials (HTTP {status})"
                f"{f': {words.sentence(said)}' if said else '.'} Check the `{self._credential_input}` input."
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
        if words.is_html(response) or (
            status in (404, 405) and words.no_such_path(said)
        ):  # not the API's URL
            said = f" ({said})" if said else ""
            return RequestRejected(
                f"{words.where(response.request)} was answered HTTP {status}{said}. Check {self.url_hint}."
            )
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
