"""The release workflow's promises that actionlint cannot see: nothing is published before the tag's notes
and the checks pass, only the PyPI job can mint an OIDC token, and the tags move to a commit whose
action.yml is the one tools/release_action.py writes from the pushed image's digest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW: dict[str, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
JOBS: dict[str, Any] = WORKFLOW["jobs"]
# PyYAML reads the key `on` as True (YAML 1.1).
TRIGGER = WORKFLOW.get("on", WORKFLOW.get(True))


def needs(job: str) -> set[str]:
    """Every job that `job` waits for, directly or not."""
    direct = JOBS[job].get("needs", [])
    direct = [direct] if isinstance(direct, str) else direct
    return set(direct).union(*(needs(d) for d in direct)) if direct else set()


def steps(job: str) -> list[dict[str, Any]]:
    return list(JOBS[job].get("steps", []))


def test_only_full_version_tags_release() -> None:
    (pattern,) = TRIGGER["push"]["tags"]
    as_regex = re.compile(pattern.replace(".", r"\.").replace("[0-9]+", "[0-9]+"))
    assert as_regex.fullmatch("v1.2.3")
    assert as_regex.fullmatch("v10.0.12")
    for tag in ("v1.3.0-rc.1", "v1", "1.2.3", "v1.2"):
        assert not as_regex.fullmatch(tag), tag
    assert set(TRIGGER) == {"push"}


def test_nothing_is_published_before_the_notes_and_the_checks() -> None:
    publishing = {"image", "dist", "pypi", "release"}
    for job in publishing:
        assert {"notes", "checks"} <= needs(job), job
    assert needs("notes") == set()
    assert JOBS["checks"]["uses"] == "./.github/workflows/ci.yml"


def test_the_notes_job_refuses_a_tag_without_a_changelog_section() -> None:
    (step,) = [s for s in steps("notes") if "run" in s]
    assert step["run"].startswith('python tools/release_notes.py "$TAG"')
    assert "--repository" in step["run"]
    assert step["env"]["TAG"] == "${{ github.ref_name }}"


def test_only_the_pypi_job_may_mint_an_id_token_and_it_has_no_other_permission() -> None:
    assert WORKFLOW["permissions"] == {}
    for name, job in JOBS.items():
        granted = job.get("permissions", {})
        if name == "pypi":
            assert granted == {"id-token": "write"}
        else:
            assert "id-token" not in granted, name
    uses = [s.get("uses", "") for s in steps("pypi")]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    assert JOBS["pypi"]["environment"]["name"] == "pypi"
    assert not any("password" in (s.get("with") or {}) for s in steps("pypi"))  # trusted publishing


def test_every_action_is_pinned_by_commit() -> None:
    for name, job in JOBS.items():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), (name, step["uses"])


def test_the_tags_move_to_a_commit_whose_action_yml_names_the_pushed_digest() -> None:
    assert "image" in needs("release")
    assert JOBS["image"]["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"
    (push,) = [s for s in steps("image") if s.get("id") == "push"]
    assert push["uses"].startswith("docker/build-push-action@")
    assert push["with"]["push"] is True
    assert push["with"]["platforms"] == "linux/amd64,linux/arm64"

    runs = [s for s in steps("release") if "run" in s]
    pin, commit = runs[0], runs[1]
    assert pin["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    assert 'tools/release_action.py --owner "$OWNER" --digest "$DIGEST" action.yml' in pin["run"]
    assert "git commit" in commit["run"]
    assert commit["run"].index("git commit") < commit["run"].index("git tag")
    assert re.search(r'git push --force origin "refs/tags/\$VERSION" "refs/tags/\$major"', commit["run"])
    notes = runs[2]
    assert "gh release create" in notes["run"]
    assert '--notes-file "$RUNNER_TEMP/notes/notes.md"' in notes["run"]
