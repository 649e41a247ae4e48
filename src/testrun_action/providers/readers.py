"""Small defensive readers of a service's JSON, for the fields that enrich a report (names, links,
history): a value of the wrong type reads as absent, never as a default that could decide a verdict.
The fields the verdict depends on are read strictly instead (`wire`)."""

from __future__ import annotations

from typing import Any

from .wire import count_or_none


def mapping(node: Any, key: str) -> dict[str, Any]:
    """`node[key]` when both are JSON objects; else an empty one."""
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def count(node: Any, key: str) -> int | None:
    """`node[key]` as a count (`wire.whole_number`); None when it is missing or not one."""
    return count_or_none(node.get(key)) if isinstance(node, dict) else None


def text(value: Any) -> str:
    """A string without its surrounding blanks; "" for anything else."""
    return value.strip() if isinstance(value, str) else ""


def first_text(*values: Any) -> str | None:
    """The first of `values` that is a string with more than blanks, stripped; else None."""
    return next((text(value) for value in values if text(value)), None)


def positive(value: Any) -> float | None:
    """A JSON number above 0 (booleans are not numbers); else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None
