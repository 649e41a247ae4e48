"""Testsigma (app.testsigma.com): runs a test plan of codeless tests (providers.md 2.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import ProviderSpec
from .settings import INPUTS, TestsigmaSettings, read_settings

if TYPE_CHECKING:
    from ...context import GitHubContext
    from .. import Provider, Wiring

# Results of a completed run that is neither a pass nor a failure (providers.md 2.1).
ERROR_CODES = {
    "ABORTED": "Testsigma aborted the run before its tests could complete",
    "NOT_EXECUTED": "Testsigma did not execute the test plan's tests",
    "FAILURE": "Testsigma reported the run as failed without counting a failed test; see the report",
}


def create(settings: TestsigmaSettings, context: GitHubContext, wiring: Wiring) -> Provider:
    from .client import TestsigmaProvider

    return TestsigmaProvider(settings, context, wiring)


SPEC = ProviderSpec(
    name="testsigma",
    display_name="Testsigma",
    description="runs a test plan of codeless tests",
    inputs=INPUTS,
    settings=TestsigmaSettings,
    read_settings=read_settings,
    api_url="https://app.testsigma.com",
    dashboard_url="https://app.testsigma.com",
    error_codes=ERROR_CODES,
    factory=create,
    notes={
        "api-key": "one from Settings → API Keys.",
        "environment": "a label shown in the report (default: the test plan).",
        "build-version": "sent as `buildNo`; default: the short commit SHA.",
        "environment-variables": "the run's `runtimeData`.",
    },
)
