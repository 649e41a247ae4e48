"""The step outputs, from the report and the publishers' receipts. Pure: values in, a mapping out.

Every output is always present, empty when unknown, so a later step can read any of them without
checking first; the values are written as `gha` writes every output (github-platform.md 6.1).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import NotRun, Outcome, Report
from ..receipts import Receipts
from ..untrusted import shown_url, state_word


def outputs(ending: Report | NotRun, receipts: Receipts | None = None) -> dict[str, str]:
    """The step outputs: the run's, then what the publishers made; all empty but `result` when
    nothing could be started."""
    receipts = receipts or Receipts()
    report = ending if isinstance(ending, Report) else None
    run = report.run if report else None
    c = run.counts if run else None
    seconds = run.duration_seconds if run else None
    return {
        "run-id": run.id if run else "",
        # Service data, checked: an http(s) URL with nothing a shell acts on, a state of plain words.
        "run-url": shown_url(run.url) if run else "",
        "state": state_word(run) if run else "",
        "result": report.outcome.value if report else Outcome.ERROR.value,
        "total": str(c.total) if c else "",
        "passed": str(c.passed) if c else "",
        "failed": str(c.failed) if c else "",
        "flaky": str(c.flaky) if c else "",
        "skipped": str(c.skipped) if c else "",
        "duration-seconds": f"{seconds:.0f}" if seconds is not None else "",
        "check-run-url": shown_url(receipts.check_run_url),
        "junit-file": receipts.junit_file,
        "testsigma-tms-run-id": receipts.tms_run_id,
    }


# The outputs that are numbers: in the `--json` outcome, a number, or null when unknown.
NUMBERS = ("total", "passed", "failed", "flaky", "skipped", "duration-seconds")


def outcome(written: Mapping[str, str], exit_code: int) -> dict[str, object]:
    """The `--json` outcome: every declared output by name, as written (empty when none was, e.g. on a
    dry run), the counts as numbers, and the exit code."""
    found: dict[str, object] = {}
    for name in outputs(NotRun("", "")):  # every output's name, in order
        value = written.get(name, "")
        if name in NUMBERS:
            found[name] = int(value) if value.isascii() and value.isdigit() else None
        else:
            found[name] = value
    found["exit-code"] = exit_code
    return found
