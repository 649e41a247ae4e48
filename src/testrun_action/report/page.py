"""The job summary page: every section of it, composed for its one writer. Pure: values in, Markdown
out, within the runner's limit (github-platform.md 6.2).

The report comes first (`summary.render_summary`, trimmed to the room the other sections leave), then
a line per record another service keeps of the run; when nothing could be started, why.
"""

from __future__ import annotations

from ..model import NotRun, Report
from ..receipts import Receipts, Recorded
from . import markdown as md
from .summary import NOT_STARTED, SUMMARY_LIMIT, render_summary


def _recorded(record: Recorded) -> str:
    return f"📋 Recorded in {record.service} as test run {md.code(record.shown_id)}: {md.text(record.note)}"


def _not_run(why: NotRun) -> str:
    heading = NOT_STARTED if why.configuration else "💥 E2E tests not run"
    return f"## {heading}\n\n**{why.title}.** {md.prose(why.message, 1000)}\n"


def job_summary(ending: Report | NotRun, receipts: Receipts | None = None, limit: int = SUMMARY_LIMIT) -> str:
    """The whole job summary, at most `limit` bytes encoded as UTF-8."""
    if isinstance(ending, NotRun):
        return _not_run(ending)
    after = "".join(f"\n{_recorded(record)}\n" for record in (receipts or Receipts()).recorded)
    return render_summary(ending, limit - len(after.encode("utf-8"))) + after
