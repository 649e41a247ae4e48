"""Error envelopes: the service's own words from an error answer, and the JSON of a good one, read safely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from . import bodies
from .errors import MalformedResponse

MESSAGE_LIMIT = 500  # characters of a service's error message quoted back to the user


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
    """The service's own words from an error response, found by `read` (`error_message` unless given).
    Their backticks become quotes: in a message, a code span is ours (`report.markdown.prose`)."""
    try:
        body = bodies.loads(response.content)
    except bodies.BodyError:
        text = bodies.clean_text(response.content[:4096].decode("utf-8", "replace")).strip()
        return _unticked(text[:MESSAGE_LIMIT]) if text and "<html" not in text[:200].lower() else ""
    return said(body, read)


def said(body: Any, read: Callable[[Any], Any] | None = None) -> str:
    """The service's own words in an answer already decoded, found by `read` (`error_message` unless
    given): clipped, their backticks made quotes; empty when it says none."""
    message = (read or error_message)(body)
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    return _unticked(str(message)[:MESSAGE_LIMIT]) if message else ""


def _unticked(said: str) -> str:
    return said.replace("`", "'")


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
