"""The build under test, as a provider may pass it on to its service: the inputs `build-url`,
`test-branch` and `metadata`, for the providers that read them (they list `BUILD_INPUTS` among their
inputs, and their settings model extends `BuildSettings`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .. import parsing
from ..inputs import Input

BUILD_INPUTS = (
    Input(
        "build-url",
        "URL of the deployed build under test. Default: the deployment's `environment_url` (or "
        "`target_url`) on `deployment_status` events.",
    ),
    Input("test-branch", "Branch of the test repository to run."),
    Input(
        "metadata",
        "Key-value pairs attached to the run: a YAML or JSON mapping, or `key: value` lines. Values must be "
        "strings or numbers.",
    ),
)


class BuildSettings(BaseModel):
    """The fields of `BUILD_INPUTS`."""

    model_config = ConfigDict(frozen=True)

    build_url: str | None
    test_branch: str | None
    metadata: dict[str, str | int | float]


def read_build(raw: Mapping[str, str]) -> dict[str, Any]:
    return {
        "build_url": parsing.url("build-url", raw["build-url"]),
        "test_branch": parsing.text("test-branch", raw["test-branch"], max_length=255),
        "metadata": parsing.metadata("metadata", raw["metadata"]),
    }
