"""New or known, and the trend: each provider's recent runs, scripted in its simulator, read over real
HTTP; `compare-with`; `fail-on: new-failures`; and a history that can't be read."""

from __future__ import annotations

import re

import pytest

from testrun_sim import buildkite as bk
from testrun_sim.empirical import PastRun, Scenario
from testrun_sim.server import Fault
from testrun_sim.testsigma import PastRun as PastPlanRun
from testrun_sim.testsigma import Plan, make_cases

from .conftest import FAST, FAST_BUILD, HEAD_SHA, PLAN_ID, Job, Simulated

NEW = "🆕 **new failure**"
KNOWN = "🔁 also failing on `main`"


def failing(scenario: Scenario) -> list[str]:
    """The tests a run of `scenario` fails, in the simulator's order."""
    return [case.name for case in scenario.cases() if case.status == "failed"]


def row(summary: str, test: str) -> str:
    """The summary's table row of a test."""
    return next(line for line in summary.splitlines() if line.startswith("|") and f"[{test}]" in line)


def status(summary: str, test: str) -> str:
    return row(summary, test).split(" | ")[0].removeprefix("| ")


# -- Empirical ------------------------------------------------------------------------------------
@pytest.fixture
def three_failing(empirical: Simulated) -> list[str]:
    """`staging` fails three tests; on main, the first failed in the latest run and the second in an
    older one; a feature branch failed all three (it does not count)."""
    scenario = Scenario(**FAST, failed=3)
    empirical.app.scenarios["staging"] = scenario
    names = failing(scenario)
    empirical.app.seed_history(
        "staging",
        [
            PastRun(branch="feature/other", failed=names, duration=200, ago=60),
            PastRun(failed=[names[0]], duration=300, ago=600),
            PastRun(failed=[names[1]], duration=320, ago=1200),
            PastRun(duration=280, ago=1800),
            PastRun(flaky=[names[1]], duration=310, ago=2400),
        ],
    )
    return names


def test_failures_are_new_known_or_flaky_lately_and_new_ones_come_first(
    job: Job, three_failing: list[str]
) -> None:
    known, flaky, new = three_failing

    result = job.run(event="pull_request")

    assert result.code == 1
    summary = result.summary
    assert status(summary, known) == KNOWN
    # Failed in one of the four runs on main and flaky in another, not in the latest: 2 of 4.
    assert status(summary, flaky) == "🎲 flaky lately (50% of recent runs)"
    assert status(summary, new) == NEW
    assert summary.index(f"[{new}]") < summary.index(f"[{flaky}]") < summary.index(f"[{known}]")
    assert "### Failed tests (3): 1 new, 1 also failing on `main`, 1 flaky lately" in summary
    assert "🟥 **3 failed** (1 new)" in summary
    assert "Compared with 4 recent runs on main: 1 new failure, 2 seen there." in result.log


def test_the_check_run_and_the_log_say_which_failures_are_new(
    job: Job, github: Simulated, three_failing: list[str]
) -> None:
    known, _, new = three_failing

    result = job.run(event="pull_request", fail_on="new-failures")

    (check_run,) = github.app.admin_check_runs()
    assert check_run["conclusion"] == "failure"
    summary = check_run["output"]["summary"]
    assert summary.splitlines()[2].startswith("🟩")  # the bar, right under the headline
    assert status(summary, new) == NEW
    assert status(summary, known) == KNOWN
    assert f"[failed, new failure] {new}" in result.log
    assert f"[failed, also failing on main] {known}" in result.log


def test_new_failures_passing_on_known_failures_concludes_the_check_run_neutral(
    job: Job, github: Simulated, empirical: Simulated, three_failing: list[str]
) -> None:
    empirical.app.seed_history("staging", [PastRun(failed=three_failing, ago=30)])

    assert job.run(event="pull_request", fail_on="new-failures").code == 0

    (check_run,) = github.app.admin_check_runs()
    assert check_run["conclusion"] == "neutral"


