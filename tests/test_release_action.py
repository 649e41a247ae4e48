"""The release's action.yml: tools/release_action.py run on a copy of the repository's action.yml, as the
release workflow runs it, pins the image by digest and keeps everything else a user relies on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "release_action.py"
DIGEST = "sha256:" + "0123456789abcdef" * 4
PINNED = f"docker://ghcr.io/acme/testrun-action@{DIGEST}"


def release(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    copy = tmp_path / "action.yml"
    if not copy.exists():
        shutil.copy(ROOT / "action.yml", copy)
    done = subprocess.run(
        [sys.executable, str(TOOL), *args, str(copy)], capture_output=True, text=True, timeout=60
    )
    return done, copy


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_release_names_the_published_image_by_digest(tmp_path: Path) -> None:
    done, copy = release(tmp_path, "--owner", "acme", "--digest", DIGEST)

    assert done.returncode == 0, done.stderr
    runs = load(copy)["runs"]
    assert runs["using"] == "docker"
    assert runs["image"] == PINNED


def test_the_release_keeps_every_input_default_and_output(tmp_path: Path) -> None:
    source = load(ROOT / "action.yml")

    done, copy = release(tmp_path, "--owner", "acme", "--digest", DIGEST)

    assert done.returncode == 0, done.stderr
    released = load(copy)
    assert released["inputs"] == source["inputs"]
    assert list(released["inputs"]) == list(source["inputs"])
    assert {n: i.get("default") for n, i in released["inputs"].items()} == {
        n: i.get("default") for n, i in source["inputs"].items()
    }
    assert released["outputs"] == source["outputs"]
    for key in ("name", "description", "author", "branding"):
        assert released[key] == source[key]


def test_the_post_step_runs_in_the_pinned_image(tmp_path: Path) -> None:
    """`post-entrypoint` is a path in `image`: the runner starts the post step from the same image, so
    the release keeps the path and pins the image both steps run in."""
    source = load(ROOT / "action.yml")["runs"]

    done, copy = release(tmp_path, "--owner", "acme", "--digest", DIGEST)

    assert done.returncode == 0, done.stderr
    runs = load(copy)["runs"]
    assert runs["post-entrypoint"] == source["post-entrypoint"]
    assert runs["post-entrypoint"].startswith("/")
    assert {k: v for k, v in runs.items() if k != "image"} == {
        k: v for k, v in source.items() if k != "image"
    }
    assert not any(isinstance(v, str) and "Dockerfile" in v for v in runs.values())


def test_only_the_image_line_changes_and_the_source_stays_as_it_is(tmp_path: Path) -> None:
    before = (ROOT / "action.yml").read_text(encoding="utf-8")

    done, copy = release(tmp_path, "--owner", "acme", "--digest", DIGEST)

    assert done.returncode == 0, done.stderr
    after = copy.read_text(encoding="utf-8")
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert removed == ["  image: Dockerfile"]
    assert [line for line in added if not line.lstrip().startswith("#")] == [f"  image: {PINNED}"]
    assert (ROOT / "action.yml").read_text(encoding="utf-8") == before
    assert "image: Dockerfile" in before  # the default branch keeps building from the Dockerfile


def test_a_mixed_case_owner_names_the_lower_case_registry_path(tmp_path: Path) -> None:
    done, copy = release(tmp_path, "--owner", "Acme-Labs", "--digest", DIGEST)

    assert done.returncode == 0, done.stderr
    assert load(copy)["runs"]["image"] == f"docker://ghcr.io/acme-labs/testrun-action@{DIGEST}"


@pytest.mark.parametrize(
    "digest",
    [
        "",
        "0123456789abcdef" * 4,  # no algorithm
        "sha256:" + "0123456789abcdef" * 3,  # too short
        "sha256:" + "0123456789ABCDEF" * 4,  # not as registries write it
        "sha512:" + "0123456789abcdef" * 8,
        "sha256:" + "0123456789abcdef" * 4 + "0",
        "sha256:" + "0123456789abcdeg" * 4,
        "sha256:" + "0123456789abcdef" * 4 + "\n  entrypoint: /bin/sh",
        "latest",
    ],
)
def test_a_bad_digest_is_refused_and_the_file_left_alone(tmp_path: Path, digest: str) -> None:
    done, copy = release(tmp_path, "--owner", "acme", f"--digest={digest}")

    assert done.returncode == 2
    assert "is not an image digest" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert copy.read_text(encoding="utf-8") == (ROOT / "action.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("owner", ["", "acme/evil", "-acme", "acme-", "ac--me", "a" * 40, "acme\n", "ac me"])
def test_an_owner_that_is_no_github_login_is_refused(tmp_path: Path, owner: str) -> None:
    done, copy = release(tmp_path, f"--owner={owner}", "--digest", DIGEST)

    assert done.returncode == 2
    assert "is not a GitHub user or organization name" in done.stderr
    assert copy.read_text(encoding="utf-8") == (ROOT / "action.yml").read_text(encoding="utf-8")


def test_an_action_yml_pinned_already_is_refused(tmp_path: Path) -> None:
    first, copy = release(tmp_path, "--owner", "acme", "--digest", DIGEST)
    pinned = copy.read_text(encoding="utf-8")

    again, _ = release(tmp_path, "--owner", "acme", "--digest", "sha256:" + "f" * 64)

    assert first.returncode == 0
    assert again.returncode == 2
    assert "is it pinned already?" in again.stderr
    assert copy.read_text(encoding="utf-8") == pinned


def test_the_check_catches_a_rewrite_that_loses_an_input() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import release_action
    finally:
        sys.path.remove(str(ROOT / "tools"))
    before = (ROOT / "action.yml").read_text(encoding="utf-8")
    pinned = release_action.pin(before, PINNED)
    lost = pinned.replace("  wait:\n", "  wait-not:\n", 1)

    assert release_action.problems(before, pinned, PINNED) == []
    assert release_action.problems(before, lost, PINNED) == ["`inputs` changed"]
    assert release_action.problems(before, pinned.replace("ghcr.io/acme", "ghcr.io/other"), PINNED)


def test_the_docs_show_the_runs_block_a_release_has(tmp_path: Path) -> None:
    readme = (ROOT / "docs" / "image.md").read_text(encoding="utf-8")
    shown = readme[readme.index("runs:\n  using: docker\n  # A release commit") :]
    shown = shown[: shown.index("```")]

    done, copy = release(tmp_path, "--owner", "owner", "--digest", DIGEST)

    assert done.returncode == 0, done.stderr
    released = copy.read_text(encoding="utf-8")
    assert released.endswith(shown.replace("sha256:<digest of the release's image>", DIGEST))
