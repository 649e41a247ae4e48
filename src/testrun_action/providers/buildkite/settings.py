"""Buildkite's settings: the common ones, the build under test, and which pipeline, suite and run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import parsing
from ...errors import ConfigurationError
from ...inputs import Input
from ...settings import Settings
from ..build import BuildSettings, read_build

INPUTS = (
    Input(
        "organization", "Buildkite organization slug (buildkite.com/<organization>); required for Buildkite."
    ),
    Input(
        "pipeline",
        "Buildkite pipeline slug whose build runs the tests; required for Buildkite, except with a Test "
        "Engine run UUID in `run-id`.",
    ),
    Input("suite", "Buildkite Test Engine suite slug the tests report to; required for Buildkite."),
    Input(
        "build-number",
        "Buildkite: follow this existing build of `pipeline` instead of triggering one (same as a numeric `run-id`).",
    ),
)
# Buildkite build numbers are positive integers per pipeline (providers.md 3.6).
MAX_BUILD_NUMBER = 2**53


class BuildkiteSettings(BuildSettings, Settings):
    organization: str
    pipeline: str | None
    suite: str
    # `run_id`: a Test Engine run UUID, or a build number (from `build-number` too)

    @property
    def target(self) -> str:
        return f"pipeline '{self.pipeline}' of {self.organization}"


def read_settings(raw: Mapping[str, str], common: Mapping[str, Any]) -> dict[str, Any]:
    organization, pipeline, suite, run_id = _target(raw, common["run_id"])
    return {
        "organization": organization,
        "pipeline": pipeline,
        "suite": suite,
        "run_id": run_id,
        # A label for the report: Buildkite has no environments; the pipeline (or suite) names what ran.
        "environment": common["environment"] or pipeline or suite,
        **read_build(raw),
    }


def _target(raw: Mapping[str, str], run_id: str | None) -> tuple[str, str | None, str, str | None]:
    """organization, pipeline, suite and what to attach to: a Test Engine run UUID or a build number.

    A run UUID needs no pipeline (Test Engine runs live in the suite); triggering or following a build
    does. `build-number` is the same as a numeric `run-id`, so the ids the action outputs can be fed back.
    """
    organization = parsing.slug("organization", raw["organization"])
    pipeline = parsing.slug("pipeline", raw["pipeline"])
    suite = parsing.slug("suite", raw["suite"])
    build_number = parsing.integer("build-number", raw["build-number"], minimum=1, maximum=MAX_BUILD_NUMBER)
    if organization is None:
        raise ConfigurationError(
            "organization",
            "is required with `provider: buildkite`: the organization slug (buildkite.com/<slug>).",
        )
    if suite is None:
        raise ConfigurationError(
            "suite",
            "is required with `provider: buildkite`: the slug of the Test Engine suite the tests report to.",
        )
    if run_id is not None and parsing.is_uuid(run_id):
        run_id = run_id.lower()
    elif run_id is not None:
        number = (
            parsing.integer("run-id", run_id, minimum=1, maximum=MAX_BUILD_NUMBER)
            if run_id.isdigit()
            else None
        )
        if number is None:
            raise ConfigurationError(
                "run-id",
                "expected a Test Engine run UUID (e.g. 64374307-12ab-4b13-a3f3-6a408f644ea2) or a build number.",
            )
        run_id = str(number)
    if build_number is not None:
        if run_id is not None and run_id != str(build_number):
            raise ConfigurationError("build-number", "give either `build-number` or `run-id`, not both.")
        run_id = str(build_number)
    if pipeline is None and (run_id is None or run_id.isdigit()):
        raise ConfigurationError(
            "pipeline",
            "is required with `provider: buildkite` to trigger or follow a build: the pipeline slug "
            "(buildkite.com/<organization>/<pipeline>). Only `run-id` with a Test Engine run UUID works without it.",
        )
    return organization, pipeline, suite, run_id
