"""Testsigma's entry: a test plan of 48 tests (it sits in STATUS_CREATED first, as real runs do) after
three earlier runs, recorded in the Test Management simulator."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from ..entry import Listen, SimulatorEntry, Started
from ..server import Served
from ..testsigma import DEFAULT_KEY, PastRun, Plan, TestsigmaSimulator
from ..testsigma_tms import DEFAULT_KEY as TMS_KEY
from ..testsigma_tms import DEFAULT_PROJECT, TmsSimulator

DEMO_PLAN_ID = 3058
DEMO_PLAN = Plan(
    name="Shop regression", created=2.0, queued=1.0, pre_flight=1.0, duration=9.0, tests=48, failed=3,
    machines=["Windows 11 Chrome", "macOS Safari"],
)  # fmt: skip
DEMO_HISTORY = [
    PastRun(failed=["Apply a discount code"], duration=8.7, ago=3_600),
    PastRun(failed=["Filter by price #2"], duration=9.4, ago=7_200),
    PastRun(duration=9.1, ago=10_800),
]


def _inputs(url: str, tms_url: str, plan: int) -> dict[str, str]:
    return {
        "api-key": DEFAULT_KEY,
        "api-url": url,
        "environment": "staging",
        "test-plan-id": str(plan),
        "testsigma-tms-project": DEFAULT_PROJECT,
        "testsigma-tms-api-key": TMS_KEY,
        "testsigma-tms-url": tms_url,
        "testsigma-tms-labels": "Smoke, Nightly",
    }


def _demo(stack: contextlib.ExitStack[bool | None]) -> Started:
    simulator = TestsigmaSimulator({DEMO_PLAN_ID: DEMO_PLAN})
    simulator.seed_history(DEMO_PLAN_ID, DEMO_HISTORY)
    platform = stack.enter_context(Served(simulator))
    tms = stack.enter_context(Served(TmsSimulator()))
    return Started(
        _inputs(platform.url, tms.url, DEMO_PLAN_ID),
        f"Testsigma simulator at {platform.url}, Test Management simulator at {tms.url}",
    )


def _sandbox(stack: contextlib.ExitStack[bool | None], listen: Listen, scripts: Sequence[str]) -> Started:
    simulator = TestsigmaSimulator()
    platform = stack.enter_context(Served(simulator, port=listen.port_at(0), host=listen.host))
    tms = stack.enter_context(Served(TmsSimulator(), port=listen.port_at(1), host=listen.host))
    simulator.public_url = platform.url  # `app_url` opens the simulator's run page, never app.testsigma.com
    plans = sorted(simulator.plans)
    description = (
        f"Testsigma simulator on {platform.url}  (api-key: {DEFAULT_KEY})\n"
        f"  test plans: {', '.join(str(p) for p in plans)}; script one with PUT /_sim/plans/{{id}}\n"
        f"Testsigma Test Management simulator on {tms.url}  (api-key: {TMS_KEY}, project: {DEFAULT_PROJECT})"
    )
    inputs = _inputs(platform.url, tms.url, plans[0]) | {"dashboard-url": platform.url}
    return Started(inputs, description)


ENTRY = SimulatorEntry(provider="testsigma", demo=_demo, sandbox=_sandbox, ports=2)
