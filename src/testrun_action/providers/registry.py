"""The provider registry: what each test service declares, so that nothing outside its package names it.

A provider is a package with a `SPEC` (a `ProviderSpec`). The built-in ones are the packages under
`providers/`, found there; any installed distribution adds one through the entry point group
`testrun_action.providers`, whose object is its `ProviderSpec`:

    [testrun_action.providers]
    acme = acme_testrun.provider:SPEC

Specs are light: their package's `__init__` holds the declarations and imports its client only inside
`factory`, so that only the chosen provider's code is imported on the way to the trigger.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..context import GitHubContext
    from ..inputs import Input
    from ..settings import Settings
    from . import Provider, Wiring

ENTRY_POINT_GROUP = "testrun_action.providers"
DEFAULT_PROVIDER = "empirical"  # the `provider` input's default, listed first


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """Everything the action knows about one test service before its client is imported."""

    name: str  # the `provider` input's value, e.g. `empirical`
    display_name: str  # shown to users, e.g. `Empirical`
    description: str  # what it runs, one line for the README's list of services
    inputs: tuple[Input, ...]  # the inputs only it reads: generated into action.yml and docs/inputs.md
    settings: type[Settings]  # its pydantic settings model: the common settings and its own fields
    # Its own fields, read from the raw inputs and the parsed common ones (which it may refine: a default
    # `environment`, a checked `run-id`); a bad value raises a `ConfigurationError` naming the input.
    read_settings: Callable[[Mapping[str, str], Mapping[str, Any]], dict[str, Any]]
    api_url: str  # the default of `api-url`
    dashboard_url: str  # the default of `dashboard-url`
    error_codes: Mapping[str, str]  # what the error codes its runs end with mean, for the reports
    factory: Callable[[Any, GitHubContext, Wiring], Provider]  # the client, given its settings
    notes: Mapping[str, str] = field(default_factory=dict)  # how it reads a common input, for the docs


@functools.cache
def _registered() -> tuple[tuple[ProviderSpec, ...], dict[str, str]]:
    """The built-in providers (the default first, then by name), then those of installed plug-ins; a
    name is taken once. A plug-in that can't be loaded is left out, with why, by its entry point's name
    (which is its `provider` value): it costs no other provider, and choosing it says why it can't be."""
    packages = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.ispkg]
    ordered = sorted(packages, key=lambda name: (name != DEFAULT_PROVIDER, name))
    found: list[ProviderSpec] = []
    for name in ordered:
        spec = importlib.import_module(f"{__package__}.{name}").SPEC
        if clash := _clashing_input(spec, found):  # a defect of ours, which the tests meet first
            raise ValueError(f"two built-in providers declare different inputs named `{clash}`")
        found.append(spec)
    broken: dict[str, str] = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = entry.load()
        except Exception as exc:  # a plug-in's own defect, whatever it is
            broken[entry.name] = (
                f"the provider plug-in `{entry.name}` ({entry.value}) could not be loaded: {exc}"
            )
            continue
        if not isinstance(spec, ProviderSpec):
            broken[entry.name] = f"the provider plug-in `{entry.name}` ({entry.value}) is not a ProviderSpec."
        elif clash := _clashing_input(spec, found):
            broken[entry.name] = (
                f"the provider plug-in `{entry.name}` ({entry.value}) declares an input `{clash}` that "
                "another provider declares differently."
            )
        elif all(spec.name != known.name for known in found):
            found.append(spec)
    return tuple(found), broken


def _clashing_input(spec: ProviderSpec, found: list[ProviderSpec]) -> str | None:
    """The name of an input `spec` declares that a provider already found declares otherwise: one
    input is one declaration (action.yml has one entry a name), which providers may share."""
    declared = {i.name: i for known in found for i in known.inputs}
    return next((i.name for i in spec.inputs if declared.get(i.name, i) != i), None)


def specs() -> tuple[ProviderSpec, ...]:
    """Every provider that can be chosen: the built-in ones, then those of installed plug-ins."""
    return _registered()[0]


def check_chosen(name: str) -> None:
    """A `ConfigurationError` naming the `provider` input when the chosen plug-in could not be loaded."""
    reason = _registered()[1].get(name)
    if reason is not None:
        raise ConfigurationError("provider", reason)


def spec_named(name: str) -> ProviderSpec:
    for spec in specs():
        if spec.name == name:
            return spec
    raise KeyError(name)
