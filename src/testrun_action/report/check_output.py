"""What the check run shows: its name, conclusion, title and summary. Pure: values in, strings out.

The check-run summary is the job summary rendered within the Checks API's 65,535 limit
(github-platform.md 7), measured in bytes so it holds whether GitHub counts characters or bytes.
"""

from __future__ import annotations

from ..model import Outcome, Phase, Report
from . import markdown as md
from .summary import render_summary, title

OUTPUT_BYTES = 65_535  # output.summary and output.text (github-platform.md 7)
TITLE_CHARS = 255  # what GitHub shows of a check-run title in one line; keep it short


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
