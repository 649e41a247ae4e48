"""The create-build request Buildkite's trigger sends (builds.md, "Create a build"), and the listed
builds that may be the one it created (adopted by the marker in their env, `adoption`)."""

from __future__ import annotations

from typing import Any

from ...context import GitHubContext
from ...errors import ConfigurationError
from ..adoption import Candidate, parse_time
from ..readers import text as _text
from .settings import BuildkiteSettings

TRIGGER_ID_VARIABLE = "TESTRUN_TRIGGER_ID"  # marks the build a trigger created, to find it again


def build_env(settings: BuildkiteSettings, context: GitHubContext) -> dict[str, str]:
    """The build's `env`: what the tests may want to know about the change under test, then the
    user's `environment-variables`, which win. Ours are `TESTRUN_*`, so that nothing in the build
    mistakes itself for a GitHub Actions job."""
    ours = {
        "TESTRUN_BUILD_URL": settings.build_url or context.deployment_url,
        "TESTRUN_BUILD_VERSION": settings.build_version,
        "TESTRUN_ENVIRONMENT": settings.environment,
        "TESTRUN_REPOSITORY": context.repository,
        "TESTRUN_COMMIT": context.sha,
        "TESTRUN_COMMIT_URL": context.commit_url,
        "TESTRUN_BRANCH": context.branch,
        "TESTRUN_ACTOR": context.actor,
        "TESTRUN_GITHUB_RUN_URL": context.run_url,
    }
    env = {name: value for name, value in ours.items() if value}
    env.update((name, value.get_secret_value()) for name, value in settings.environment_variables)
    return env


def build_body(settings: BuildkiteSettings, context: GitHubContext, trigger_id: str) -> dict[str, Any]:
    """The create-build request (builds.md, "Create a build"): `commit` and `branch` are required.

    With `test-branch` the pipeline builds the head of that branch (a separate test repository);
    otherwise it builds the commit under test on its branch, as a pull request build on pull requests.
    """
    commit, branch = (
        ("HEAD", settings.test_branch) if settings.test_branch else (context.sha or "HEAD", context.branch)
    )
    if not branch:
        if context.in_ci:
            raise ConfigurationError("test-branch", f"is required here: {context.no_branch_why}.")
        raise ConfigurationError("test-branch", f"pass --test-branch ({context.no_branch_why}).")
    body: dict[str, Any] = {"commit": commit, "branch": branch}
    if context.commit_message:
        body["message"] = context.commit_message
    body["env"] = {**build_env(settings, context), TRIGGER_ID_VARIABLE: trigger_id}
    if settings.metadata:
        body["meta_data"] = {key: str(value) for key, value in settings.metadata.items()}
    if context.pull_request and not settings.test_branch:
        body["pull_request_id"] = context.pull_request
    return body


def candidates(builds: Any) -> dict[str, tuple[dict[str, Any], Candidate]]:
    """The listed builds by number, each with what the adoption rule weighs; entries without a whole
    build number are passed over."""
    found: dict[str, tuple[dict[str, Any], Candidate]] = {}
    for build in builds if isinstance(builds, list) else []:
        if not isinstance(build, dict) or not isinstance(build.get("number"), int):
            continue
        env: dict[str, Any] = build["env"] if isinstance(build.get("env"), dict) else {}
        marker = env.get(TRIGGER_ID_VARIABLE)
        number = str(build["number"])
        found[number] = (
            build,
            Candidate(
                run_id=number,
                url=_text(build.get("web_url")),
                created_at=parse_time(build.get("created_at")),
                ended_at=parse_time(build.get("finished_at")),
                fields={"branch": build.get("branch"), "commit": build.get("commit")},
                marker=marker if isinstance(marker, str) else None,
            ),
        )
    return found
