"""Empirical's settings: the common ones, the build under test, and its own inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import parsing
from ...errors import ConfigurationError
from ...inputs import Input
from ...settings import Settings
from ..build import BuildSettings, read_build

INPUTS = (
    Input("project-id", "Empirical project id, sent as `x-project-id` (needed with user tokens only)."),
    Input("tags", "Run only tests with these tags, comma or newline separated (e.g. `@smoke`)."),
    Input("total-shards", "Split the run across this many shards (1 or more)."),
    Input("rerun-of", "Id of an earlier run that this run re-runs."),
    Input(
        "rerun-only-failed",
        "With `rerun-of`: re-run only the tests that failed (`true`/`false`).",
        boolean=True,
    ),
    Input(
        "reports-url",
        "Base URL of Empirical's Playwright report pages, where the report's `Playwright report` and video "
        "links point.",
        shown_default="`https://reports.empirical.run`",
    ),
    Input(
        "send-notifications",
        "Whether the service sends its own run notifications (`true`/`false`).",
        boolean=True,
    ),
)
# Where the Playwright reports are served (providers.md 1.6, observed).
REPORTS_URL = "https://reports.empirical.run"
# Run ids are numbers (providers.md 1.2), within JSON's exact integers.
MAX_ID = 2**53


class EmpiricalSettings(BuildSettings, Settings):
    project_id: int | None
    tags: tuple[str, ...]
    total_shards: int | None
    rerun_of: int | None
    rerun_only_failed: bool | None
    send_notifications: bool | None
    reports_url: str


def read_settings(raw: Mapping[str, str], common: Mapping[str, Any]) -> dict[str, Any]:
    if common["run_id"] is not None:
        parsing.integer("run-id", common["run_id"], minimum=1, maximum=MAX_ID)
    if common["environment"] is None and common["run_id"] is None:
        raise ConfigurationError("environment", "is required: the slug of the environment to test.")
    return {
        # Attached with `run-id` alone: the run says its environment (`Flow`), empty until then.
        "environment": common["environment"] or "",
        "project_id": parsing.integer("project-id", raw["project-id"], minimum=1, maximum=MAX_ID),
        "tags": parsing.tags("tags", raw["tags"]),
        "total_shards": parsing.integer("total-shards", raw["total-shards"], minimum=1, maximum=1000),
        "rerun_of": parsing.integer("rerun-of", raw["rerun-of"], minimum=1, maximum=MAX_ID),
        "rerun_only_failed": parsing.optional_boolean("rerun-only-failed", raw["rerun-only-failed"]),
        "send_notifications": parsing.optional_boolean("send-notifications", raw["send-notifications"]),
        "reports_url": parsing.url("reports-url", raw["reports-url"]) or REPORTS_URL,
        **read_build(raw),
    }
