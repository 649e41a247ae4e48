"""The local git checkout: on a laptop, where no CI variable names the commit and branch under test, they
are read from the checkout in the working directory (`git rev-parse`), as a person would expect of a
command run there."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

# `git rev-parse` answers in milliseconds; a few seconds cover a cold disk or a network file system,
# and a git that hangs (a lock, a credential prompt of some hook) never holds the step longer.
GIT_SECONDS = 5.0
# The longest branch name a trigger sends: the 255 bytes of a ref name's component on most file systems
# (git's refs are files), enough for any real branch.
BRANCH_CHARS = 255
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")  # SHA-1, or SHA-256 in a repository that uses it
_FALSE = ("", "0", "false", "no")


def in_ci(environ: Mapping[str, str]) -> bool:
    """Whether a CI system runs this: GitHub Actions, or any that sets `CI` (GitLab, CircleCI,
    Buildkite and GitHub itself do, github-platform.md 1.1)."""
    return environ.get("GITHUB_ACTIONS") == "true" or environ.get("CI", "").strip().lower() not in _FALSE


@dataclass(frozen=True, slots=True)
class Checkout:
    """What the checkout says: its commit, and its branch unless HEAD is detached."""

    directory: str
    sha: str | None
    branch: str | None


def local_checkout(directory: str | None = None) -> Checkout | None:
    """The checkout in `directory` (the working directory by default); None where there is no git or no
    checkout, or git does not answer in time."""
    where = directory or os.getcwd()
    sha = _git(where, "rev-parse", "HEAD")
    if sha is None or not _SHA.fullmatch(sha):
        return None
    branch = _git(where, "rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD" or (branch and len(branch) > BRANCH_CHARS):  # detached, or not a name to send
        branch = None
    return Checkout(where, sha, branch or None)


def _git(directory: str, *args: str) -> str | None:
    environ = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=directory,
            env=environ,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=GIT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):  # no git, no directory, too slow
        return None
    if done.returncode != 0:
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if lines else None
