"""The recipes of docs/other-ci.md for GitLab CI, Buildkite and CircleCI, run as those systems run them: the
commands of each recipe (taken from the page, the installs aside) in one shell, with the system's own
variables and none of GitHub's, against the Empirical simulator. What they promise: the exit code, the
JUnit file the CI system shows, and the outputs as JSON."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import JUnitXml, TestSuite

from testrun_sim.empirical import DEFAULT_KEY, Scenario

from .conftest import FAST, HEAD_SHA, Simulated

ROOT = Path(__file__).resolve().parent.parent
SECTION = (ROOT / "docs" / "other-ci.md").read_text(encoding="utf-8")
PACKAGE = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]


def block(after: str, language: str) -> str:
    """The first ```language block after the heading or line `after` in docs/other-ci.md."""
    start = SECTION.index(after)
    opening = SECTION.index(f"```{language}\n", start) + len(language) + 4
    return SECTION[opening : SECTION.index("```", opening)]


SCRIPT = block("The three recipes below run one script", "sh")


@dataclass
class Recipe:
    commands: list[str]  # run in one shell, as the system runs them
    installs: list[str]  # the install lines, checked, not run (no package index here)
    environment: dict[str, str]  # what the recipe's configuration sets
    results: list[str]  # the files the recipe hands to the system (artifacts, test results)
    junit: str  # the one shown as test results
    runner: list[str]  # the shell the system runs a step's commands with
    system: dict[str, str]  # the system's own variables


def gitlab() -> Recipe:
    job = yaml.safe_load(block("## GitLab CI", "yaml"))["e2e"]
    return Recipe(
        commands=job["script"],
        installs=job["before_script"],
        environment=job.get("variables", {}),
        results=[*job["artifacts"]["paths"], job["artifacts"]["reports"]["junit"]],
        junit=job["artifacts"]["reports"]["junit"],
        runner=["bash", "-eo", "pipefail", "-c"],  # GitLab's bash executor
        system={
            "GITLAB_CI": "true",
            "CI_COMMIT_SHA": HEAD_SHA,
            "CI_COMMIT_REF_NAME": "main",
            "GITLAB_USER_LOGIN": "octocat",
            "CI_PROJECT_URL": "https://gitlab.example.com/acme/shop",
        },
    )


def buildkite() -> Recipe:
    (step,) = yaml.safe_load(block("## Buildkite", "yaml"))["steps"]
    commands = step["command"] if isinstance(step["command"], list) else [step["command"]]
    return Recipe(
        commands=[c for c in commands if not c.startswith("pipx install")],
        installs=[c for c in commands if c.startswith("pipx install")],
        environment=step.get("env", {}),
        results=step["artifact_paths"],
        junit="e2e-results.xml",
        runner=["bash", "-e", "-c"],  # the agent's default shell
        system={
            "BUILDKITE": "true",
            "BUILDKITE_COMMIT": HEAD_SHA,
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_BUILD_CREATOR": "Octo Cat",
        },
    )


def circleci() -> Recipe:
    job = yaml.safe_load(block("## CircleCI", "yaml"))["jobs"]["e2e"]
    runs = [s["run"] for s in job["steps"] if isinstance(s, dict) and "run" in s]
    commands = [r if isinstance(r, str) else r["command"] for r in runs]
    stored = [
        s for s in job["steps"] if isinstance(s, dict) and {"store_test_results", "store_artifacts"} & set(s)
    ]
    paths = [next(iter(s.values()))["path"] for s in stored]
    (junit,) = [s["store_test_results"]["path"] for s in stored if "store_test_results" in s]
    return Recipe(
        commands=[c for c in commands if not c.startswith("pipx install")],
        installs=[c for c in commands if c.startswith("pipx install")],
        environment=job.get("environment", {}),
        results=paths,
        junit=junit,
        runner=["/bin/bash", "-eo", "pipefail", "-c"],  # CircleCI's default for `run`
        system={
            "CIRCLECI": "true",
            "CIRCLE_SHA1": HEAD_SHA,
            "CIRCLE_BRANCH": "main",
            "CIRCLE_USERNAME": "octocat",
        },
    )


