"""The release notes for a version tag: its section of CHANGELOG.md, which the release workflow makes the
GitHub release's text.

python tools/release_notes.py v1.2.3 [--repository OWNER/REPO] [--changelog CHANGELOG.md] [--pyproject pyproject.toml]

CHANGELOG.md follows Keep a Changelog 1.1.0 (keepachangelog.com): one `## [1.2.3] - 2026-12-01` heading
per release, newest first, under an `## [Unreleased]` section, with link definitions (`[1.2.3]: https://…`)
at the end. The section runs from its heading to the next `## ` heading or the link definitions, and is
printed without its heading.

A release is refused (one line on stderr, exit 2, nothing printed) when the tag is not a version
(`v` and semantic version), CHANGELOG.md has no section for it, or the section is empty, or dated
anything but an ISO date, or the package's version in pyproject.toml is another (PyPI would otherwise
get a version the tag does not name), or, with --repository, a `project.urls` link of pyproject.toml
points at another repository than the one releasing (PyPI's page would link elsewhere for good).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Semantic Versioning 2.0.0's core and pre-release (build metadata has no place in a tag we publish).
TAG = re.compile(r"v(?P<version>(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?)")
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$", re.MULTILINE)
DATED = re.compile(r" - \d{4}-\d{2}-\d{2}")
NEXT = re.compile(r"^(?:## |\[[^\]]+\]: )", re.MULTILINE)


class Refused(Exception):
    """No notes for this tag; the message says why, in one line."""


def version_of(tag: str) -> str:
    match = TAG.fullmatch(tag)
    if not match:
        raise Refused(f"tag {tag[:80]!r} is not a version: expected v and a semantic version, e.g. v1.2.3")
    return match.group("version")


def notes(changelog: str, tag: str) -> str:
    """The section of `changelog` for `tag`, without its heading, stripped."""
    version = version_of(tag)
    for heading in HEADING.finditer(changelog):
        if heading.group("version") != version:
            continue
        if not DATED.fullmatch(heading.group("rest")):
            raise Refused(
                f"CHANGELOG.md's heading for {version} has no date: expected `## [{version}] - YYYY-MM-DD`"
            )
        following = NEXT.search(changelog, heading.end())
        body = changelog[heading.end() : following.start() if following else len(changelog)].strip()
        if not re.search(r"^- \S", body, re.MULTILINE):
            raise Refused(f"CHANGELOG.md's section for {version} lists no change")
        return body + "\n"
    raise Refused(
        f"CHANGELOG.md has no section for {version}: add `## [{version}] - YYYY-MM-DD` with its changes"
    )


def package_version(pyproject: str) -> str:
    return str(tomllib.loads(pyproject)["project"]["version"])


def foreign_urls(pyproject: str, repository: str) -> list[str]:
    """The names of `project.urls` that do not point into https://github.com/<repository>."""
    home = re.compile(re.escape(f"https://github.com/{repository}") + r"(?:[/#]|\Z)", re.IGNORECASE)
    urls = tomllib.loads(pyproject)["project"].get("urls", {})
    return [name for name, url in urls.items() if not home.match(str(url))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the version tag, e.g. v1.2.3")
    parser.add_argument(
        "--repository", help="owner/name of the repository releasing, for the package's links"
    )
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    args = parser.parse_args(argv)
    try:
        text = notes(args.changelog.read_text(encoding="utf-8"), args.tag)
        pyproject = args.pyproject.read_text(encoding="utf-8")
        packaged = package_version(pyproject)
        if packaged != version_of(args.tag):
            raise Refused(f"tag {args.tag} is not the package's version {packaged} (pyproject.toml)")
        foreign = foreign_urls(pyproject, args.repository) if args.repository else []
        if foreign:
            raise Refused(
                f"pyproject.toml's project.urls {', '.join(foreign)} point outside "
                f"https://github.com/{args.repository}: set them to this repository"
            )
    except Refused as exc:
        sys.stderr.write(f"release_notes: {exc}\n")
        return 2
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        sys.stderr.write(
            f"release_notes: cannot read the changelog or the package version ({type(exc).__name__})" + "\n"
        )
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
