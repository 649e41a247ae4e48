"""The pull-request comment: one per environment, found again by its hidden marker and updated in place.

It is written last, from the report and every publisher's receipts (the check run's page among them),
so it links whatever was made, whichever publisher made it.
"""

from __future__ import annotations

from ..context import GitHubContext
from ..gha import Actions
from ..model import NotRun, Report
from ..receipts import Receipts
from ..report import comment_body
from ..settings import Settings
from ..untrusted import redacted, valid
from . import connect

# Creating or updating the comment: a search through the pull request's comments and one write.
SECONDS = 20.0
# After a cancel signal the step promises to exit within 5 s; the comment's share of it (the
# check run's and the remote cancel's are in github.check_run and flow).
INTERRUPTED_SECONDS = 1.0


class CommentWriter:
    name = "pull request comment"

    def __init__(self, settings: Settings, context: GitHubContext, gha: Actions) -> None:
        self._settings = settings
        self._context = context
        self._gha = gha

    def write(self, ending: Report | NotRun, receipts: Receipts) -> None:
        context, gha = self._context, self._gha
        if not isinstance(ending, Report):
            return
        report = ending
        if context.pull_request is None or context.repository is None:
            gha.log("No pull request comment: this run is not for a pull request.")
            return
        if context.fork_pull_request or self._settings.github_token is None:
            why = (
                "the token of a fork's pull request is read-only" if context.fork_pull_request else "no token"
            )
            gha.log(f"No pull request comment: {why}.")
            return
        from .api import GitHubError

        body = comment_body.render_comment(
            redacted(report, gha.redact), receipts.check_run_url or None, context.run_url
        )
        api = connect(self._settings, context, gha)
        try:
            with api.within(INTERRUPTED_SECONDS if report.interrupted else SECONDS):
                url = api.upsert_comment(
                    context.pull_request,
                    comment_body.comment_marker(report.environment),
                    valid(gha.redact(body)),
                )
        except GitHubError as exc:
            gha.warning(f"Could not comment on the pull request: {exc.message}", title="Reporting problem")
            return
        finally:
            api.close()
        gha.log(f"Pull request comment: {url}")
