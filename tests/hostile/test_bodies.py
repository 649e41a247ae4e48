"""Answers that would flood memory or break what is written: a gzip bomb, huge bodies (declared or
not), a 300 MB JUnit report, a bomb from GitHub's side, lone surrogates and deep nesting. Each is
refused as a malformed answer at its limit, counted after decompression, while it streams in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from testrun_sim.empirical import Scenario
from testrun_sim.hostile import Hostile, Rule
from testrun_sim.runner_files import read_outputs
from testrun_sim.testsigma import Plan

from ..conftest import TESTSIGMA_INPUTS, Job, Simulated
from .conftest import step

STATUS = r"^/api/test-runs$"
# The process's peak memory must stay far below what the bodies would take: a 1 GiB bomb, 200 MB of
# JSON. The interpreter with the action loaded takes about 60 MB.
PEAK_MB = 200


def test_a_gzip_bomb_costs_one_status_check_not_a_gigabyte(hjob: Job, service: Hostile) -> None:
    service.add(Rule("GET", STATUS, "bomb", times=2, size=1 << 30))

    done = step(hjob.environ())

    assert done.code == 0, done.log  # the next status checks were fine, and the run passed
    assert "larger than 10,000,000 bytes" in done.log
    assert done.peak_mb < PEAK_MB


def test_a_200_mb_json_answer_is_refused_while_it_streams(hjob: Job, service: Hostile) -> None:
    service.add(Rule("GET", STATUS, "huge", times=2, size=200_000_000))

    done = step(hjob.environ())

    assert done.code == 0, done.log
    assert "larger than 10,000,000 bytes" in done.log
    assert done.peak_mb < PEAK_MB


def test_a_declared_200_mb_answer_is_refused_before_it_is_read(hjob: Job, service: Hostile) -> None:
    rule = service.add(Rule("GET", STATUS, "huge", times=2, size=200_000_000, declared=True))

    result = hjob.run()

    assert result.code == 0, result.log
    assert rule.hits == 2
    assert "larger than 10,000,000 bytes" in result.log


def test_deeply_nested_json_is_a_malformed_answer_not_a_traceback(hjob: Job, service: Hostile) -> None:
    deep = b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    service.add(Rule("GET", STATUS, "answer", times=2, status=200, body=deep))

    result = hjob.run()

    assert result.code == 0, result.log
    assert "nested deeper than 64 levels" in result.log
    assert "Internal error" not in result.log


def test_lone_surrogates_in_failure_names_reach_every_report_replaced(
    hjob: Job, service: Hostile, empirical: Simulated, github: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        queued=0.1,
        duration=0.5,
        tests=6,
        failed=1,
        failures=[{"name": "checkout HALF pays", "file_path": "tests/checkout.spec.ts"}],
    )
    # Half an emoji, as a JavaScript service that cut a string sends it: valid JSON, not valid Unicode.
    service.add(Rule("*", r"^/api/", "rewrite", replace=[(b"HALF", b"\\udc00")]))

    done = step(hjob.environ())

    assert done.code == 1, done.log
    summary = (hjob.tmp / "summary").read_text(encoding="utf-8")
    assert "checkout \ufffd pays" in summary
    assert read_outputs(hjob.tmp / "output")["result"] == "failed"
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "failure")
    assert "Traceback" not in done.log


def test_a_gzip_bomb_from_github_is_refused_and_costs_only_the_check_run(
    hjob: Job, gh: Hostile, github: Simulated
) -> None:
    gh.add(Rule("POST", r"/check-runs$", "bomb", size=1 << 30))

    done = step(hjob.environ())

    assert done.code == 0, done.log
    assert "larger than 16,000,000 bytes" in done.log
    assert read_outputs(hjob.tmp / "output")["result"] == "passed"
    assert done.peak_mb < PEAK_MB


@pytest.fixture
def hostile_testsigma(testsigma: Simulated) -> Iterator[Hostile]:
    with Hostile(testsigma.url) as proxy:
        yield proxy


def test_a_300_mb_testsigma_junit_report_is_refused_at_20_mb(
    tmp_path: Path, testsigma: Simulated, hostile_testsigma: Hostile, github: Simulated
) -> None:
    testsigma.app.plans[3058] = Plan(
        created=0.1, queued=0.1, pre_flight=0.1, duration=0.3, failed=2, step_results=False
    )
    rule = hostile_testsigma.add(Rule("GET", r"^/api/v1/reports/junit/", "huge", size=300_000_000, xml=True))
    job = Job(tmp_path, hostile_testsigma.url, github.url, TESTSIGMA_INPUTS)

    done = step(job.environ())

    assert done.code == 1, done.log  # two tests failed: the verdict stands without their reasons
    assert rule.hits >= 1
    assert "larger than 20,000,000 bytes" in done.log
    assert done.peak_mb < PEAK_MB
    assert json.dumps(read_outputs(tmp_path / "output")["result"]) == '"failed"'
