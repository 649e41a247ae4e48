"""The pull-request comment: one per environment, found by its hidden marker and updated in place."""

from __future__ import annotations

from testrun_action.report.comment_body import comment_marker
from testrun_sim.empirical import Scenario
from testrun_sim.github import Comment

from .conftest import FAST, Job, Simulated


def test_comment_is_updated_not_duplicated_across_runs(
    job: Job, github: Simulated, empirical: Simulated
) -> None:
    someone_else = Comment(
        1, "acme/shop", 1347, "Looks good to me", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"
    )
    github.app.comments[1] = someone_else
    empirical.app.scenarios["staging"] = Scenario(**FAST, failed=2)

    first = job.run(event="pull_request", pr_comment="true")
    (ours,) = [c for c in github.app.comments.values() if c.id != 1]
    assert "❌ E2E tests failed on `staging`" in ours.body
    assert ours.body.startswith("<!-- testrun-action:staging -->")
    assert "**Failed (2)**" in ours.body
    assert first.code == 1

    empirical.app.scenarios["staging"] = Scenario(**FAST)
    second = job.run(event="pull_request", pr_comment="true")

    assert second.code == 0
    assert len(github.app.comments) == 2  # ours and someone else's
    (updated,) = [c for c in github.app.comments.values() if c.id != 1]
    assert updated.id == ours.id
    assert "✅ E2E tests passed on `staging`" in updated.body
    assert "Failed" not in updated.body
    assert github.app.comments[1].body == "Looks good to me"
    assert len(github.app.recorded("POST", r"/comments$")) == 1
    assert len(github.app.recorded("PATCH", r"/issues/comments/\d+$")) == 1
    assert (
        f"Pull request comment: https://github.com/acme/shop/pull/1347#issuecomment-{ours.id}" in second.log
    )


def test_comment_links_the_check_run_and_the_workflow_run(job: Job, github: Simulated) -> None:
    job.run(event="pull_request", pr_comment="true")

    (comment,) = github.app.comments.values()
    (check_run,) = github.app.admin_check_runs()
    assert f"[check run](https://github.com/acme/shop/runs/{check_run['id']})" in comment.body
    assert "[workflow run](https://github.com/acme/shop/actions/runs/4242)" in comment.body


def test_each_environment_has_its_own_comment(job: Job, github: Simulated) -> None:
    job.run(event="pull_request", pr_comment="true")
    job.run(event="pull_request", pr_comment="true", environment="production")

    assert len(github.app.comments) == 2


def test_no_comment_off_a_pull_request_or_by_default(job: Job, github: Simulated) -> None:
    pushed = job.run(event="push", pr_comment="true")
    job.run(event="pull_request")

    assert github.app.comments == {}
    assert "No pull request comment: this run is not for a pull request." in pushed.log


def test_marker_cannot_close_the_html_comment() -> None:
    marker = comment_marker("evil --> <script>")
    assert marker.count("-->") == 1
    assert marker.endswith(" -->")
    assert "<script>" not in marker