RECIPES: dict[str, Callable[[], Recipe]] = {"gitlab": gitlab, "buildkite": buildkite, "circleci": circleci}


@dataclass
class Ran:
    code: int
    log: str
    outputs: dict[str, Any]
    junit: TestSuite | None  # as CI systems read it
    project: Path


def run_recipe(recipe: Recipe, project: Path, empirical: Simulated, **secrets: str) -> Ran:
    (project / "ci").mkdir(parents=True, exist_ok=True)
    (project / "ci" / "e2e.sh").write_text(SCRIPT, encoding="utf-8")
    environ = {
        # Nothing of GitHub's, whatever runs these tests: the recipe must work without it.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(project),
        "LANG": "C.UTF-8",
        "CI": "true",
        **recipe.system,
        **{k: str(v) for k, v in recipe.environment.items()},
        # The service's secret and, standing in for the real service, the simulator's address.
        "INPUT_API_URL": empirical.url,
        "INPUT_POLL_INTERVAL": "0.2",
        **secrets,
    }
    done = subprocess.run(
        [*recipe.runner, "\n".join(recipe.commands)],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs_file = project / "testrun-outputs.json"
    junit_file = project / recipe.junit
    return Ran(
        code=done.returncode,
        log=done.stdout + done.stderr,
        outputs=json.loads(outputs_file.read_text(encoding="utf-8")) if outputs_file.exists() else {},
        junit=next(iter(JUnitXml.fromfile(str(junit_file)))) if junit_file.exists() else None,
        project=project,
    )


@pytest.fixture
def failing(empirical: Simulated) -> Simulated:
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=2)
    return empirical


def test_the_recipes_install_the_package_pypi_publishes() -> None:
    for make in RECIPES.values():
        (install,) = make().installs
        assert re.fullmatch(rf"(?:pipx install|pip install --quiet) {re.escape(PACKAGE)}", install), install
    assert f"pipx install {PACKAGE}" in SECTION


@pytest.mark.parametrize("system", RECIPES)
def test_a_passing_run_exits_0_with_junit_and_json_outputs(
    system: str, tmp_path: Path, empirical: Simulated
) -> None:
    recipe = RECIPES[system]()

    ran = run_recipe(recipe, tmp_path, empirical, INPUT_API_KEY=DEFAULT_KEY)

    assert ran.code == 0, ran.log
    for result in recipe.results:
        assert (tmp_path / result).is_file(), f"{result} is missing"
    assert ran.junit is not None
    assert (ran.junit.tests, ran.junit.failures, ran.junit.errors) == (12, 0, 0)
    assert ran.outputs["result"] == "passed"
    assert (ran.outputs["total"], ran.outputs["passed"], ran.outputs["failed"]) == (12, 12, 0)
    assert ran.outputs["run-id"] == "1001"
    (trigger,) = empirical.app.recorded("PUT", r"^/api/test-runs$")
    build = trigger["body"]["build"]
    assert (build["commit"], build["branch"]) == (HEAD_SHA, "main")  # the system's commit and branch
    assert "::" not in ran.log  # plain text: no workflow commands outside GitHub Actions


@pytest.mark.parametrize("system", RECIPES)
def test_failed_tests_exit_1_and_are_listed_in_junit_and_json(
    system: str, tmp_path: Path, failing: Simulated
) -> None:
    ran = run_recipe(RECIPES[system](), tmp_path, failing, INPUT_API_KEY=DEFAULT_KEY)

    assert ran.code == 1, ran.log
    assert ran.junit is not None
    assert (ran.junit.tests, ran.junit.failures) == (12, 2)
    assert (ran.outputs["result"], ran.outputs["failed"], ran.outputs["exit-code"]) == ("failed", 2, 1)
    assert ran.outputs["run-url"].startswith("https://")


@pytest.mark.parametrize("system", RECIPES)
def test_a_missing_api_key_exits_2_with_result_error_and_no_run(
    system: str, tmp_path: Path, empirical: Simulated
) -> None:
    ran = run_recipe(RECIPES[system](), tmp_path, empirical)

    assert ran.code == 2, ran.log
    assert "api-key" in ran.log
    assert ran.outputs["result"] == "error"
    assert ran.outputs["run-id"] == ""
    assert empirical.app.recorded("PUT") == []
