"""Reading every page of a list that paginates with `Link` headers (Buildkite, providers.md 3.4).

The first page is read alone. When its `rel="last"` link says how many pages there are, the rest are
fetched a few at a time on threads sharing the one `HttpClient` (and so its retry policy and rate-limit
pacing); otherwise `rel="next"` is followed page by page. Either way at most `max_pages` are read, and
the result says whether that was everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .clock import Deadline
from .errors import MalformedResponse
from .http import HttpClient

T = TypeVar("T")
R = TypeVar("R")
WORKERS = 4  # pages in flight at once; the rate gate still spaces them when the quota runs low


@dataclass(frozen=True, slots=True)
class Pages:
    items: list[dict[str, Any]]
    pages_read: int
    pages_total: int | None  # from `rel="last"`, when the service said
    complete: bool  # every page was read


def page_number(url: str | None) -> int | None:
    if not url:
        return None
    value = dict(parse_qsl(urlsplit(url).query)).get("page", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def with_page(url: str, page: int) -> str:
    """The same URL asking for another page: every other query parameter is kept as the service gave it."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "page"]
    query.append(("page", str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def read_all(
    http: HttpClient,
    path: str,
    *,
    params: Mapping[str, str | int],
    deadline: Deadline,
    max_pages: int,
    what: str,
    all_or_nothing: bool = False,
) -> Pages:
    """Every item of a paginated JSON array, in page order. Errors from any page propagate.
    `all_or_nothing`: when the first page says there are more than `max_pages`, stop there (for a
    caller that has no use for part of the list)."""
    payload, links = http.json_page(path, params=params, deadline=deadline)
    items = _items(payload, what)
    last = page_number(links.get("last"))
    next_url = links.get("next")
    if next_url is None:
        return Pages(items, 1, last or 1, complete=True)
    if all_or_nothing and last is not None and last > max_pages:
        return Pages(items, 1, last, complete=False)
    if last is not None and last > 1:
        wanted = [with_page(next_url, page) for page in range(2, min(last, max_pages) + 1)]
        for page in _concurrently(http, wanted, deadline, what):
            items.extend(page)
        read = len(wanted) + 1
        return Pages(items, read, last, complete=read >= last)
    read = 1
    while next_url is not None and read < max_pages:
        payload, links = http.json_page(next_url, deadline=deadline)
        items.extend(_items(payload, what))
        read += 1
        next_url = links.get("next")
    return Pages(items, read, None, complete=next_url is None)


def _concurrently(
    http: HttpClient, urls: list[str], deadline: Deadline, what: str
) -> list[list[dict[str, Any]]]:
    def fetch(url: str) -> list[dict[str, Any]]:
        payload, _ = http.json_page(url, deadline=deadline)
        return _items(payload, what)

    return concurrently(fetch, urls)


def concurrently(fetch: Callable[[T], R], items: Iterable[T], workers: int = WORKERS) -> list[R]:
    """`fetch` of each item, a few at a time, results in order; the first error propagates."""
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
    try:
        futures = [executor.submit(fetch, item) for item in items]
        return [future.result() for future in futures]
    finally:
        # On an error or an interruption, requests not yet started are dropped, not awaited.
        executor.shutdown(wait=False, cancel_futures=True)


def _items(payload: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(payload, list):
        raise MalformedResponse(f"{what}: expected a JSON array.")
    return [item for item in payload if isinstance(item, dict)]