def test_the_trend_puts_duration_and_failures_against_the_last_ended_runs(
    job: Job, three_failing: list[str]
) -> None:
    result = job.run(event="pull_request")

    # Five earlier runs of staging, any branch: durations 200, 300, 320, 280, 310 s; failed 3, 1, 1, 0, 0.
    trend = next(line for line in result.summary.splitlines() if line.startswith("📈"))
    assert trend.startswith("📈 Against the last 5 ended runs of `staging`: took **")
    assert "(median 5m 0s, -100%)" in trend
    assert trend.endswith("**3 failed** (median 1)")
    summary = result.summary
    assert summary.index("📈") < summary.index("| Run |")  # under the headline, above the details


def test_new_failures_only_fails_the_step_on_failures_not_seen_on_main(
    job: Job, empirical: Simulated, three_failing: list[str]
) -> None:
    result = job.run(event="pull_request", fail_on="new-failures")

    assert result.code == 1
    assert "fail-on new-failures: 1 failed test did not fail on main lately." in result.log
    assert "step failed" in result.summary


def test_new_failures_passes_when_every_failure_is_already_failing_on_main(
    job: Job, empirical: Simulated, three_failing: list[str]
) -> None:
    empirical.app.seed_history("staging", [PastRun(failed=three_failing, ago=30)])

    result = job.run(event="pull_request", fail_on="new-failures")

    assert result.code == 0
    assert result.outputs["result"] == "failed"  # the tests did fail; the step passes by choice
    assert "every failed test also failed on main lately, so the step passes" in result.summary
    assert "<sub>fail-on: `new-failures` · step passed</sub>" in result.summary


def test_unreadable_history_is_one_line_and_changes_no_exit_code(
    job: Job, empirical: Simulated, three_failing: list[str]
) -> None:
    empirical.app.script(Fault("GET", r"/api/test-runs/100[1-5]$", "malformed", times=50))

    result = job.run(event="pull_request")

    assert result.code == 1  # as without a comparison: three tests failed
    notes = [line for line in result.summary.splitlines() if line.startswith("ℹ️ Not compared")]
    assert notes == [
        "ℹ️ Not compared with recent runs on `main`: history unavailable: Empirical returned a response "
        "that is not JSON \\(HTTP 200, application/json\\)."
    ]
    assert NEW not in result.summary
    assert "| Status |" not in result.summary
    assert "### Failed tests (3)" in result.summary  # reported as before


def test_a_passing_run_with_flaky_tests_passes_whatever_the_history_does(
    job: Job, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, flaky=1)
    earlier = empirical.app.seed_history("staging", [PastRun(ago=30), PastRun(ago=90)])
    empirical.app.script(Fault("GET", rf"/api/test-runs/({earlier[0]}|{earlier[1]})$", "malformed", times=50))

    result = job.run(event="pull_request", fail_on="new-failures")

    assert result.code == 0
    assert "history unavailable" in result.summary


def test_new_failures_without_history_never_passes_and_says_why(
    job: Job, empirical: Simulated, three_failing: list[str]
) -> None:
    empirical.app.script(Fault("GET", r"/api/test-runs/100[1-5]$", "malformed", times=50))

    result = job.run(event="pull_request", fail_on="new-failures")

    assert result.code == 1
    assert "cannot tell which failures are new" in result.summary
    assert "cannot tell which failures are new" in result.log


def test_no_run_on_the_compared_branch_is_said_and_new_failures_fails(job: Job, empirical: Simulated) -> None:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=1)
    empirical.app.seed_history("staging", [PastRun(branch="develop", ago=30)])

    result = job.run(event="pull_request", fail_on="new-failures")

    assert result.code == 1
    assert "no ended run of staging on main to compare with" in result.summary


def test_compare_with_chooses_the_branch(job: Job, empirical: Simulated, three_failing: list[str]) -> None:
    empirical.app.seed_history("staging", [PastRun(branch="release/2.0", failed=three_failing[2:], ago=30)])

    result = job.run(event="pull_request", compare_with="release/2.0")

    assert status(result.summary, three_failing[2]) == "🔁 also failing on `release/2.0`"
    assert status(result.summary, three_failing[0]) == NEW


