"""Empirical's answers, as both the run's reads (`client`) and the history (`history`) find them."""

from __future__ import annotations

from typing import Any

from ...errors import MalformedResponse
from ..readers import mapping

FAILED_STATUSES = frozenset({"failed", "timedout", "interrupted", "unexpected"})


def run_items(payload: Any) -> list[dict[str, Any]]:
    test_runs = mapping(mapping(payload, "data"), "test_runs")
    found = test_runs.get("items")
    if not isinstance(found, list):
        raise MalformedResponse("Empirical's run list has no `data.test_runs.items`.")
    return [item for item in found if isinstance(item, dict)]


def summary_details(payload: Any) -> list[dict[str, Any]] | None:
    """`data.test_run.flattenedSummaryDetails` (observed, providers.md 1.4), tolerating snake case."""
    run = mapping(mapping(payload, "data"), "test_run")
    details = run.get("flattenedSummaryDetails", run.get("flattened_summary_details"))
    if not isinstance(details, list):
        return None
    return [d for d in details if isinstance(d, dict)]
