"""On a laptop (no GITHUB_ACTIONS, no CI), the commit and branch that no CI variable names come from the
git checkout in the working directory, and the log says so; without one, the error names the flag to
pass. In CI the checkout is never read: the CI's variables say what is under test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testrun_action import checkout
from testrun_sim import buildkite as bk

from .conftest import Simulated

BUILDS = rf"^/v2/organizations/{bk.ORGANIZATION}/pipelines/e2e-tests/builds"


def git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
        cwd=directory, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout on branch feature/login with one commit."""
    directory = tmp_path / "shop"
    directory.mkdir()
    git(directory, "init", "-q", "-b", "feature/login")
    git(directory, "commit", "-q", "--allow-empty", "-m", "Sign in with email")
    return directory


def laptop_run(directory: Path, url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`testrun run` for Buildkite typed in `directory`, with no CI variable set."""
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(directory),
        "GIT_CEILING_DIRECTORIES": str(directory.parent),  # never the checkout of these tests
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "testrun_action", "run", "--provider", "buildkite", "--api-url", url,
         "--api-key", bk.DEFAULT_TOKEN, "--organization", bk.ORGANIZATION, "--pipeline", "e2e-tests",
         "--suite", "e2e", "--no-wait", "--no-check-run", "--no-job-summary", *args],
        cwd=directory, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_outside_ci_the_commit_and_branch_come_from_the_local_checkout(
    repo: Path, buildkite: Simulated
) -> None:
    sha = git(repo, "rev-parse", "HEAD")

    done = laptop_run(repo, buildkite.url)

    assert done.returncode == 0, done.stdout + done.stderr
    body = buildkite.app.recorded("POST", BUILDS + r"\Z")[0]["body"]
    assert (body["commit"], body["branch"]) == (sha, "feature/login")
    assert f"Not in CI: commit {sha[:7]} and branch feature/login from the git checkout in {repo}." in (
        done.stdout.splitlines()
    )


def test_a_ci_variable_still_wins_over_the_checkout(repo: Path, buildkite: Simulated) -> None:
    done = laptop_run(repo, buildkite.url, GITHUB_REF_NAME="release/2.0")

    assert done.returncode == 0, done.stdout + done.stderr
    body = buildkite.app.recorded("POST", BUILDS + r"\Z")[0]["body"]
    assert body["branch"] == "release/2.0"
    assert "Not in CI: commit " in done.stdout
    assert "branch feature/login" not in done.stdout


def test_outside_ci_without_a_checkout_the_error_names_the_flag_to_pass(
    tmp_path: Path, buildkite: Simulated
) -> None:
    done = laptop_run(tmp_path, buildkite.url)

    assert done.returncode == 2
    assert (
        "Error: Input 'test-branch': pass --test-branch (no branch is known: not in CI and no git checkout here)."
        in done.stdout.splitlines()
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert buildkite.app.recorded("POST", BUILDS + r"\Z") == []


def test_without_git_installed_the_error_names_the_flag_to_pass(repo: Path, buildkite: Simulated) -> None:
    done = laptop_run(repo, buildkite.url, PATH=str(repo))  # no git on this PATH

    assert done.returncode == 2
    assert "pass --test-branch (no branch is known: not in CI and no git checkout here)." in done.stdout


def test_a_detached_checkout_gives_the_commit_and_asks_for_the_branch(
    repo: Path, buildkite: Simulated
) -> None:
    git(repo, "checkout", "-q", "--detach")

    done = laptop_run(repo, buildkite.url)

    assert done.returncode == 2
    assert "detached HEAD" in done.stdout
    assert "--test-branch" in done.stdout


def test_in_ci_the_checkout_is_never_read(repo: Path, buildkite: Simulated) -> None:
    done = laptop_run(repo, buildkite.url, CI="true")

    assert done.returncode == 2
    assert "Input 'test-branch': is required here" in done.stdout
    assert "git checkout" not in done.stdout


def test_a_git_that_hangs_is_given_up_on_in_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "git"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(checkout, "GIT_SECONDS", 0.5)

    started = time.monotonic()
    found = checkout.local_checkout(str(tmp_path))

    assert found is None
    assert time.monotonic() - started < 5
