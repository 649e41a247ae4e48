"""Testsigma's answers, as the run's reads (`client`) and the failures (`failures`) find them."""

from __future__ import annotations

from typing import Any

PASSED_RESULTS = frozenset({"SUCCESS", "PASSED"})
FAILED_RESULTS = frozenset({"FAILURE", "FAILED"})


def content(payload: Any) -> list[dict[str, Any]]:
    """The items of a v2 page (`content`, Spring's page shape), tolerating a bare list."""
    items = payload.get("content") if isinstance(payload, dict) else payload
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
