"""The check run on the commit under test.

The check run is created `in_progress` as soon as the run exists, on the event's head commit (never a
pull request's merge commit, github-platform.md 2), and completed with the verdict, the summary and one
annotation per located failure: the first 50 with the completing update, the rest 50 per further
update, as the Checks API requires (section 7).

When the token cannot write checks (a pull request from a fork or Dependabot, or any 403), the failures
become workflow-command annotations instead (at most 10 per level, section 5) next to the job summary,
with one line that says why. A reporting problem never changes the exit code: that reflects the tests.
The check run's page is handed on in the publisher's receipts, for the outputs and the comment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import GitHubContext
from ..gha import ANNOTATIONS_PER_LEVEL, Actions
from ..model import Report, TestRun
from ..receipts import Receipts, handing_on
from ..report import check_output
from ..report.annotations import batches, to_annotations
from ..settings import Settings
from ..untrusted import clip_chars, payload, redacted, valid
from . import connect

if TYPE_CHECKING:
    from .api import CheckRunRef, GitHubApi, GitHubError

PER_REQUEST = 50  # annotations per Checks API request (github-platform.md 7)
START_SECONDS = 20.0  # creating the check run; the remote run is already going
FINISH_SECONDS = 60.0  # completing it, annotations included
# After a cancel signal the step promises to exit within 5 s (the runner kills it at 10 s,
# github-platform.md 3.1): the remote cancel gets 1.5 s (flow.CANCEL_SECONDS), the check run 1 s and
# the comment 1 s (github.comment), so even a GitHub and a service that both hang cannot hold the step
# longer.
INTERRUPTED_SECONDS = 1.0
COMMAND_MESSAGE_CHARS = 4096  # the runner truncates annotation messages there (github-platform.md 5)
FORK_REASON = (
    "this pull request comes from a fork or Dependabot, so its token is read-only and cannot create "
    'check runs (see the workflow_run recipe in docs/report.md, "Pull requests from forks and Dependabot")'
)


class CheckRunPublisher:
    name = "check run"

    def __init__(self, settings: Settings, context: GitHubContext, gha: Actions) -> None:
        self._settings = settings
        self._context = context
        self._gha = gha
        self._api: GitHubApi | None = None
        self._check: CheckRunRef | None = None
        self._fallback_reason: str | None = self._cannot_write()
        self._explained = False

    def _receipts(self) -> Receipts:
        return Receipts(check_run_url=self._check.html_url if self._check else "")

    def _cannot_write(self) -> str | None:
        if self._context.fork_pull_request:
            return FORK_REASON
        if self._settings.github_token is None:
            return "no `github-token` was given"
        return None

    def _connected(self) -> GitHubApi:
        if self._api is None:
            self._api = connect(self._settings, self._context, self._gha)
        return self._api

    def _usable(self) -> bool:
        """Whether there is a commit in a repository to report on (not the case outside CI)."""
        return bool(self._context.repository and self._context.sha)

    # -- the publisher ----------------------------------------------------------------------------
    def started(self, run: TestRun) -> None:
        if self._fallback_reason or not self._usable():
            self._explain()
            return
        from .api import GitHubError, UnusableAnswer

        api = self._connected()
        fields: dict[str, Any] = {
            "status": "in_progress",
            "output": {
                "title": "Running…",
                "summary": check_output.in_progress_summary(
                    run.url, self._settings.provider_name, self._settings.environment
                ),
            },
        }
        if run.url:
            fields["details_url"] = run.url
        try:
            with api.within(START_SECONDS):
                self._check = api.create_check_run(name=self._name, head_sha=self._sha, **payload(fields))
        except UnusableAnswer as exc:  # it may exist, but it cannot be found again: never create another
            self._unusable(exc)
            return
        except GitHubError as exc:
            if exc.forbidden:
                self._cannot_write_because(exc)
                self._explain()
            else:  # perhaps passing: the completing request will create it instead
                self._gha.log(f"Check run not created yet ({exc.message}); trying again when the run ends.")
            return
        self._gha.log(f"Check run '{self._name}' in progress: {self._check.html_url}")

    def finished(self, report: Report) -> Receipts:
        """Completes the check run (or annotates here instead); the receipt holds its page, if any."""
        with handing_on(self._receipts):  # created at the start, it exists even if this is cut short
            self._complete(report)
        return self._receipts()

    def _complete(self, report: Report) -> None:
        if not self._usable():
            return
        report = redacted(report, self._gha.redact)
        located = to_annotations(report.failures.executions, self._context.workspace)
        if self._fallback_reason:
            self._explain()
            self._workflow_annotations(located)
            return
        from .api import GitHubError, UnusableAnswer

        api = self._connected()
        limit = self._settings.max_annotations
        sent = located[:limit]
        note = check_output.annotation_note(
            len(located) - len(sent), len(report.failures.executions) - len(located), limit
        )
        summary = self._gha.redact(check_output.check_summary(report, note))
        output = payload({"title": self._gha.redact(check_output.check_title(report)), "summary": summary})
        first, *rest = batches(payload(sent), PER_REQUEST) or [[]]
        verdict = {"status": "completed", "conclusion": check_output.conclusion(report)}
        try:
            with api.within(INTERRUPTED_SECONDS if report.interrupted else FINISH_SECONDS):
                if self._check is None:
                    self._check = api.create_check_run(
                        name=self._name,
                        head_sha=self._sha,
                        output={**output, "annotations": first},
                        **verdict,
                        **({"details_url": valid(report.run.url)} if report.run and report.run.url else {}),
                    )
                else:
                    api.update_check_run(self._check.id, output={**output, "annotations": first}, **verdict)
                for batch in rest:
                    api.update_check_run(self._check.id, output={**output, "annotations": batch})
        except UnusableAnswer as exc:
            self._unusable(exc)
            self._workflow_annotations(located)
            return
        except GitHubError as exc:
            self._cannot_write_because(exc)
            self._explain()
            self._workflow_annotations(located)
            return
        finally:
            api.close()
        self._gha.log(
            f"Check run '{self._name}': {verdict['conclusion']}, {len(sent)} annotation"
            f"{'s' if len(sent) != 1 else ''}: {self._check.html_url}"
        )

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def _name(self) -> str:
        return valid(check_output.check_name(self._settings.environment, self._settings.check_name))

    @property
    def _sha(self) -> str:
        assert self._context.sha is not None
        return self._context.sha

    def _cannot_write_because(self, exc: GitHubError) -> None:
        if exc.forbidden:
            self._fallback_reason = (
                f"{exc.message}. The token may not write checks: give the job `permissions: checks: write`"
            )
        else:
            self._fallback_reason = f"the check run could not be written: {exc.message}"

    def _unusable(self, exc: GitHubError) -> None:
        """GitHub answered the create as a success, without the check run's id or page: the check run
        cannot be completed, so the failures are annotated here instead, and a warning says why."""
        self._check = None
        self._fallback_reason = exc.message
        self._explained = True
        self._gha.warning(
            f"{exc.message}; the check-run-url output is empty and failures are annotated here instead.",
            title="Check run",
        )

    def _explain(self) -> None:
        if self._explained:
            return
        self._explained = True
        if not self._usable():
            self._gha.log("No check run: no repository or commit to report on (not a GitHub Actions run).")
            return
        if self._check is not None:  # created at the start, so it shows in progress until GitHub drops it
            self._gha.warning(
                f"The check run {self._check.html_url} may stay in progress, {self._fallback_reason}. "
                "Failures are annotated here and listed in the job summary.",
                title="Check run",
            )
            return
        self._gha.notice(
            f"No check run, {self._fallback_reason}. Failures are annotated here and listed in the job summary.",
            title="Check run",
        )

    def _workflow_annotations(self, located: list[dict[str, Any]]) -> None:
        """At most 10 per level, as the runner keeps (github-platform.md 5); one notice counts the rest."""
        left: dict[str, int] = {}
        shown: dict[str, int] = {}
        for item in located:
            level = item["annotation_level"]
            if shown.get(level, 0) >= ANNOTATIONS_PER_LEVEL:
                left[level] = left.get(level, 0) + 1
                continue
            shown[level] = shown.get(level, 0) + 1
            write = self._gha.warning if level == "warning" else self._gha.error
            write(
                clip_chars(item["message"], COMMAND_MESSAGE_CHARS),
                title=item["title"],
                file=item["path"],
                line=item["start_line"],
            )
        if left:
            parts = [
                f"{n} more {'flaky' if level == 'warning' else 'failed'}" for level, n in sorted(left.items())
            ]
            self._gha.notice(
                f"{' and '.join(parts)} test{'s' if sum(left.values()) != 1 else ''} not annotated "
                f"(GitHub shows {ANNOTATIONS_PER_LEVEL} per level in a step); see the job summary.",
                title="More failures",
            )
