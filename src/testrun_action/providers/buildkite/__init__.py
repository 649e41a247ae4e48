"""Buildkite: triggers a Pipelines build and reads its Test Engine run (providers.md 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..build import BUILD_INPUTS
from ..registry import ProviderSpec
from .settings import INPUTS, BuildkiteSettings, read_settings

if TYPE_CHECKING:
    from ...context import GitHubContext
    from .. import Provider, Wiring

# Why a build's outcome is unknown or not a pass (`client`).
ERROR_CODES = {
    "stale": "Test Engine received no results for the run in time (stale)",
    "no_results": "The Test Engine run finished without any test results",
    "no_test_run": "No Test Engine run appeared for the build in this suite; do its jobs upload test results?",
    "failures_unlisted": "Test Engine reported failed tests, but they could not be listed",
    "build_failed": "The build failed although no test failed",
    "blocked": "The build stopped at a block step",
    "skipped": "The build was skipped",
    "not_run": "The build was not run",
    "waiting_failed": "A build the pipeline waited on failed",
}


def create(settings: BuildkiteSettings, context: GitHubContext, wiring: Wiring) -> Provider:
    from .client import BuildkiteProvider

    return BuildkiteProvider(settings, context, wiring)


SPEC = ProviderSpec(
    name="buildkite",
    display_name="Buildkite",
    description="builds a pipeline and reads the tests' results from Test Engine",
    inputs=(*INPUTS, *BUILD_INPUTS),
    settings=BuildkiteSettings,
    read_settings=read_settings,
    api_url="https://api.buildkite.com",
    # Report links come from the API's own `web_url`s; the dashboard URL is only a fallback.
    dashboard_url="https://buildkite.com",
    error_codes=ERROR_CODES,
    factory=create,
    notes={
        "api-key": "an API access token with the `read_builds`, `write_builds` and `read_suites` scopes.",
        "dashboard-url": "its links come from its API.",
        "environment": "a label shown in the report (default: the pipeline slug).",
        "test-branch": "build the head of this branch instead of the commit under test (for a pipeline of a "
        "separate test repository).",
        "metadata": "the build's meta-data (values sent as strings).",
        "environment-variables": "the build's `env`.",
        "run-id": "a Test Engine run UUID, or a build number.",
    },
)
