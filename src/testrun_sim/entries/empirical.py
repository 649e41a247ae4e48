"""Empirical's entry: an environment `staging` running 48 tests with failures, flaky and snoozed tests in
about 15 seconds, after ten earlier runs that the report compares it with."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from ..empirical import DEFAULT_KEY, EmpiricalSimulator, PastRun, Scenario
from ..entry import Listen, Script, SimulatorEntry, Started, parse_scripts
from ..server import Served

DEMO_SCENARIO = Scenario(
    pending=1.0, queued=1.5, duration=11.0, tests=48, failed=3, flaky=2, snoozed=1, skipped=2
)
# Earlier runs, newest first, so that the report can tell new failures from known ones: on main, one of
# today's failures has failed since the last run, another now and then; the third is new.
DEMO_HISTORY = [
    PastRun(failed=["Search › filters by price"], duration=11.8, ago=3_600),
    PastRun(branch="feature/wishlist", failed=["Login › signs in with email"], duration=12.6, ago=5_400),
    PastRun(failed=["Search › filters by price", "Cart › keeps the cart after sign-in"], duration=10.9, ago=7_200),
    PastRun(duration=10.2, ago=10_800),
    PastRun(flaky=["Cart › keeps the cart after sign-in"], duration=10.7, ago=14_400),
    PastRun(duration=9.8, ago=18_000),
    PastRun(failed=["Checkout › charges the saved card"], duration=10.4, ago=21_600),
    PastRun(duration=10.1, ago=25_200),
    PastRun(failed=["Cart › keeps the cart after sign-in"], duration=11.2, ago=28_800),
    PastRun(duration=9.9, ago=32_400),
]  # fmt: skip


def parse_scenarios(specs: Sequence[str]) -> dict[str, Scenario]:
    return parse_scripts(specs, Scenario, {"production": Scenario(), "staging": Scenario()}, "--scenario")


def _inputs(url: str) -> dict[str, str]:
    return {"api-key": DEFAULT_KEY, "api-url": url, "environment": "staging"}


def _demo(stack: contextlib.ExitStack[bool | None]) -> Started:
    app = EmpiricalSimulator({"staging": DEMO_SCENARIO, "production": Scenario()})
    app.seed_history("staging", DEMO_HISTORY)
    served = stack.enter_context(Served(app))
    inputs = _inputs(served.url) | {"metadata": "deployed_by: octocat\nticket: SHOP-1234"}
    return Started(inputs, f"Empirical simulator at {served.url}")


def _sandbox(stack: contextlib.ExitStack[bool | None], listen: Listen, scripts: Sequence[str]) -> Started:
    app = EmpiricalSimulator(parse_scenarios(scripts))
    served = stack.enter_context(Served(app, port=listen.port_at(0), host=listen.host))
    description = (
        f"Empirical simulator on {served.url}  (api-key: {DEFAULT_KEY})\n"
        f"  environments: {', '.join(sorted(app.scenarios))}; report links: dashboard-url {served.url}, "
        f"reports-url {served.url}/reports"
    )
    # The report's links open the simulator's pages, never dash.empirical.run or reports.empirical.run.
    links = {"dashboard-url": served.url, "reports-url": f"{served.url}/reports"}
    return Started(_inputs(served.url) | links, description)


ENTRY = SimulatorEntry(
    provider="empirical",
    demo=_demo,
    sandbox=_sandbox,
    script=Script(
        "--scenario", "ENV=JSON", 'script an environment, e.g. staging=\'{"duration": 30, "failed": 2}\''
    ),
)
