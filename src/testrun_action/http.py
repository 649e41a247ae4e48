"""The HTTP layer every provider is built on: one timeout and retry policy, in one place.

- Every request has connect and read timeouts, clipped to the overall deadline, and a wall-clock
  limit (`clock.run_within`) that a server trickling its answer byte by byte cannot stretch.
- Every body is read within a size limit counted after decompression (`bodies`), and JSON is
  decoded safely (lone surrogates replaced, deep nesting refused): a bad body is a `MalformedResponse`.
- Transient failures (connection errors, 408, 429, 500, 502, 503, 504) are retried with exponential
  backoff and full jitter, honouring `Retry-After` (seconds or an HTTP date) and `RateLimit-Reset`,
  never sleeping past the deadline.
- Where a service announces its quota (`RateLimit-Remaining` / `RateLimit-Reset`), requests slow down
  before it runs out instead of running into 429s (`RateGate`); threads sharing a client share it.
- `Link` headers (RFC 8288) are read for pagination, and only links to the API's own origin are
  followed, so the token is never sent to another host.
- A request that must not be repeated (a trigger) is retried only when it certainly did not reach the
  service: the connection was refused or never made, a 429/503 asked us to come back later, or the
  client's `unprocessed` predicate recognises the answer as one that acted on nothing (a service whose
  rate limit is an HTTP 500, providers.md 2.2). Any other failure raises
  `DeliveryUncertain`, so the caller can look for what it may have created.
- Other 4xx fail at once with the service's own message (where its envelope has it: `error_message`,
  or the client's own reader). Malformed JSON is a `MalformedResponse`.
- Redirects are never followed (the key would go wherever they point): a 3xx is a clear error.
- Headers with odd numbers (`"²".isdigit()` is true) count as absent.
- Error messages name the service and the host, never headers or credentials.
"""

from __future__ import annotations

import email.utils
import functools
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import bodies
from .clock import Clock, Deadline, Overdue, run_within
from .errors import (
    AuthenticationError,
    DeliveryUncertain,
    MalformedResponse,
    RequestRejected,
    ServiceUnavailable,
)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# A trigger may be repeated after these only when the service said when to come back.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
MESSAGE_LIMIT = 500  # characters of a service's error message quoted back to the user
# Quota headers: the pair of the IETF draft (`RateLimit-Remaining`, `RateLimit-Reset`), and the same pair
# per scope where a service has several quotas (`RateLimit-<scope>-Remaining`: providers.md 3.4).
_QUOTA_HEADER = re.compile(r"ratelimit(-[a-z0-9]{1,20})?-(?:remaining|reset)")
MAX_QUOTA_SCOPES = 4  # more is not a real service's answer: the rest are not read
# Below this many requests left in the window, the rest are spread over the time until it resets.
RATE_LOW_WATER = 10
PACING_LOG_SECONDS = 5.0  # pauses this long or longer are said in the log
# A wait a header asks for beyond this is not believed. Documented quota windows are a minute
# (providers.md 3.4); an hour is far beyond any service's.
LONGEST_WAIT = 3600
MIN_WALL = 1.0  # the least wall-clock time one attempt gets, even at the deadline (a last cancel)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


def retry_after(headers: Mapping[str, str], now_epoch: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date) or `RateLimit-Reset` (seconds)."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        seconds = _whole(value)
        if seconds is not None:
            return float(seconds) if seconds <= LONGEST_WAIT else None
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError):
            when = None
        if when is not None and when.tzinfo is not None:
            now = now_epoch if now_epoch is not None else time.time()
            wait = max(0.0, when.timestamp() - now)
            return wait if wait <= LONGEST_WAIT else None
    return rate_limit_reset(headers)


def _whole(value: str | None) -> int | None:
    """A whole number of ASCII digits no larger than `LONGEST_WAIT`-like sizes; anything else is None."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)


def quota_scopes(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (remaining, reset) header names of each quota the answer announces, unscoped first."""
    scopes: list[tuple[str, str]] = []
    for name in headers:
        found = _QUOTA_HEADER.fullmatch(name.lower())
        if found:
            scope = found.group(1) or ""
            pair = (f"ratelimit{scope}-remaining", f"ratelimit{scope}-reset")
            if pair not in scopes and len(scopes) < MAX_QUOTA_SCOPES:
                scopes.append(pair)
    return sorted(scopes, key=lambda pair: pair[0] != "ratelimit-remaining")


def rate_limit_reset(headers: Mapping[str, str]) -> float | None:
    """Seconds until the exhausted quota resets: of the scopes with nothing left (or not saying how much
    is left), the longest wait; when none is exhausted, the longest of all (providers.md 3.4)."""
    resets, exhausted = [], []
    for remaining_name, reset_name in quota_scopes(headers):
        reset = _whole(headers.get(reset_name))
        if reset is None or reset > LONGEST_WAIT:
            continue
        resets.append(reset)
        if _whole(headers.get(remaining_name)) in (None, 0):
            exhausted.append(reset)
    pool = exhausted or resets
    return float(max(pool)) if pool else None


@dataclass(frozen=True, slots=True)
class Headroom:
    """What is left of an announced rate limit: requests, and seconds until the window resets."""

    remaining: int
    reset_in: float


