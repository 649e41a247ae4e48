"""action.yml against GitHub's action metadata rules. actionlint checks workflows, not this file, and the
runner reports most of these mistakes only when a user's job starts.

Rules: github/docs "Metadata syntax for GitHub Actions" and the runner's checks (github-platform.md 4);
the supported branding values are in tests/fixtures/action-branding.yml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from testrun_action.inputs import INPUT_NAMES, OUTPUT_NAMES

from .conftest import Job

REPO = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))

TOP_LEVEL_KEYS = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
DOCKER_RUNS_KEYS = {
    "using",
    "image",
    "env",
    "entrypoint",
    "pre-entrypoint",
    "pre-if",
    "post-entrypoint",
    "post-if",
    "args",
}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
# `<id>` must start with a letter or `_` and contain only alphanumerics, `-` or `_` (metadata syntax, inputs).
ID = re.compile(r"[_a-zA-Z][a-zA-Z0-9_-]*")
# `[path/]Dockerfile` or `Dockerfile.*`, or `docker://image[:tag]` (runner ActionManager.cs; github-platform.md 4).
DOCKERFILE_IMAGE = re.compile(r"(?:[\w.-]+/)*Dockerfile(?:\.[\w.-]+)?")
DOCKER_IMAGE = re.compile(r"docker://\S+")

BRANDING = yaml.safe_load((REPO / "tests" / "fixtures" / "action-branding.yml").read_text(encoding="utf-8"))


def test_action_yml_has_the_required_keys_and_no_unknown_ones() -> None:
    assert {"name", "description", "runs"} <= set(ACTION)
    assert set(ACTION) <= TOP_LEVEL_KEYS, set(ACTION) - TOP_LEVEL_KEYS
    assert isinstance(ACTION["name"], str)
    assert ACTION["name"].strip()
    assert isinstance(ACTION["description"], str)
    assert ACTION["description"].strip()


def test_the_action_runs_as_a_docker_action_built_from_a_dockerfile_in_the_repository() -> None:
    runs = ACTION["runs"]
    assert runs["using"] == "docker"
    assert set(runs) <= DOCKER_RUNS_KEYS, set(runs) - DOCKER_RUNS_KEYS
    image = runs["image"]
    assert DOCKERFILE_IMAGE.fullmatch(image) or DOCKER_IMAGE.fullmatch(image), image
    if DOCKERFILE_IMAGE.fullmatch(image):
        assert (REPO / image).is_file(), f"runs.image names {image}, which does not exist"
    # An `entrypoint` would replace the image's exec-form ENTRYPOINT; `args` would reach the CLI parser.
    assert "entrypoint" not in runs
    assert "args" not in runs


def test_the_post_step_has_an_entrypoint_that_the_dockerfile_puts_in_the_image() -> None:
    post = ACTION["runs"].get("post-entrypoint")
    assert isinstance(post, str), "runs.post-entrypoint is missing"
    assert post.startswith("/"), "runs.post-entrypoint must be an absolute path"
    # `--entrypoint` names one executable and takes no arguments (github-platform.md 1.2).
    assert " " not in post
    dockerfile = (REPO / ACTION["runs"]["image"]).read_text(encoding="utf-8")
    assert re.search(rf"^COPY\s+(?:--\S+\s+)*\S+\s+{re.escape(post)}\s*$", dockerfile, re.MULTILINE), (
        f"the Dockerfile does not COPY anything to {post}"
    )


@pytest.mark.parametrize("name", sorted(ACTION.get("inputs", {})))
def test_every_input_has_a_valid_id_and_a_description(name: str) -> None:
    spec: dict[str, Any] = ACTION["inputs"][name]
    assert ID.fullmatch(name), name
    assert set(spec) <= INPUT_KEYS, set(spec) - INPUT_KEYS
    assert isinstance(spec.get("description"), str)
    assert spec["description"].strip()
    assert isinstance(spec.get("required", False), bool)
    assert isinstance(spec.get("default", ""), str), (
        "defaults are strings; YAML would turn `true` into a bool"
    )


def test_inputs_are_case_insensitively_unique_and_match_the_code() -> None:
    # The runner upper-cases names into INPUT_<NAME>, so `Api-Key` and `api-key` would collide.
    names = list(ACTION.get("inputs", {}))
    assert len({n.upper() for n in names}) == len(names)
    assert set(names) == INPUT_NAMES


def test_every_output_has_a_valid_id_and_a_description() -> None:
    outputs: dict[str, Any] = ACTION.get("outputs", {})
    assert outputs
    for name, spec in outputs.items():
        assert ID.fullmatch(name), name
        assert set(spec) == {"description"}, f"{name}: a Docker action's outputs take a description only"
        assert isinstance(spec["description"], str)
        assert spec["description"].strip()
    assert set(outputs) == OUTPUT_NAMES


def test_the_outputs_the_action_writes_are_the_declared_ones(job: Job) -> None:
    declared = set(ACTION["outputs"])

    finished = job.run(environment="staging")
    misconfigured = job.run(environment="")

    assert finished.code == 0, finished.log
    assert set(finished.outputs) == declared
    assert misconfigured.code != 0
    assert set(misconfigured.outputs) <= declared


def test_branding_uses_an_icon_and_a_colour_that_github_supports() -> None:
    branding = ACTION.get("branding")
    assert isinstance(branding, dict), "without branding the Marketplace shows a generic badge"
    assert set(branding) <= {"icon", "color"}
    assert branding.get("icon") in BRANDING["icons"], branding.get("icon")
    assert branding.get("color") in BRANDING["colors"], branding.get("color")
