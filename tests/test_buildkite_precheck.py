"""Buildkite: the pipeline and the Test Engine suite are checked before a build is triggered, so a
misspelt slug is an input error (exit 2) and no build runs for nothing."""

from __future__ import annotations

from testrun_sim import buildkite as bk
from testrun_sim.server import Fault

from .conftest import FAST_BUILD, Job, Simulated

SUITE = r"/v2/analytics/organizations/acme/suites/e2e$"


def test_a_misspelt_suite_exits_two_naming_the_suites_and_triggers_no_build(
    bk_job: Job, buildkite: Simulated
) -> None:
    buildkite.app.scenarios["smoke-tests"] = bk.Scenario(**FAST_BUILD, suite="smoke")

    result = bk_job.step(suite="e2e-test")

    assert result.code == 2, result.log
    assert (
        'Input \'suite\': no Test Engine suite "e2e-test" in organization "acme" (suites: e2e, smoke).'
        in result.log
    )
    assert buildkite.app.builds == []
    assert buildkite.app.recorded("POST", r"/builds$") == []
    assert result.outputs["result"] == "error"


def test_the_suites_named_are_bounded(bk_job: Job, buildkite: Simulated) -> None:
    for n in range(12):
        buildkite.app.scenarios[f"p{n}"] = bk.Scenario(**FAST_BUILD, suite=f"suite-{n:02d}")

    result = bk_job.run(suite="nope")

    assert result.code == 2
    assert "suite-08 and 3 more)." in result.log  # e2e and 12 others: 10 named
    assert "suite-09" not in result.log
    assert buildkite.app.builds == []


def test_a_misspelt_organization_is_named_as_such(bk_job: Job, buildkite: Simulated) -> None:
    result = bk_job.run(organization="acne")

    assert result.code == 2
    assert "Input 'organization': no organization \"acne\" visible to this token." in result.log
    assert buildkite.app.builds == []


def test_a_check_the_service_cannot_answer_warns_and_triggers_as_before(
    bk_job: Job, buildkite: Simulated
) -> None:
    buildkite.app.script(Fault("GET", SUITE, "status", status=503, times=100))

    result = bk_job.run()

    assert result.code == 0, result.log
    assert len(buildkite.app.builds) == 1
    warnings = [line for line in result.log.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1
    assert "Could not check the pipeline and suite before triggering" in warnings[0]


def test_a_refused_key_on_the_check_is_an_authentication_error_and_triggers_nothing(
    bk_job: Job, buildkite: Simulated
) -> None:
    buildkite.app.script(Fault("GET", SUITE, "status", status=403, body={"message": "Forbidden"}))

    result = bk_job.run()

    assert result.code == 3
    assert "Authentication failed" in result.log
    assert buildkite.app.builds == []


def test_an_input_error_of_the_build_is_said_before_any_request(bk_job: Job, buildkite: Simulated) -> None:
    result = bk_job.run(env={"GITHUB_REF_NAME": "", "GITHUB_REF": "", "GITHUB_HEAD_REF": ""})

    assert result.code == 2, result.log
    assert "Input 'test-branch'" in result.log
    assert buildkite.app.recorded("GET") == []  # the pipeline and suite are not looked up for nothing
    assert buildkite.app.builds == []
