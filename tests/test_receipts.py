"""Publishers hand on what they made as receipts; the step outputs, the one job-summary page and the
comment are written last from the report and every receipt, whatever order the publishers ran in. One
publisher that fails, or that a signal cuts short, costs no other and still hands on what it made."""

from __future__ import annotations

import io
import signal
from pathlib import Path
from typing import Any

import pytest

from testrun_action.errors import Interrupted
from testrun_action.gha import Actions
from testrun_action.inputs import OUTPUT_NAMES
from testrun_action.model import (
    Counts,
    FailedExecution,
    FailOn,
    Failures,
    NotRun,
    Outcome,
    Phase,
    Report,
    Source,
    TestRun,
)
from testrun_action.publishers import Publishers, report_not_run
from testrun_action.receipts import Receipts, Recorded, handing_on
from testrun_action.report import check_output
from testrun_action.report.outputs import outputs
from testrun_action.report.page import job_summary

from .conftest import Job, Simulated
from .test_testsigma_tms import tms_inputs

RUN = TestRun(
    id="1001", url="https://x.io/1001", state="ended", phase=Phase.FINISHED, counts=Counts(total=3, passed=3)
)
REPORT = Report("Empirical", "staging", Outcome.PASSED, True, FailOn.FAILURES, Source(commit="abc"), run=RUN)
CHECK = Receipts(check_run_url="https://github.com/acme/shop/runs/7")
JUNIT = Receipts(junit_file="out/junit.xml")
RECORD = Receipts(tms_run_id="tr-1", recorded=(Recorded("Test Management", "TR-1", "imported."),))


class Maker:
    """A publisher that makes `made`, then meets `trouble` (an exception or a signal), if any."""

    def __init__(self, name: str, made: Receipts, trouble: BaseException | None = None) -> None:
        self.name = name
        self.made = made
        self.trouble = trouble
        self.heard: list[Report] = []

    def started(self, run: TestRun) -> None:
        pass

    def finished(self, report: Report) -> Receipts:
        self.heard.append(report)
        with handing_on(lambda: self.made):
            if self.trouble is not None:
                raise self.trouble
        return self.made


class Keeper:
    """A writer that keeps what it is given."""

    def __init__(self, name: str = "keeper", trouble: Exception | None = None) -> None:
        self.name = name
        self.trouble = trouble
        self.given: list[tuple[Report | NotRun, Receipts]] = []

    def write(self, ending: Report | NotRun, receipts: Receipts) -> None:
        self.given.append((ending, receipts))
        if self.trouble is not None:
            raise self.trouble


def publish(*publishers: Any, writers: tuple[Keeper, ...] = ()) -> tuple[Interrupted | None, str]:
    stream = io.StringIO()
    interrupted = Publishers(Actions({"GITHUB_ACTIONS": "true"}, stream), publishers, writers).finished(
        REPORT
    )
    return interrupted, stream.getvalue()


def test_the_writers_get_every_receipt_whatever_order_the_publishers_ran_in() -> None:
    makers = [Maker("check run", CHECK), Maker("JUnit file", JUNIT), Maker("record", RECORD)]
    first, second = Keeper(), Keeper()

    publish(*makers, writers=(first,))
    publish(*reversed(makers), writers=(second,))

    [(_, forward)] = first.given
    [(_, backward)] = second.given
    assert (forward.check_run_url, forward.junit_file, forward.tms_run_id) == (
        CHECK.check_run_url,
        JUNIT.junit_file,
        "tr-1",
    )
    assert backward == forward
    assert outputs(REPORT, forward)["check-run-url"] == CHECK.check_run_url


def test_a_publisher_that_fails_part_way_hands_on_what_it_made_and_costs_no_other() -> None:
    broken, after, writer = (
        Maker("check run", CHECK, RuntimeError("boom")),
        Maker("JUnit file", JUNIT),
        Keeper(),
    )

    interrupted, log = publish(broken, after, writers=(writer,))

    assert interrupted is None
    assert "::warning title=Reporting problem::Could not write the check run: RuntimeError: boom" in log
    [(_, receipts)] = writer.given
    assert (receipts.check_run_url, receipts.junit_file) == (CHECK.check_run_url, JUNIT.junit_file)


def test_a_signal_while_one_publisher_writes_ends_that_one_alone_and_keeps_what_it_made() -> None:
    cut = Maker("record", RECORD, Interrupted(signal.SIGTERM))
    after, writer = Maker("JUnit file", JUNIT), Keeper()

    interrupted, log = publish(Maker("check run", CHECK), cut, after, writers=(writer,))

    assert interrupted is not None
    assert interrupted.exit_code == 143
    assert "Received SIGTERM while writing the record; it may be incomplete." in log
    assert [r.interrupted for r in after.heard] == [True]  # the rest report within a cancelled step's budgets
    [(ending, receipts)] = writer.given
    assert isinstance(ending, Report)
    assert ending.interrupted
    assert (receipts.check_run_url, receipts.tms_run_id, receipts.junit_file) == (
        CHECK.check_run_url,
        "tr-1",
        JUNIT.junit_file,
    )


