"""Empirical (empirical.run): runs a Playwright suite against an environment (providers.md 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..build import BUILD_INPUTS
from ..registry import ProviderSpec
from .settings import INPUTS, EmpiricalSettings, read_settings

if TYPE_CHECKING:
    from ...context import GitHubContext
    from .. import Provider, Wiring

# Error codes of a failed run (seed 002).
ERROR_CODES = {
    "merge_conflict": "Merge conflict detected when merging the test branch",
    "dispatch_failed": "Failed to dispatch the test run to workers",
    "report_not_generated": "Test report was not generated",
    "run_failed_with_error": "Test run failed with an error during execution",
    "worker_interrupted": "Test run worker was interrupted",
    "merge_reports_failed": "Failed to merge sharded reports",
}


def create(settings: EmpiricalSettings, context: GitHubContext, wiring: Wiring) -> Provider:
    from .client import EmpiricalProvider

    return EmpiricalProvider(settings, context, wiring)


SPEC = ProviderSpec(
    name="empirical",
    display_name="Empirical",
    description="runs a Playwright suite against one of your environments",
    inputs=(*INPUTS, *BUILD_INPUTS),
    settings=EmpiricalSettings,
    read_settings=read_settings,
    api_url="https://api.empirical.run",
    dashboard_url="https://dash.empirical.run",
    error_codes=ERROR_CODES,
    factory=create,
    notes={
        "api-key": "a project API key.",
        "auth-key": "the name its dispatch-action uses.",
        "environment": "the environment slug to run the tests against (e.g. `staging`); required.",
        "test-branch": "it forbids a test branch together with build info, so none is sent when it is set.",
    },
)
