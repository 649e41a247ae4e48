"""Buildkite's entry: a Pipelines build of 60 tests whose Test Engine run has failed and flaky tests,
after three earlier builds."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from .. import buildkite as bk
from ..entry import Listen, Script, SimulatorEntry, Started, parse_scripts
from ..server import Served

DEMO_SCENARIO = bk.Scenario(
    scheduled=1.0, duration=7.0, tests=60, failed=3, flaky=2, skipped=2, processing=1.0
)
DEMO_HISTORY = [
    bk.PastBuild(failed=["Checkout applies a discount code"], duration=7.5, ago=3_600),
    bk.PastBuild(duration=7.1, ago=7_200),
    bk.PastBuild(failed=["Search finds products by name"], duration=6.8, ago=10_800),
]
PIPELINE = "e2e-tests"
SUITE = "e2e"


def parse_pipelines(specs: Sequence[str]) -> dict[str, bk.Scenario]:
    return parse_scripts(specs, bk.Scenario, {PIPELINE: bk.Scenario()}, "--pipeline")


def _inputs(url: str) -> dict[str, str]:
    return {
        "api-key": bk.DEFAULT_TOKEN,
        "api-url": url,
        "environment": "",
        "organization": bk.ORGANIZATION,
        "pipeline": PIPELINE,
        "suite": SUITE,
    }


def _demo(stack: contextlib.ExitStack[bool | None]) -> Started:
    simulator = bk.BuildkiteSimulator({PIPELINE: DEMO_SCENARIO})
    simulator.seed_history(PIPELINE, DEMO_HISTORY)
    served = stack.enter_context(Served(simulator))
    return Started(_inputs(served.url), f"Buildkite simulator at {served.url}")


def _sandbox(stack: contextlib.ExitStack[bool | None], listen: Listen, scripts: Sequence[str]) -> Started:
    simulator = bk.BuildkiteSimulator(parse_pipelines(scripts))
    served = stack.enter_context(Served(simulator, port=listen.port_at(0), host=listen.host))
    simulator.web = served.url  # the report's links open the simulator's pages, never buildkite.com
    description = (
        f"Buildkite simulator on {served.url}  (api-key: {bk.DEFAULT_TOKEN}, organization: "
        f"{bk.ORGANIZATION}, suite: {SUITE}, pipelines: {', '.join(sorted(simulator.scenarios))})"
    )
    return Started(_inputs(served.url), description)


ENTRY = SimulatorEntry(
    provider="buildkite",
    demo=_demo,
    sandbox=_sandbox,
    script=Script(
        "--pipeline",
        "PIPELINE=JSON",
        'script a Buildkite pipeline, e.g. e2e-tests=\'{"duration": 30, "failed": 2}\'',
    ),
)