def test_a_failing_writer_costs_no_other_writer() -> None:
    broken, after = Keeper("step outputs", OSError("disk full")), Keeper("job summary")

    interrupted, log = publish(Maker("check run", CHECK), writers=(broken, after))

    assert interrupted is None
    assert "Could not write the step outputs: OSError: disk full" in log
    assert [receipts.check_run_url for _, receipts in after.given] == [CHECK.check_run_url]


def test_receipts_combine_what_each_publisher_made() -> None:
    combined = Receipts() | CHECK | Receipts() | JUNIT | RECORD | RECORD

    assert combined.check_run_url == CHECK.check_run_url
    assert combined.junit_file == JUNIT.junit_file
    assert combined.tms_run_id == "tr-1"
    assert len(combined.recorded) == 2  # each record is a line of its own
    assert (CHECK | Receipts()).check_run_url == CHECK.check_run_url  # nothing made takes nothing away


def test_nothing_started_goes_through_the_same_writers_with_every_output(tmp_path: Path) -> None:
    files = {name: tmp_path / name for name in ("output", "summary")}
    for path in files.values():
        path.write_text("", encoding="utf-8")
    gha = Actions({"GITHUB_OUTPUT": str(files["output"]), "GITHUB_STEP_SUMMARY": str(files["summary"])})

    report_not_run(gha, NotRun("Invalid configuration", "Input 'wait': expected `true`"), summary=True)

    shown = outputs(NotRun("x", "y"))
    assert set(shown) == OUTPUT_NAMES
    assert shown["result"] == "error"
    assert {value for name, value in shown.items() if name != "result"} == {""}
    assert "result<<" in files["output"].read_text(encoding="utf-8")
    assert files["summary"].read_text(encoding="utf-8") == job_summary(
        NotRun("Invalid configuration", "Input 'wait': expected `true`")
    )


def test_the_summary_page_keeps_the_records_within_its_limit() -> None:
    failures = tuple(
        FailedExecution(name=f"test {n}", message="x" * 400, file=f"tests/{n}.spec.ts") for n in range(200)
    )
    report = Report(
        "Empirical",
        "staging",
        Outcome.FAILED,
        False,
        FailOn.FAILURES,
        Source(commit="abc"),
        run=TestRun(
            id="1",
            url="https://x.io/1",
            state="ended",
            phase=Phase.FINISHED,
            counts=Counts(total=200, failed=200),
        ),
        failures=Failures(executions=failures),
    )
    record = Recorded("Testsigma Test Management", "TR-9", "the JUnit results were imported.")
    # Records as long as they get (an id of 200 characters, a note of 300): more than the report's slack.
    long = Recorded("Test Management", "T" * 500, "n" * 500)

    pages = {
        limit: job_summary(report, Receipts(recorded=(long, long, record)), limit)
        for limit in range(5_000, 20_000, 37)
    }

    line = "\n📋 Recorded in Testsigma Test Management as test run `TR-9`: the JUnit results were imported.\n"
    for limit, page in pages.items():
        assert len(page.encode("utf-8")) <= limit
        assert page.endswith(line)
        assert page.count("📋 Recorded in Test Management as test run") == 2
        assert "more not listed here (size limit)" in page


def test_the_job_summary_is_written_once_with_every_section(
    job: Job, empirical: Simulated, tms: Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[str] = []
    write = Actions.write_summary

    def counted(self: Actions, markdown: str) -> None:
        writes.append(markdown)
        write(self, markdown)

    monkeypatch.setattr(Actions, "write_summary", counted)

    result = job.run(**tms_inputs(tms))

    assert result.code == 0
    [page] = writes
    assert page.startswith("## ✅ E2E tests passed on `staging`")
    assert "📋 Recorded in Testsigma Test Management as test run" in page
    assert result.summary == page


def test_a_check_run_publisher_that_breaks_while_completing_still_hands_on_its_page(
    job: Job, empirical: Simulated, github: Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a defect while rendering")

    monkeypatch.setattr(check_output, "check_summary", broken)

    result = job.run(event="pull_request", pr_comment="true")

    assert result.code == 0
    assert "Could not write the check run: RuntimeError: a defect while rendering" in result.log
    [check_run] = github.app.admin_check_runs()  # created when the run started, never completed
    url = f"https://github.com/acme/shop/runs/{check_run['id']}"
    assert result.outputs["check-run-url"] == url
    [comment] = github.app.comments.values()
    assert f"[check run]({url})" in comment.body
