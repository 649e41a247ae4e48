"""Testsigma's settings: the common ones and which test plan to run, on which environment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import parsing
from ...errors import ConfigurationError
from ...inputs import Input
from ...settings import Settings

INPUTS = (
    Input(
        "test-plan-id",
        "Testsigma: id of the test plan to run (its CI/CD Integration tab), sent as `executionId`. "
        "Required with `provider: testsigma` unless `run-id` is set.",
    ),
    Input(
        "testsigma-environment-id",
        "Testsigma: numeric id of the environment to run the plan against (`environmentId`). "
        "Default: the plan's own.",
    ),
)
# Plan, environment and run ids are numbers (providers.md 2.1), within JSON's exact integers.
MAX_ID = 2**53


class TestsigmaSettings(Settings):
    __test__ = False  # not a pytest test class

    test_plan_id: int | None
    testsigma_environment_id: int | None

    @property
    def target(self) -> str:
        where = f" on environment {self.testsigma_environment_id}" if self.testsigma_environment_id else ""
        return f"test plan {self.test_plan_id}{where}"


def read_settings(raw: Mapping[str, str], common: Mapping[str, Any]) -> dict[str, Any]:
    run_id = common["run_id"]
    if run_id is not None:
        parsing.integer("run-id", run_id, minimum=1, maximum=MAX_ID)
    test_plan_id = parsing.integer("test-plan-id", raw["test-plan-id"], minimum=1, maximum=MAX_ID)
    if test_plan_id is None and run_id is None:
        raise ConfigurationError(
            "test-plan-id",
            "is required with `provider: testsigma`: the id of the test plan to run (on the plan's "
            "CI/CD Integration tab), or set `run-id` to follow a run that already exists.",
        )
    return {
        "test_plan_id": test_plan_id,
        "testsigma_environment_id": parsing.integer(
            "testsigma-environment-id", raw["testsigma-environment-id"], minimum=1, maximum=MAX_ID
        ),
        "environment": common["environment"]
        or (f"test plan {test_plan_id}" if test_plan_id else f"run {run_id}"),
    }
