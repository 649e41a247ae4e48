"""Users read a provider by the name its spec declares (`ProviderSpec.display_name`), not by its
`provider` value made to look like a name."""

from __future__ import annotations

import dataclasses
import json

import pytest

from testrun_action.providers import registry

from .conftest import Job, Simulated
from .test_check_run import only_check_run

SHOWN = "Empirical Cloud"


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    known = registry.specs()
    monkeypatch.setattr(
        registry,
        "specs",
        lambda: tuple(
            dataclasses.replace(spec, display_name=SHOWN) if spec.name == "empirical" else spec
            for spec in known
        ),
    )


@pytest.mark.usefixtures("renamed")
def test_the_summary_and_the_check_run_name_the_provider_by_its_display_name(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    result = job.run()

    assert result.code == 0
    assert f"Open the report in {SHOWN}" in result.summary
    started = json.dumps(only_check_run(github)["history"][0])
    assert f"Follow it in {SHOWN}" in started
