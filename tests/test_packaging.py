"""What PyPI gets: the wheel and sdist the release workflow builds (the same backend calls, on a copy of
the tracked files), whose install gives the `testrun` command."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.message import Message
from pathlib import Path

import pytest
import yaml

import testrun_action

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"


def build_command() -> str:
    """The command of the release workflow's step that builds the distributions."""
    workflow = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    (step,) = [s for s in workflow["jobs"]["dist"]["steps"] if s.get("name") == "Build the wheel and sdist"]
    return str(step["run"])


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (tree / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / os.fsdecode(name))
    # The workflow runs it with the build venv's python on PATH; here that is this interpreter's.
    environ = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", build_command()],
        cwd=tree,
        env=environ,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return tree / "dist"


def wheel_metadata(dist: Path) -> Message:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return email.message_from_bytes(archive.read(f"testrun_action-{VERSION}.dist-info/METADATA"))


def test_the_release_builds_one_wheel_and_one_sdist_of_the_package_version(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == [
        f"testrun_action-{VERSION}-py3-none-any.whl",
        f"testrun_action-{VERSION}.tar.gz",
    ]
    assert testrun_action.__version__ == VERSION  # what `testrun --version` says


def test_pypi_gets_the_name_license_classifiers_links_and_readme(dist: Path) -> None:
    metadata = wheel_metadata(dist)

    assert metadata["Name"] == "testrun-action"
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Programming Language :: Python :: 3.12" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the SPDX expression says it
    links = dict(link.split(", ", 1) for link in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Changelog", "Issues"} <= set(links)
    assert all(url.startswith("https://github.com/") for url in links.values())
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "# testrun-action" in metadata.get_payload()


def test_the_install_gives_the_testrun_command_with_the_simulators(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(f"testrun_action-{VERSION}.dist-info/entry_points.txt").decode()
    assert "testrun = testrun_action.cli:entrypoint" in entry_points
    assert "testrun_action/cli.py" in names
    assert "testrun_sim/sandbox.py" in names  # `testrun sandbox` and `testrun demo` work from PyPI

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    shown = subprocess.run(
        [str(target / "bin" / "testrun"), "--version"],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"testrun-action {VERSION}"
    imported = subprocess.run(
        [sys.executable, "-c", "import testrun_action; print(testrun_action.__file__)"],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.stdout.startswith(str(target)), imported.stdout  # the wheel's, not the checkout's


def test_the_sdist_carries_the_sources(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "src/testrun_action/cli.py"} <= names
