"""Scripting a simulator: a misspelt field is refused, never quietly replaced by the default."""

from __future__ import annotations

import httpx
import pytest

from testrun_sim.empirical import Scenario
from testrun_sim.entries.empirical import parse_scenarios

from .conftest import Simulated


def test_the_admin_endpoint_scripts_known_fields_and_refuses_a_misspelt_one(empirical: Simulated) -> None:
    good = httpx.put(f"{empirical.url}/_sim/scenarios/qa", json={"failed": 2, "duration": 1.5})
    bad = httpx.put(f"{empirical.url}/_sim/scenarios/qa", json={"flakey": 2})

    assert good.status_code == 200
    assert empirical.app.scenarios["qa"] == Scenario(failed=2, duration=1.5)
    assert bad.status_code == 400
    assert "unknown field(s) ['flakey']" in bad.json()["error"]["message"]
    assert empirical.app.scenarios["qa"].failed == 2  # the bad script changed nothing


def test_the_sandbox_refuses_a_misspelt_scenario_field() -> None:
    assert parse_scenarios(['qa={"flaky": 1}'])["qa"].flaky == 1
    with pytest.raises(SystemExit, match="unknown field"):
        parse_scenarios(['qa={"flakey": 1}'])
    with pytest.raises(SystemExit, match="expected NAME=JSON"):
        parse_scenarios(['={"flaky": 1}'])
