"""Buildkite's builds and Test Engine runs as read: their shapes (checked where the verdict reads them),
what their states mean, and how they are shown to users (providers.md 3.6, builds.md, seed 004)."""

from __future__ import annotations

from typing import Any

from ... import envelopes
from ...errors import MalformedResponse
from ...model import Phase
from ..adoption import parse_time
from ..readers import text as _text
from ..wire import Count, Wire

# Build states (providers.md 3.6); anything unknown is treated as still running.
BUILD_PHASES = {
    "creating": Phase.WAITING,
    "scheduled": Phase.WAITING,
    "waiting": Phase.WAITING,
    "running": Phase.RUNNING,
    "failing": Phase.RUNNING,
    "canceling": Phase.CANCELLING,
}
TESTED_STATES = frozenset({"passed", "failed", "blocked"})  # the build ran; its tests decide
NOT_RUN_STATES = frozenset({"skipped", "not_run", "waiting_failed"})  # the build never ran its tests
CANCELLABLE_STATES = frozenset({"scheduled", "running", "failing"})  # builds.md, "Cancel a build"


class Build(Wire):
    """A Pipelines build (builds.md): the fields the verdict reads, checked; the rest ignored."""

    id: str | None = None
    number: Count | None = None
    state: str | None = None
    blocked: bool | None = None
    web_url: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class EngineRun(Wire):
    """A Test Engine run (seed 004)."""

    id: str
    state: str | None = None
    result: str | None = None
    build_id: str | None = None
    web_url: str | None = None
    created_at: str | None = None


def state_label(build: dict[str, Any] | None, state: str, result: str) -> str:
    """The state shown to users: e.g. `build failed; tests finished (failed)`."""
    prefix = ""
    if build is not None:
        prefix = "build blocked; " if build.get("blocked") is True else f"build {_text(build.get('state'))}; "
    return f"{prefix}tests {state} ({result})"


def build_number(build: Any) -> str:
    number = build.get("number") if isinstance(build, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise MalformedResponse("Buildkite's new build has no build number.")
    return str(number)


def duration(build: dict[str, Any]) -> float | None:
    start = parse_time(build.get("started_at")) or parse_time(build.get("created_at"))
    end = parse_time(build.get("finished_at"))
    return (end - start).total_seconds() if start and end and end >= start else None


def error_message(body: Any) -> Any:
    """Buildkite's validation errors: `{"message": "Validation Failed", "errors": [...]}` (providers.md 3.4)."""
    message = envelopes.error_message(body)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(message, str) and isinstance(errors, list) and errors:
        return f"{message}: {'; '.join(str(e) for e in errors)}"
    return message
