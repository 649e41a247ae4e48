"""What the check run shows: its conclusion, title and summary, and the pull-request comment. Pure:
values in, strings out.

The check-run summary is the job summary rendered within the Checks API's 65,535 limit
(github-platform.md 7), measured in bytes so it holds whether GitHub counts characters or bytes.
"""

from __future__ import annotations

from urllib.parse import quote

from ..model import FailedExecution, NoveltyKind, Outcome, Phase, Report
from . import markdown as md
from .glance import against, novelty_label
from .summary import headline, render_summary, title

OUTPUT_BYTES = 65_535  # output.summary and output.text (github-platform.md 7)
TITLE_CHARS = 255  # what GitHub shows of a check-run title in one line; keep it short
COMMENT_BYTES = 60_000  # an issue comment holds 65,536 characters; leave room
COMMENT_FAILURES = 20  # failed tests listed in the comment; the rest are in the check run and report


def check_name(environment: str, custom: str | None = None) -> str:
    return custom or f"E2E tests ({environment})"


def conclusion(report: Report) -> str:
    """success, failure, neutral (does not pass but `fail-on` says it may), cancelled or timed_out:
    decided with the verdict (`verdict.decide`)."""
    return report.conclusion


def check_title(report: Report) -> str:
    """e.g. `3 failed, 120 passed, 2 flaky`; the verdict in words when nothing was counted."""
    words = title(report)
    run = report.run
    if report.outcome is Outcome.ERROR and run and run.counts.total:
        errored = run.phase is Phase.ERRORED or run.error_code is not None
        words = f"{'Run errored' if errored else 'Outcome unknown'}: {words}"
    return md.clip(words, TITLE_CHARS)


def annotation_note(left_out: int, unlocated: int, max_annotations: int) -> str:
    notes = []
    if left_out:
        notes.append(
            f"{left_out} failed or flaky test{'s are' if left_out != 1 else ' is'} not annotated: "
            f"`max-annotations` is {max_annotations}."
        )
    if unlocated:
        notes.append(
            f"{unlocated} failed or flaky test{'s have' if unlocated != 1 else ' has'} no file location "
            "and so no annotation; see the list below."
        )
    return " ".join(notes)


def check_summary(report: Report, note: str = "", limit: int = OUTPUT_BYTES) -> str:
    """The job summary within `limit` bytes, with `note` (what the annotations leave out) on top."""
    head = f"> {note}\n\n" if note else ""
    return head + render_summary(report, limit - len(head.encode("utf-8")))


def in_progress_summary(report_url: str | None, provider: str, environment: str) -> str:
    link = md.link(f"Follow it in {provider}", report_url) if report_url else ""
    return f"The E2E test run on {md.code(environment)} is in progress. {link}".strip()


# -- the pull-request comment ---------------------------------------------------------------------
def _rank(failure: FailedExecution) -> int:
    return 0 if failure.novelty is None or failure.novelty.kind is NoveltyKind.NEW else 1


def comment_marker(environment: str) -> str:
    """A hidden line that finds this environment's comment again; nothing in it can end the comment."""
    return f"<!-- testrun-action:{quote(environment, safe='')} -->"


def _comment_line(failure: FailedExecution, compared_with: str) -> str:
    where = f" · {md.code(failure.file)}" if failure.file else ""
    message = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
    said = f": {md.text(message, 200)}" if message else ""
    novelty = f" · {novelty_label(failure, compared_with)}" if failure.novelty and not failure.flaky else ""
    return f"- {md.link(failure.name, failure.url, 200)}{where}{novelty}{said}"


def render_comment(
    report: Report, check_run_url: str | None = None, workflow_run_url: str | None = None
) -> str:
    run, source = report.run, report.source
    lines = [
        comment_marker(report.environment),
        f"### {headline(report)} on {md.code(report.environment)}",
        "",
    ]
    facts = [f"**{md.text(title(report))}**"]
    if run and run.url:
        facts.append(md.link(f"{report.provider} report", run.url))
    if check_run_url:
        facts.append(md.link("check run", check_run_url))
    if workflow_run_url:
        facts.append(md.link("workflow run", workflow_run_url))
    if source.commit:
        facts.append(f"commit {md.link(source.commit[:7], source.commit_url)}")
    lines.append(" · ".join(facts))
    if report.problem:
        lines += ["", f"> {md.text(report.problem, 1000)}"]
    failed = sorted((f for f in report.failures.executions if not f.flaky), key=_rank)  # new first
    flaky = [f for f in report.failures.executions if f.flaky]
    for heading, group in (("Failed", failed), ("Flaky", flaky)):
        if group:
            lines += ["", f"**{heading} ({len(group)})**", ""]
            lines += [_comment_line(f, against(report)) for f in group[:COMMENT_FAILURES]]
            if len(group) > COMMENT_FAILURES:
                lines.append(f"- …and {len(group) - COMMENT_FAILURES} more")
    body = "\n".join(lines) + "\n"
    encoded = body.encode("utf-8")
    if len(encoded) > COMMENT_BYTES:  # pragma: no cover - 40 lines of at most ~1 KB each
        body = encoded[:COMMENT_BYTES].decode("utf-8", "ignore") + "\n…\n"
    return body