@dataclass
class _Quota:
    remaining: int
    reset_at: float  # on the client's clock
    next_at: float = 0.0  # the earliest moment of the next paced request


class RateGate:
    """Spends an announced request quota evenly instead of running into 429s.

    Each response's `RateLimit-*` headers (the tighter of the organization and user scopes) say how
    many requests are left and when the window resets. While more than `RATE_LOW_WATER` are left,
    requests go at once; below that, they are spaced over the rest of the window; with none left,
    they wait for the reset. Reservations count down locally, so threads sharing the client don't
    all spend the last request.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._quota: _Quota | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        tightest: tuple[int, int] | None = None
        for remaining_name, reset_name in quota_scopes(headers):
            remaining, reset = _whole(headers.get(remaining_name)), _whole(headers.get(reset_name))
            if reset is not None and reset > LONGEST_WAIT:
                continue
            if remaining is not None and reset is not None and (tightest is None or remaining < tightest[0]):
                tightest = (remaining, reset)
        if tightest is None:
            return
        with self._lock:
            old, now = self._quota, self._clock.now()
            remaining, reset_at = tightest[0], now + tightest[1]
            # The same window (its reset is announced in whole seconds): an answer to a request sent
            # before others were reserved counts fewer spent than we know of, so keep the lower count.
            if old is not None and now < old.reset_at and reset_at <= old.reset_at + 1.0:
                remaining = min(remaining, old.remaining)
            self._quota = _Quota(remaining, reset_at, old.next_at if old else 0.0)

    def headroom(self) -> Headroom | None:
        """The quota as last announced, less the requests reserved since; None when none is known."""
        with self._lock:
            quota, now = self._quota, self._clock.now()
            if quota is None or now >= quota.reset_at:
                return None
            return Headroom(quota.remaining, quota.reset_at - now)

    def reserve(self) -> float:
        """Seconds to wait before sending the next request; counts the request as spent."""
        with self._lock:
            quota, now = self._quota, self._clock.now()
            if quota is None or now >= quota.reset_at:
                self._quota = None
                return 0.0
            if quota.remaining > RATE_LOW_WATER:
                quota.remaining -= 1
                return 0.0
            if quota.remaining <= 0:
                return quota.reset_at - now
            start = max(now, quota.next_at)
            quota.next_at = start + (quota.reset_at - now) / quota.remaining
            quota.remaining -= 1
            return start - now


def error_message(body: Any) -> Any:
    """The reason in the common error envelopes: `{"error": {"message": ...}}`, `{"error": "..."}`,
    `{"message": ...}` or `{"errors": [...]}`. A service with another envelope gives its client its own
    reader (`HttpClient(error_message=...)`), which may start from this one."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else error
    return message or body.get("message") or body.get("errors")


def service_message(response: httpx.Response, read: Callable[[Any], Any] | None = None) -> str:
    """The service's own words from an error response, found by `read` (`error_message` unless given)."""
    try:
        body = bodies.loads(response.content)
    except bodies.BodyError:
        text = bodies.clean_text(response.content[:4096].decode("utf-8", "replace")).strip()
        return text[:MESSAGE_LIMIT] if text and "<html" not in text[:200].lower() else ""
    message = (read or error_message)(body)
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    return str(message)[:MESSAGE_LIMIT] if message else ""


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
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        deadline: Deadline | None = None,
        repeatable: bool = True,
        accept: tuple[int, ...] = (),
        attempts: int | None = None,
    ) -> tuple[int, Any]:
        """Send a request and return (status, decoded JSON). 2xx and the statuses in `accept` return;
        everything else raises a `TestrunError`. `files` sends a multipart form instead of JSON.
        `attempts` overrides the policy's, e.g. 1 for a best-effort request that is not worth a retry."""
        response = self.send(
            method,
            path,
            params=params,
            body=body,
            files=files,
            deadline=deadline,
            repeatable=repeatable,
            attempts=attempts,
        )
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
            self._pace(deadline.remaining() if deadline else None)
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
                raise MalformedResponse(
                    f"{self.service} sent an answer that was refused: {exc} (from {self.host})."
                ) from None
            except (httpx.TransportError, Overdue) as exc:
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

    def _pace(self, remaining: float | None) -> None:
        pause = self.gate.reserve()
        if pause <= 0:
            return
        if remaining is not None and pause >= remaining:
            return  # no time to wait for the quota: try anyway (a cancel at a deadline is worth it)
        if pause >= PACING_LOG_SECONDS:
            self._log(f"{self.service}: API rate limit nearly used up; waiting {pause:.0f}s for it to reset.")
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


def decode(response: httpx.Response, service: str) -> Any:
    """The answer's JSON, made safe (`bodies.loads`): lone surrogates replaced, deep nesting refused."""
    try:
        return bodies.loads(response.content)
    except bodies.BodyError as exc:
        kind = response.headers.get("content-type", "no content type").split(";")[0][:60]
        what = "is not JSON" if str(exc) == "not JSON" else f"is not JSON we can read ({exc})"
        raise MalformedResponse(
            f"{service} returned a response that {what} (HTTP {response.status_code}, {kind})."
        ) from None


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
