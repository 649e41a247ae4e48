"""Which commit, branch, actor and URLs a run is about, per event (github-platform.md section 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testrun_action.context import load_context
from testrun_action.errors import ConfigurationError

from .conftest import EVENTS, HEAD_SHA, MERGE_SHA


def context_for(event: str, **env: str):  # type: ignore[no-untyped-def]
    name = event.split("_fork")[0].split("_target")[0]
    environ = {
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(EVENTS / f"{event}.json"),
        "GITHUB_SHA": MERGE_SHA,
        "GITHUB_REF_NAME": "1347/merge",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_ACTOR": "octocat",
        **env,
    }
    return load_context(environ)


def test_push_uses_github_sha_and_ref_name() -> None:
    context = context_for("push", GITHUB_SHA=HEAD_SHA, GITHUB_REF_NAME="main")

    assert context.sha == HEAD_SHA
    assert context.branch == "main"
    assert context.commit_url == f"https://github.com/acme/shop/commit/{HEAD_SHA}"
    assert not context.fork_pull_request


def test_pull_request_reports_on_head_sha_not_merge_sha() -> None:
    context = context_for("pull_request")

    assert context.sha == HEAD_SHA != MERGE_SHA
    assert context.branch == "feature/checkout"
    assert context.pull_request == 1347
    assert context.commit_url == f"https://github.com/acme/shop/commit/{HEAD_SHA}"


def test_pull_request_target_also_uses_the_head_commit() -> None:
    context = context_for("pull_request", GITHUB_EVENT_NAME="pull_request_target")

    assert context.sha == HEAD_SHA
    assert context.branch == "feature/checkout"
    assert not context.fork_pull_request  # pull_request_target runs with the base repository's token


def test_pull_request_from_a_fork_is_detected() -> None:
    assert context_for("pull_request_fork").fork_pull_request
    assert not context_for("pull_request").fork_pull_request


def test_dependabot_pull_request_counts_as_read_only() -> None:
    assert context_for("pull_request", GITHUB_ACTOR="dependabot[bot]").fork_pull_request


def test_deployment_status_uses_the_deployed_commit_ref_and_environment_url() -> None:
    context = context_for("deployment_status")

    assert context.sha == HEAD_SHA
    assert context.branch == "feature/checkout"
    assert context.deployment_url == "https://staging-4411.shop.example.com"


def test_deployment_status_without_environment_url_falls_back_to_target_url() -> None:
    assert context_for("deployment_status_target_only").deployment_url == "https://shop.example.com"


def test_workflow_run_uses_the_head_of_the_triggering_run() -> None:
    context = context_for("workflow_run")

    assert context.sha == HEAD_SHA
    assert context.branch == "feature/checkout"


def test_workflow_dispatch_uses_github_sha_and_the_dispatched_ref() -> None:
    context = context_for("workflow_dispatch", GITHUB_SHA=HEAD_SHA, GITHUB_REF_NAME="release/2.4")

    assert context.sha == HEAD_SHA
    assert context.branch == "release/2.4"
    assert context.deployment_url is None


def test_triggering_actor_wins_over_actor() -> None:
    assert context_for("push", GITHUB_TRIGGERING_ACTOR="hubot").actor == "hubot"
    assert context_for("push").actor == "octocat"


def test_enterprise_server_links_follow_github_server_url() -> None:
    context = context_for(
        "push",
        GITHUB_SHA=HEAD_SHA,
        GITHUB_SERVER_URL="https://github.acme.internal",
        GITHUB_API_URL="https://github.acme.internal/api/v3",
        GITHUB_RUN_ID="77",
    )

    assert context.commit_url == f"https://github.acme.internal/acme/shop/commit/{HEAD_SHA}"
    assert context.api_url == "https://github.acme.internal/api/v3"
    assert context.run_url == "https://github.acme.internal/acme/shop/actions/runs/77"


def test_outside_github_the_commit_comes_from_gitlab_variables() -> None:
    context = load_context(
        {
            "CI_COMMIT_SHA": HEAD_SHA,
            "CI_COMMIT_REF_NAME": "main",
            "GITLAB_USER_LOGIN": "alice",
            "CI_PROJECT_URL": "https://gitlab.example.com/acme/shop",
        }
    )

    assert (context.sha, context.branch, context.actor) == (HEAD_SHA, "main", "alice")
    assert context.commit_url == f"https://gitlab.example.com/acme/shop/-/commit/{HEAD_SHA}"


def test_an_unreadable_event_payload_is_a_configuration_error(tmp_path: Path) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{not json", encoding="utf-8")

    with pytest.raises(ConfigurationError, match="GITHUB_EVENT_PATH"):
        load_context({"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(broken)})
