"""Small defensive readers of a service's JSON, for the fields that enrich a report (names, links,
history): a value of the wrong type reads as absent, never as a default that could decide a verdict.
The fields the verdict depends on are read strictly instead (`wire`)."""

from __future__ import annotations

import math
from typing import Any

from .wire import count_or_none

# No test runs longer than the longest job that could follow it: GitHub stops a job on a self-hosted
# runner after 5 days (the cap of `timeout-minutes`, settings.py). A longer duration is not believed.
MAX_TEST_SECONDS = 5 * 24 * 3600.0


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


def duration_seconds(value: Any, unit: float = 1.0) -> float | None:
    """One test's duration in seconds from a JSON number of `unit` seconds (1000 for milliseconds): None
    when it is not a finite number within 0 and `MAX_TEST_SECONDS` (a string, NaN, a negative or a huge
    value reads as absent: the report shows no time rather than a wrong one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = value / unit
    except OverflowError:  # an integer too large for a float
        return None
    return float(seconds) if math.isfinite(seconds) and 0 <= seconds <= MAX_TEST_SECONDS else None
