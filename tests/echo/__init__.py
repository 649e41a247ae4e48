"""Echo: a toy test service defined only in the test suite, plugged in as a third party's provider would
be (CONTRIBUTING.md, "Adding a provider"): its spec, settings, client and simulator live here, and the
action finds it through the entry point group `testrun_action.providers` (`plugin_path`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from testrun_action.inputs import Input
from testrun_action.providers.registry import ProviderSpec

from .settings import INPUTS, EchoSettings, read_settings

if TYPE_CHECKING:
    from testrun_action.context import GitHubContext
    from testrun_action.providers import Provider, Wiring

ERROR_CODES = {"silent": "The echo service heard nothing back"}


def create(settings: EchoSettings, context: GitHubContext, wiring: Wiring) -> Provider:
    from .client import EchoProvider

    return EchoProvider(settings, context, wiring)


SPEC = ProviderSpec(
    name="echo",
    display_name="Echo",
    description="echoes a word back as a test run",
    inputs=INPUTS,
    settings=EchoSettings,
    read_settings=read_settings,
    api_url="http://127.0.0.1:9",
    dashboard_url="http://127.0.0.1:9/dashboard",
    error_codes=ERROR_CODES,
    factory=create,
    notes={"environment": "a label shown in the report (default: the word)."},
)
# A plug-in that declares another meaning for an input a built-in provider declares: left out.
CLASHING = replace(SPEC, inputs=(*INPUTS, Input("organization", "The echo chamber to shout into.")))
