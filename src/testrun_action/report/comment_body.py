"""The pull-request comment: one per environment, found again by its hidden marker. Pure: values in,
Markdown out, within what an issue comment holds (github-platform.md 7)."""

from __future__ import annotations

from urllib.parse import quote

from ..model import FailedExecution, NoveltyKind, Report
from . import markdown as md
from .glance import against, novelty_label
from .summary import headline, title

COMMENT_BYTES = 60_000  # an issue comment holds 65,536 characters; leave room
COMMENT_FAILURES = 20  # failed tests listed in the comment; the rest are in the check run and report


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
        lines += ["", f"> {md.prose(report.problem, 1000)}"]
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
