"""The GitHub context: which commit and branch are under test, who started it, and where to link.

Read once from the `GITHUB_*` variables and the event payload (github-platform.md 1.3 and 2). The commit
is the one the event is about, never the temporary merge commit of a pull request. Outside GitHub Actions
the same fields come from GitLab CI or CircleCI variables where those are set, and outside any CI from
the git checkout in the working directory (`checkout`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .checkout import in_ci, local_checkout
from .errors import ConfigurationError
from .model import Source

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
# Events whose commit under test is only in the payload (github-platform.md 2).
NEEDS_PAYLOAD = (*PULL_REQUEST_EVENTS, "deployment_status")


class GitHubContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    in_actions: bool = False
    event_name: str = ""
    repository: str | None = None
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    sha: str | None = None
    branch: str | None = None
    actor: str | None = None
    commit_url: str | None = None
    commit_message: str | None = None  # first line: the head commit's message, or the pull request title
    deployment_url: str | None = None
    pull_request: int | None = None
    fork_pull_request: bool = False
    run_url: str | None = None
    workspace: str | None = None
    default_branch: str | None = None
    in_ci: bool = True  # False on a laptop: no CI variable says what is under test
    # Outside CI: where the commit and branch came from (a line for the log), or why no branch is known.
    local_source: str | None = None
    no_branch_why: str = "no branch is known for the commit under test (not a GitHub job?)"

    @property
    def short_sha(self) -> str | None:
        return self.sha[:7] if self.sha else None

    def source(self) -> Source:
        """The code under test, for the reports."""
        return Source(
            commit=self.sha,
            commit_url=self.commit_url,
            branch=self.branch,
            repository=self.repository,
            server_url=self.server_url,
            pull_request=self.pull_request,
        )


def _get(payload: Mapping[str, Any], *path: str) -> Any:
    node: Any = payload
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _load_event(environ: Mapping[str, str], event_name: str) -> dict[str, Any]:
    """The event payload. Events whose commit is only in the payload (a pull request's head, a
    deployment's sha) cannot go without it: GITHUB_SHA would be the wrong commit (section 2)."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    needed = event_name in NEEDS_PAYLOAD
    if not path:
        if needed:
            raise ConfigurationError(
                "GITHUB_EVENT_PATH",
                f"is not set, and a {event_name} event needs its payload to know the commit.",
            )
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            payload = json.load(handle)
    except FileNotFoundError:
        if needed:
            raise ConfigurationError(
                "GITHUB_EVENT_PATH",
                f"the event payload file does not exist, and a {event_name} event needs it to know the commit.",
            ) from None
        return {}
    except RecursionError:
        raise ConfigurationError(
            "GITHUB_EVENT_PATH", "the event payload is nested too deeply to read."
        ) from None
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigurationError(
            "GITHUB_EVENT_PATH", f"the event payload could not be read ({why})."
        ) from None
    if not isinstance(payload, dict):
        if needed:
            raise ConfigurationError("GITHUB_EVENT_PATH", "the event payload is not a JSON object.")
        return {}
    return payload


def _head(event_name: str, event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The commit and branch the event is about (github-platform.md section 2)."""
    if event_name in PULL_REQUEST_EVENTS:
        return _text(_get(event, "pull_request", "head", "sha")), _text(
            _get(event, "pull_request", "head", "ref")
        )
    if event_name == "deployment_status":
        return _text(_get(event, "deployment", "sha")), _text(_get(event, "deployment", "ref"))
    if event_name == "workflow_run":
        return _text(_get(event, "workflow_run", "head_sha")), _text(
            _get(event, "workflow_run", "head_branch")
        )
    return None, None


def _message(event_name: str, event: Mapping[str, Any]) -> str | None:
    """A one-line description of the change under test, from the event payload."""
    if event_name in PULL_REQUEST_EVENTS:
        text = _get(event, "pull_request", "title")
    elif event_name == "workflow_run":
        text = _get(event, "workflow_run", "head_commit", "message")
    elif event_name == "deployment_status":
        text = _get(event, "deployment", "description")
    else:
        text = _get(event, "head_commit", "message")
    line = _text(text)
    return line.splitlines()[0].strip() or None if line else None


def _is_fork(event_name: str, event: Mapping[str, Any], actor: str | None) -> bool:
    if event_name != "pull_request":  # pull_request_target runs with the base repository's token
        return False
    head_repo = _get(event, "pull_request", "head", "repo", "full_name")
    base_repo = _get(event, "pull_request", "base", "repo", "full_name")
    forked = bool(_get(event, "pull_request", "head", "repo", "fork")) or head_repo != base_repo
    # Dependabot's pull requests get a read-only token too (github-platform.md section 7).
    return forked or actor == "dependabot[bot]"


def load_context(environ: Mapping[str, str]) -> GitHubContext:
    event_name = environ.get("GITHUB_EVENT_NAME", "")
    event = _load_event(environ, event_name)
    server = (environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repository = _text(environ.get("GITHUB_REPOSITORY"))
    sha, branch = _head(event_name, event)
    if event_name in NEEDS_PAYLOAD and not sha:
        where = "deployment.sha" if event_name == "deployment_status" else "pull_request.head.sha"
        raise ConfigurationError(
            "GITHUB_EVENT_PATH", f"the {event_name} event payload has no `{where}`: the commit under test."
        )
    sha = (
        sha
        or _text(environ.get("GITHUB_SHA"))
        or _text(environ.get("CI_COMMIT_SHA"))
        or _text(environ.get("CIRCLE_SHA1"))
    )
    branch = (
        branch
        or _text(environ.get("GITHUB_REF_NAME"))
        or _text(environ.get("CI_COMMIT_REF_NAME"))
        or _text(environ.get("CIRCLE_BRANCH"))
    )
    said, no_branch_why, ci = None, None, in_ci(environ)
    if not ci and not (sha and branch):
        sha, branch, said, no_branch_why = _from_checkout(sha, branch)
    actor = (
        _text(environ.get("GITHUB_TRIGGERING_ACTOR"))
        or _text(environ.get("GITHUB_ACTOR"))
        or _text(environ.get("GITLAB_USER_LOGIN"))
        or _text(environ.get("CIRCLE_USERNAME"))
    )
    commit_url = None
    if sha and repository:
        commit_url = f"{server}/{repository}/commit/{sha}"
    elif sha and environ.get("CI_PROJECT_URL"):
        commit_url = f"{environ['CI_PROJECT_URL'].rstrip('/')}/-/commit/{sha}"
    deployment_url = None
    if event_name == "deployment_status":
        deployment_url = _text(_get(event, "deployment_status", "environment_url")) or _text(
            _get(event, "deployment_status", "target_url")
        )
    run_id = _text(environ.get("GITHUB_RUN_ID"))
    number = _get(event, "pull_request", "number") if event_name in PULL_REQUEST_EVENTS else None
    return GitHubContext(
        in_actions=environ.get("GITHUB_ACTIONS") == "true",
        event_name=event_name,
        repository=repository,
        server_url=server,
        api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        sha=sha,
        branch=branch,
        actor=actor,
        commit_url=commit_url,
        commit_message=_message(event_name, event),
        deployment_url=deployment_url,
        pull_request=number if isinstance(number, int) else None,
        fork_pull_request=_is_fork(event_name, event, actor),
        run_url=f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None,
        workspace=_text(environ.get("GITHUB_WORKSPACE")),
        default_branch=_text(_get(event, "repository", "default_branch")),
        in_ci=ci,
        local_source=said,
        **({"no_branch_why": no_branch_why} if no_branch_why else {}),
    )


def _from_checkout(sha: str | None, branch: str | None) -> tuple[str | None, str | None, str | None, str]:
    """The commit and branch, the missing ones from the local checkout; the line that says so for the
    log; and why no branch is known, should none be (the end of the error that asks for one)."""
    local = local_checkout()
    if local is None:
        return sha, branch, None, "no branch is known: not in CI and no git checkout here"
    taken = []
    if not sha and local.sha:
        sha = local.sha
        taken.append(f"commit {sha[:7]}")
    if not branch and local.branch:
        branch = local.branch
        taken.append(f"branch {branch}")
    said = f"Not in CI: {' and '.join(taken)} from the git checkout in {local.directory}." if taken else None
    why = "no branch is known: not in CI and the git checkout here has a detached HEAD"
    return sha, branch, said, why