def test_compare_with_none_reads_no_history(job: Job, empirical: Simulated, three_failing: list[str]) -> None:
    result = job.run(event="pull_request", compare_with="none")

    assert "| Status |" not in result.summary
    assert "new" not in result.summary.split("### Failed tests")[1].split("\n")[0]
    assert "📈" not in result.summary  # no trend either: it would be read from history
    details = [r for r in empirical.app.requests if re.fullmatch(r"/api/test-runs/\d+", r["path"])]
    assert len(details) == 1  # the run's own failures; no earlier run's
    lists = [
        r for r in empirical.app.recorded("GET", r"^/api/test-runs$") if r["query"].get("state") == "ended"
    ]
    assert lists == []  # no list of ended runs: neither comparison nor trend


def test_runs_of_this_commit_and_later_runs_are_neither_compared_nor_in_the_trend(
    job: Job, empirical: Simulated, three_failing: list[str]
) -> None:
    """A matrix's sibling runs on the same commit, and a run that began after this one, are no baseline:
    the comparison and the trend are the five earlier runs of other commits, as without them."""
    empirical.app.seed_history(
        "staging",
        [
            PastRun(
                failed=three_failing, duration=1, ago=1, commit=HEAD_SHA
            ),  # a sibling, ended a moment ago
            PastRun(failed=three_failing, duration=1, ago=0, began_after=60),  # began later, shorter
        ],
    )

    result = job.run(event="pull_request")

    known, flaky, new = three_failing
    assert status(result.summary, known) == KNOWN
    assert status(result.summary, flaky) == "🎲 flaky lately (50% of recent runs)"
    assert status(result.summary, new) == NEW
    assert "📈 Against the last 5 ended runs" in result.summary
    assert "Compared with 4 recent runs on main" in result.log


def test_fail_on_new_failures_with_compare_with_none_is_a_configuration_error(job: Job) -> None:
    result = job.run(fail_on="new-failures", compare_with="none")

    assert result.code == 2
    assert "Input 'fail-on': `new-failures` needs a branch to compare with" in result.log


# -- Buildkite ------------------------------------------------------------------------------------
def test_buildkite_failures_are_new_known_or_flaky_lately(bk_job: Job, buildkite: Simulated) -> None:
    scenario = bk.Scenario(**FAST_BUILD, failed=3)
    buildkite.app.scenarios["e2e-tests"] = scenario
    names = [case.name for case in bk.make_cases(scenario) if case.outcome == "failed"]
    buildkite.app.seed_history(
        "e2e-tests",
        [
            bk.PastBuild(branch="feature/x", failed=names, ago=60),
            bk.PastBuild(failed=[names[0]], duration=240, ago=600),
            bk.PastBuild(failed=[names[1]], duration=260, ago=1200),
            bk.PastBuild(duration=250, ago=1800),
        ],
    )

    result = bk_job.run(event="pull_request")

    assert result.code == 1
    assert status(result.summary, names[0]) == KNOWN
    assert status(result.summary, names[1]) == "🎲 flaky lately (33% of recent runs)"
    assert status(result.summary, names[2]) == NEW
    trend = next(line for line in result.summary.splitlines() if line.startswith("📈"))
    assert "the last 4 ended runs of `e2e-tests`" in trend
    assert "(median 4m 15s" in trend  # the median of the builds' durations: 300 (feature), 240, 260, 250


