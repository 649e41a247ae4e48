"""A release's notes come from its CHANGELOG.md section, and a tag without one is refused
(tools/release_notes.py, as the release workflow runs it)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "release_notes.py"

CHANGELOG = """\
# Changelog

## [Unreleased]

### Added

- Something not released yet.

## [1.2.0] - 2026-12-01

### Added

- `wait-for` input.

### Fixed

- The comment no longer doubles on a re-run.

## [1.1.0] - 2026-11-01

### Changed

- Faster start.

[Unreleased]: https://github.com/acme/testrun-action/compare/v1.2.0...HEAD
[1.2.0]: https://github.com/acme/testrun-action/compare/v1.1.0...v1.2.0
[1.1.0]: https://github.com/acme/testrun-action/releases/tag/v1.1.0
"""


def notes(
    tmp_path: Path, tag: str, changelog: str = CHANGELOG, version: str | None = None
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    packaged = version if version is not None else tag.removeprefix("v")
    (tmp_path / "pyproject.toml").write_text(f'[project]\nversion = "{packaged}"\n', encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            str(TOOL),
            tag,
            "--changelog",
            str(tmp_path / "CHANGELOG.md"),
            "--pyproject",
            str(tmp_path / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_notes_are_the_tags_section_without_its_heading(tmp_path: Path) -> None:
    done = notes(tmp_path, "v1.2.0")

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "### Added\n\n- `wait-for` input.\n\n### Fixed\n\n- The comment no longer doubles on a re-run.\n"
    )


def test_the_last_section_stops_at_the_link_definitions(tmp_path: Path) -> None:
    done = notes(tmp_path, "v1.1.0")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "### Changed\n\n- Faster start.\n"


@pytest.mark.parametrize("tag", ["v1.3.0", "v1.2", "v1.2.0.1", "1.2.0", "vUnreleased", "v1.2.0\n", ""])
def test_a_tag_without_a_section_is_refused(tmp_path: Path, tag: str) -> None:
    done = notes(tmp_path, tag)

    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert re.search(r"no section for|is not a version", done.stderr), done.stderr


def test_a_section_that_lists_no_change_is_refused(tmp_path: Path) -> None:
    empty = CHANGELOG.replace("### Changed\n\n- Faster start.\n", "### Changed\n\n")

    done = notes(tmp_path, "v1.1.0", empty)

    assert done.returncode == 2
    assert "lists no change" in done.stderr


def test_a_section_without_a_date_is_refused(tmp_path: Path) -> None:
    undated = CHANGELOG.replace("## [1.2.0] - 2026-12-01", "## [1.2.0]")

    done = notes(tmp_path, "v1.2.0", undated)

    assert done.returncode == 2
    assert "has no date" in done.stderr


def test_a_tag_that_is_not_the_package_version_is_refused(tmp_path: Path) -> None:
    done = notes(tmp_path, "v1.2.0", version="1.1.0")

    assert done.returncode == 2
    assert done.stdout == ""
    assert "is not the package's version 1.1.0" in done.stderr


def test_the_projects_changelog_keeps_the_format_the_release_reads() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", text, re.MULTILINE)

    assert text.startswith("# Changelog\n")
    assert headings[0] == ("Unreleased", "")
    for version, rest in headings[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?", version), version
        assert re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest), (version, rest)
    for heading in re.findall(r"^### (.+)$", text, re.MULTILINE):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, heading


def test_package_links_to_another_repository_are_refused(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    pyproject = tmp_path / "pyproject.toml"
    command = [sys.executable, str(TOOL), "v1.2.0", "--changelog", str(tmp_path / "CHANGELOG.md")]
    urls = (
        'Source = "https://github.com/Acme/testrun-action"\n'
        'Documentation = "https://github.com/acme/testrun-action#readme"\n'
        'Changelog = "https://github.com/acme/testrun-action/blob/main/CHANGELOG.md"\n'
    )
    pyproject.write_text(f'[project]\nversion = "1.2.0"\n[project.urls]\n{urls}', encoding="utf-8")
    ours = subprocess.run(
        [*command, "--pyproject", str(pyproject), "--repository", "acme/testrun-action"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    pyproject.write_text(
        f'[project]\nversion = "1.2.0"\n[project.urls]\n{urls}Issues = "https://github.com/acme/testrun-action-fork/issues"\n',
        encoding="utf-8",
    )
    theirs = subprocess.run(
        [*command, "--pyproject", str(pyproject), "--repository", "acme/testrun-action"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 2
    assert "project.urls Issues point outside https://github.com/acme/testrun-action" in theirs.stderr
