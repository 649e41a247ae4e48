"""Rate limits as services announce them: how long to wait (`Retry-After`, `RateLimit-Reset`), and the
gate that spends an announced quota evenly instead of running into 429s (`RateGate`).

- `Retry-After` is read as seconds or an HTTP date; `RateLimit-Reset` as seconds, per scope where a
  service has several quotas (providers.md 3.4).
- Headers with odd numbers (`"²".isdigit()` is true) count as absent; a wait beyond `LONGEST_WAIT`
  is not believed.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .clock import Clock

# Quota headers: the pair of the IETF draft (`RateLimit-Remaining`, `RateLimit-Reset`), and the same pair
# per scope where a service has several quotas (`RateLimit-<scope>-Remaining`: providers.md 3.4).
_QUOTA_HEADER = re.compile(r"ratelimit(-[a-z0-9]{1,20})?-(?:remaining|reset)")
MAX_QUOTA_SCOPES = 4  # more is not a real service's answer: the rest are not read
# Requests of a window left unspent, for other jobs sharing the key (a matrix) and their answers in flight:
# each process spreads only what is above this over the time to the reset, then waits for the reset.
# The poll schedule keeps as many back (polling.QUOTA_RESERVE).
RATE_LOW_WATER = 10
# Requests a process may send ahead of its even pace: the four pages or runs read at once (paging.WORKERS).
# Beyond that it spends no faster than what is left over the time to the reset, so jobs sharing a key
# (a matrix) leave each other room: each slows down as the shared count falls, and none runs it out.
RATE_BURST = 4
# Once a window has reset, a single request goes, and the others wait this long at most for its answer
# (which says what the new window holds) before one of them goes instead: a few times a request's usual
# round trip, far below a window (a minute, providers.md 3.4).
PROBE_SECONDS = 2.0
# How often a request waiting for that answer asks again: a small part of PROBE_SECONDS.
RECHECK_SECONDS = 0.1
# A wait a header asks for beyond this is not believed. Documented quota windows are a minute
# (providers.md 3.4); an hour is far beyond any service's.
LONGEST_WAIT = 3600


def retry_after(headers: Mapping[str, str]) -> float | None:
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
            now = time.time()
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
    remaining: int  # as last announced, less our requests sent since (and those not answered then)
    reset_at: float  # on the client's clock
    next_at: float | None = None  # the earliest moment of the next paced request; None: not paced yet


class RateGate:
    """Spends an announced request quota evenly instead of running into 429s.

    Each response's `RateLimit-*` headers (the tighter of the organization and user scopes) say how
    many requests are left and when the window resets. What is left beyond `RATE_LOW_WATER` is spread
    evenly over the time to the reset, after at most `RATE_BURST` requests at a process's start; the
    rest waits for the reset.

    Every request asks for its turn when it is about to go (`reserve`), and a request told to wait asks
    again then: nothing is promised ahead on figures that other jobs sharing the key make stale in the
    meantime, so each turn is decided on the freshest answer. Our own requests not answered yet count as
    spent, whatever the figures said before they were counted. Once a window has reset, nothing is
    known of the next one: a single request goes and the others wait for its answer (`PROBE_SECONDS`
    at most), so that jobs idle through the reset do not all spend the new window at once on figures
    from the last.

    A 429 closes the gate for every request of the process (history reads, status reads, a cancel)
    until the reset it announces (`hold`): no request of ours meets a refusal another already got.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._quota: _Quota | None = None
        self._announced = False  # the service has announced a quota: pace by it from now on
        self._closed_until = 0.0  # after a 429: no request before this moment, on the clock
        self._burst = RATE_BURST  # requests still allowed ahead of the pace: once per process, not per window
        self._in_flight = 0  # our requests sent and not answered yet
        self._probe_until = 0.0  # a request sent into an unknown window: the others wait for its answer

    def hold(self, seconds: float) -> None:
        """A 429 answered: every request waits `seconds` (the announced reset), whoever sends it."""
        with self._lock:
            self._closed_until = max(self._closed_until, self._clock.now() + max(0.0, seconds))

    def observe(self, headers: Mapping[str, str]) -> None:
        """An answer to one of our requests, with what its headers say of the quota."""
        tightest: tuple[int, int] | None = None
        for remaining_name, reset_name in quota_scopes(headers):
            remaining, reset = _whole(headers.get(remaining_name)), _whole(headers.get(reset_name))
            if reset is not None and reset > LONGEST_WAIT:
                continue
            if remaining is not None and reset is not None and (tightest is None or remaining < tightest[0]):
                tightest = (remaining, reset)
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if tightest is None:
                return
            old, now = self._quota, self._clock.now()
            # Ours still unanswered may have been counted after this answer's figure: count them spent.
            remaining, reset_at = tightest[0] - self._in_flight, now + tightest[1]
            # The same window (its reset is announced in whole seconds): an answer to a request sent
            # before others were reserved counts fewer spent than we know of, so keep the lower count.
            if old is not None and now < old.reset_at and reset_at <= old.reset_at + 1.0:
                remaining = min(remaining, old.remaining)
            self._quota = _Quota(remaining, reset_at, old.next_at if old else None)
            self._announced, self._probe_until = True, 0.0

    def unanswered(self) -> None:
        """One of our requests ended without an answer (a broken connection, a body refused)."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._probe_until = 0.0

    def headroom(self) -> Headroom | None:
        """The quota as last announced, less the requests reserved since; None when none is known."""
        with self._lock:
            quota, now = self._quota, self._clock.now()
            if quota is None or now >= quota.reset_at:
                return None
            return Headroom(quota.remaining, quota.reset_at - now)

    def reserve(self, *, force: bool = False) -> float:
        """0.0: the request may go now, and counts as spent. Otherwise the seconds to wait before asking
        again (nothing is counted). `force`: it goes now whatever the quota says (a last cancel at a
        deadline), counted all the same."""
        with self._lock:
            now = self._clock.now()
            wait = self._wait(now)
            if wait > 0 and not force:
                return wait
            self._spend(now)
            return 0.0

    def _wait(self, now: float) -> float:
        closed = self._closed_until - now
        if closed > 0:
            return closed
        quota = self._quota
        if quota is None or now >= quota.reset_at:  # nothing known of this window
            self._quota = None
            if self._announced and now < self._probe_until:
                return min(RECHECK_SECONDS, self._probe_until - now)
            return 0.0
        usable = quota.remaining - RATE_LOW_WATER  # the rest is left to other jobs sharing the key
        if usable <= 0:
            return quota.reset_at - now
        if self._burst > 0 and usable > RATE_BURST:  # the process's first requests: at once
            return 0.0
        # An idle spell earns one request at once, never a burst: jobs sharing the key that all
        # wake at a window's start would otherwise spend it together.
        return max(0.0, quota.next_at - now) if quota.next_at is not None else 0.0

    def _spend(self, now: float) -> None:
        self._in_flight += 1
        quota = self._quota
        if quota is None:
            if self._announced:  # the one request into an unknown window
                self._probe_until = now + PROBE_SECONDS
            return
        usable = quota.remaining - RATE_LOW_WATER
        if self._burst > 0 and usable > RATE_BURST:
            self._burst -= 1
        else:
            start = now if quota.next_at is None else max(now, quota.next_at)
            quota.next_at = start + (quota.reset_at - now) / max(1, usable)
        quota.remaining -= 1