def test_buildkite_sibling_builds_of_this_commit_and_later_builds_are_no_baseline(
    bk_job: Job, buildkite: Simulated
) -> None:
    """Eight jobs of a matrix on one commit: the siblings' builds ended a moment ago, all failing the same
    tests; a later push's build ended too. Only the earlier builds of other commits are compared with,
    and no sibling's failed executions are read."""
    scenario = bk.Scenario(**FAST_BUILD, failed=2)
    buildkite.app.scenarios["e2e-tests"] = scenario
    names = [case.name for case in bk.make_cases(scenario) if case.outcome == "failed"]
    siblings = [bk.PastBuild(failed=names, duration=1, ago=1, commit=HEAD_SHA) for _ in range(7)]
    later = bk.PastBuild(failed=names, duration=1, ago=0, began_after=60)
    earlier = bk.PastBuild(duration=250, ago=1800)
    seeded = buildkite.app.seed_history("e2e-tests", [*siblings, later, earlier])

    result = bk_job.run(event="pull_request")

    assert status(result.summary, names[0]) == NEW
    assert status(result.summary, names[1]) == NEW
    assert "Compared with 1 recent run on main: 2 new failures" in result.log
    assert "the last ended run of `e2e-tests`" in result.summary
    read = {r["path"].split("/")[-2] for r in buildkite.app.recorded("GET", r"/failed_executions$")}
    assert not read & {build.run_id for build in seeded[:-1]}


def test_buildkite_new_failures_passes_on_known_failures_only(bk_job: Job, buildkite: Simulated) -> None:
    scenario = bk.Scenario(**FAST_BUILD, failed=2)
    buildkite.app.scenarios["e2e-tests"] = scenario
    names = [case.name for case in bk.make_cases(scenario) if case.outcome == "failed"]
    buildkite.app.seed_history("e2e-tests", [bk.PastBuild(failed=names, ago=60)])

    result = bk_job.run(event="pull_request", fail_on="new-failures")

    assert result.code == 0
    assert result.outputs["result"] == "failed"


# -- Testsigma ------------------------------------------------------------------------------------
def test_testsigma_failures_are_compared_with_the_plans_earlier_runs(
    testsigma_job: Job, testsigma: Simulated
) -> None:
    plan = Plan(created=0.3, queued=0.1, pre_flight=0.1, duration=0.4, tests=12, failed=3)
    testsigma.app.plans[PLAN_ID] = plan
    names = [case.name for case in make_cases(plan, 0) if case.result == "FAILURE"]
    testsigma.app.seed_history(
        PLAN_ID,
        [
            PastPlanRun(failed=[names[0]], duration=120, ago=60),
            PastPlanRun(failed=[names[1]], duration=100, ago=600),
        ],
    )

    result = testsigma_job.run(event="pull_request")

    assert result.code == 1
    against = f"in earlier runs of test plan {PLAN_ID}"  # Testsigma's runs carry no branch
    assert status(result.summary, names[0]) == f"🔁 also failing {against}"
    assert status(result.summary, names[1]) == "🎲 flaky lately (50% of recent runs)"
    assert status(result.summary, names[2]) == NEW
    assert "📈 Against the last 2 ended runs of `test plan 3058`: took **" in result.summary
    assert "(median 1m 50s" in result.summary


def test_testsigma_new_failures_fails_on_a_new_failure(testsigma_job: Job, testsigma: Simulated) -> None:
    plan = Plan(created=0.3, queued=0.1, pre_flight=0.1, duration=0.4, tests=12, failed=2)
    testsigma.app.plans[PLAN_ID] = plan
    names = [case.name for case in make_cases(plan, 0) if case.result == "FAILURE"]
    testsigma.app.seed_history(PLAN_ID, [PastPlanRun(failed=names[:1], ago=60)])

    result = testsigma_job.run(fail_on="new-failures")

    assert result.code == 1
    assert "1 failed test did not fail in earlier runs of test plan 3058 lately" in result.summary


def test_the_last_log_line_says_why_new_failures_lets_the_step_pass(
    job: Job, empirical: Simulated, three_failing: list[str]
) -> None:
    empirical.app.seed_history("staging", [PastRun(failed=three_failing, ago=30)])

    result = job.run(event="pull_request", fail_on="new-failures")

    last = result.log.strip().splitlines()[-1]
    assert result.code == 0
    assert last.startswith("✅ Step passes: 3 of 12 tests failed, none new (fail-on: new-failures).")
    assert "❌" not in last
