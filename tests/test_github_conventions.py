"""GitHub's REST conventions, as the GitHub simulator records them: every request names GitHub's media
type and API version, and every write in the process keeps a second from the one before, whichever
client (the check run's, the comment's) sends it."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from testrun_action.github import api, pacing
from testrun_action.github.api import GitHubApi
from testrun_sim.empirical import Scenario

from .conftest import FAST, GITHUB_TOKEN, HEAD_SHA, Job, Simulated

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def to_github(github: Simulated) -> list[dict[str, Any]]:
    return [r for r in github.app.requests if not r["path"].startswith("/_sim/")]


@pytest.fixture
def paced(monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub's real pause between writes (the suite's default is none), on a clock of its own."""
    monkeypatch.setattr(api, "WRITE_INTERVAL", 1.0)
    monkeypatch.setattr(api, "PACING", pacing.WritePacing())


def test_every_request_to_github_names_its_media_type_and_api_version(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        **{**FAST, "tests": 80}, failed=60
    )  # two annotation batches

    job.run(event="pull_request", pr_comment="true", max_annotations="100")

    sent = to_github(github)
    assert {r["method"] for r in sent} == {"GET", "POST", "PATCH"}
    assert len(sent) >= 5  # create, two updates, list comments, create comment
    for request in sent:
        assert request["headers"].get("accept") == "application/vnd.github+json", request["path"]
        assert request["headers"].get("x-github-api-version") == "2022-11-28", request["path"]


def test_every_github_write_in_the_process_comes_a_second_after_the_last(
    paced: None, job: Job, github: Simulated, empirical: Simulated
) -> None:
    empirical.app.scenarios["staging"] = Scenario(
        **{**FAST, "tests": 80}, failed=60
    )  # two annotation batches

    result = job.run(event="pull_request", pr_comment="true", max_annotations="100")

    assert result.code == 1
    writes = [r for r in to_github(github) if r["method"] in WRITES]
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in writes] == [
        ("POST", "check-runs"),
        ("PATCH", str(github.app.admin_check_runs()[0]["id"])),
        ("PATCH", str(github.app.admin_check_runs()[0]["id"])),
        ("POST", "comments"),  # a client of its own, on the same clock
    ]
    gaps = [later["at"] - earlier["at"] for earlier, later in itertools.pairwise(writes)]
    assert min(gaps) >= 1.0, gaps


def test_the_pause_gives_way_to_the_write_when_the_budget_is_short(paced: None, github: Simulated) -> None:
    """After a cancel signal each report gets a second: the write still goes, within it, as late as the
    budget allows, rather than leaving the check run in progress."""
    first = GitHubApi(api_url=github.url, token=GITHUB_TOKEN, repository="acme/shop", log=lambda _: None)
    second = GitHubApi(api_url=github.url, token=GITHUB_TOKEN, repository="acme/shop", log=lambda _: None)
    with first.within(5):
        first.create_check_run(name="E2E", head_sha=HEAD_SHA, status="in_progress")

    started = time.monotonic()
    with second.within(1.0):
        second.create_check_run(name="E2E again", head_sha=HEAD_SHA, status="in_progress")

    assert time.monotonic() - started < 1.0
    created, again = github.app.recorded("POST", r"/check-runs$")
    assert 0.5 <= again["at"] - created["at"] < 1.0  # paused what the budget allowed (1 s less 0.3 s)
