"""Hostile service text and a hostile GitHub never cost a report: every report is written, in valid UTF-8,
clipped, with no secret, no mention and no path outside the repository, and the outputs always."""

from __future__ import annotations

import dataclasses
import json
import signal
from typing import Any

import pytest
from junitparser import JUnitXml

from testrun_action import flow, model
from testrun_action.errors import Interrupted
from testrun_action.gha import LINE_CHARS
from testrun_action.model import Counts, FailOn, Outcome, Phase, Report, Source, TestRun
from testrun_action.report.annotations import TITLE_CHARS
from testrun_action.report.outputs import outputs
from testrun_action.report.summary import SUMMARY_LIMIT
from testrun_action.untrusted import MESSAGE_BYTES, NAME_CHARS, sanitised, without_userinfo
from testrun_sim.empirical import DEFAULT_KEY, Scenario
from testrun_sim.server import Fault

from .conftest import FAST, GITHUB_TOKEN, HEAD_SHA, Job, Simulated

CHECK_RUNS, CHECK_RUN = r"/check-runs$", r"/check-runs/\d+$"


def failing(app: Any, *failures: dict[str, str], tests: int = 12) -> None:
    app.scenarios["staging"] = Scenario(
        **{**FAST, "tests": tests, "failed": len(failures)}, failures=list(failures)
    )


def test_a_lone_surrogate_in_a_failure_costs_no_report(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    failing(
        empirical.app,
        {"name": "checkout \udc00 pays", "message": "expected \ud83d", "file_path": "tests/pay.spec.ts"},
    )

    result = job.run(junit_file=str(job.tmp / "junit.xml"))

    assert (result.code, result.outputs["result"]) == (1, "failed")
    assert "checkout \ufffd pays" in result.log
    assert "checkout \ufffd pays" in result.summary
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "failure")
    assert [a["title"] for a in check_run["annotations"]] == ["Login › checkout \ufffd pays"]
    # Every listed test is written now (issue 15): the failed one is the one with the surrogate.
    [case] = [c for suite in JUnitXml.fromfile(str(job.tmp / "junit.xml")) for c in suite if c.is_failure]
    assert case.name == "Login › checkout \ufffd pays"
    assert "Reporting problem" not in result.log


def test_megabyte_names_and_messages_are_clipped_in_every_report(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    huge = [
        {"name": f"{n} " + "n" * 300_000, "message": "m" * 300_000, "file_path": "tests/a.spec.ts"}
        for n in range(5)
    ]
    failing(empirical.app, *huge)

    result = job.run(junit_file=str(job.tmp / "junit.xml"))

    assert result.code == 1
    assert max(len(line) for line in result.log.splitlines()) <= LINE_CHARS + 200  # a command's own words
    assert len(result.log) < 100_000
    assert len(result.summary.encode()) < SUMMARY_LIMIT
    junit = (job.tmp / "junit.xml").read_bytes()
    assert len(junit) < 5 * (NAME_CHARS * 3 + 2 * 65_535) + 10_000
    cases = [c for suite in JUnitXml.fromfile(str(job.tmp / "junit.xml")) for c in suite]
    names = [c.name for c in cases if c.is_failure]  # every listed test is written now (issue 15)
    assert len(names) == 5
    assert all(len(c.name) <= NAME_CHARS for c in cases)
    [check_run] = github.app.admin_check_runs()
    assert all(len(a["title"]) <= TITLE_CHARS for a in check_run["annotations"])
    assert check_run["conclusion"] == "failure"


UNUSABLE = (
    "::warning title=Check run::GitHub answered the check-run create without the check run's id or page URL"
)
REDIRECT = "::notice title=Check run::No check run, the check run could not be written: GitHub API answered with a redirect (HTTP 302)"


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (302, None, REDIRECT),
        (201, None, UNUSABLE),
        (201, {"id": 5, "html_url": None}, UNUSABLE),
        (201, {"id": "5", "html_url": "https://x"}, UNUSABLE),
    ],
    ids=["redirect", "empty 201", "html_url null", "string id"],
)
def test_a_check_run_create_without_id_or_url_keeps_every_output(
    job: Job, empirical: Simulated, github: Simulated, status: int, body: Any, says: str
) -> None:
    failing(empirical.app, {"name": "checkout pays", "file_path": "tests/pay.spec.ts"})
    github.app.script(Fault("POST", CHECK_RUNS, "status", status=status, body=body, times=5))

    result = job.run()

    assert (result.code, result.outputs["result"], result.outputs["run-id"]) == (1, "failed", "1001")
    assert result.outputs["check-run-url"] == ""
    assert says in result.log
    assert "Reporting problem" not in result.log
    assert github.app.recorded("PATCH", CHECK_RUN) == []  # nothing to complete: never a guess
    annotated = [
        line for line in result.log.splitlines() if line.startswith("::error file=tests/pay.spec.ts,")
    ]
    assert len(annotated) == 1
    assert "title=Login › checkout pays::" in annotated[0]


def test_a_check_run_whose_create_failed_is_never_completed(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    github.app.script(Fault("POST", CHECK_RUNS, "status", status=500, body={"message": "boom"}, times=5))

    result = job.run()

    assert result.code == 0
    assert github.app.recorded("PATCH", CHECK_RUN) == []
    assert github.app.admin_check_runs() == []
    assert "No check run, the check run could not be written: GitHub answered HTTP 500: boom" in result.log


def test_a_check_run_whose_first_create_failed_is_created_complete_at_the_end(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    github.app.script(Fault("POST", CHECK_RUNS, "status", status=500, body={"message": "boom"}, times=1))

    result = job.run()

    assert result.code == 0
    assert github.app.recorded("PATCH", CHECK_RUN) == []
    [check_run] = github.app.admin_check_runs()
    assert (check_run["status"], check_run["conclusion"]) == ("completed", "success")
    assert result.outputs["check-run-url"] == f"https://github.com/acme/shop/runs/{check_run['id']}"


def test_service_text_that_echoes_a_secret_shows_it_nowhere(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    secret = "hunter2-very-secret"
    failing(
        empirical.app,
        {
            "name": f"login with {secret} and {DEFAULT_KEY}",
            "message": f"Expected token {GITHUB_TOKEN}, got {secret}",
            "file_path": "tests/login.spec.ts",
        },
    )

    result = job.run(
        event="pull_request",
        pr_comment="true",
        environment_variables=f"PASSWORD={secret}",
        junit_file=str(job.tmp / "junit.xml"),
    )

    assert result.code == 1
    written = {
        "check run": json.dumps(github.app.admin_check_runs(), ensure_ascii=False),
        "comment": "\n".join(c.body for c in github.app.comments.values()),
        "JUnit": (job.tmp / "junit.xml").read_text(encoding="utf-8"),
        "log, summary, outputs": result.everything(),
    }
    assert "login with ***" in written["check run"]
    assert "login with \\*\\*\\*" in written["comment"]
    assert "login with ***" in written["JUnit"]
    for where, text in written.items():
        for value in (secret, DEFAULT_KEY, GITHUB_TOKEN):
            assert value not in text, where


def test_mentions_in_test_names_notify_no_one(job: Job, empirical: Simulated, github: Simulated) -> None:
    failing(
        empirical.app,
        {"name": "ping @octocat and @acme/reviewers", "message": "cc @admin", "file_path": "tests/a.spec.ts"},
    )

    result = job.run(event="pull_request", pr_comment="true")

    assert result.code == 1
    [comment] = github.app.comments.values()
    [check_run] = github.app.admin_check_runs()
    sent = comment.body + json.dumps(check_run, ensure_ascii=False)
    for mention in ("@octocat", "@acme/reviewers", "@admin"):
        assert mention not in sent
    assert "@\u200doctocat" in comment.body
    assert check_run["annotations"][0]["title"].endswith("ping @\u200doctocat and @\u200dacme/reviewers")


def test_annotation_paths_outside_the_repository_are_left_out(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    paths = ["../../etc/passwd", "/etc/passwd", "C:/Windows/x.ts", "tests/a\nb.spec.ts", "src/../../x.ts"]
    failing(
        empirical.app,
        *[{"name": f"test {n}", "file_path": p} for n, p in enumerate(paths)],
        {"name": "good", "file_path": "/github/workspace/tests/good.spec.ts"},
    )

    result = job.run()

    assert result.code == 1
    [check_run] = github.app.admin_check_runs()
    assert [a["path"] for a in check_run["annotations"]] == ["tests/good.spec.ts"]
    assert "5 failed or flaky tests have no file location" in check_run["output"]["summary"]


def test_fork_annotations_in_workflow_commands_keep_to_the_repository(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    failing(
        empirical.app,
        {"name": "escape", "file_path": "../../etc/passwd"},
        {"name": "ok", "file_path": "t/a.ts"},
    )

    result = job.run(event="pull_request_fork")

    files = [line for line in result.log.splitlines() if line.startswith("::error") and "file=" in line]
    assert len(files) == 1
    assert files[0].startswith("::error file=t/a.ts,line=1,title=Search › ok::")


def test_credentials_in_the_service_urls_are_shown_nowhere(job: Job, empirical: Simulated) -> None:
    dashboard = "https://dash-user:dash-Pa55word@dash.example.com/app"

    result = job.run(dashboard_url=dashboard)
    dry = job.run(
        dashboard_url=dashboard,
        api_url=job.api_url.replace("http://", "http://api-user:api-Pa55word@"),
        dry_run="true",
    )

    assert result.code == 0
    assert result.outputs["run-url"].startswith("https://dash.example.com/app/")
    for shown in (result.everything(), dry.everything()):
        assert "Pa55word" not in shown
        assert "dash-user" not in shown
        assert "api-user" not in shown
    assert "http://***@127.0.0.1" in dry.shown_log


def test_plain_http_to_another_host_is_warned_and_loopback_is_not(job: Job) -> None:
    remote = job.run(api_url="http://api.example.com", dry_run="true")
    local = job.run(dry_run="true")

    warning = "::warning title=Unencrypted API URL::Input 'api-url' is a plain http:// URL to api.example.com"
    assert warning in remote.log
    assert "Unencrypted" not in local.log


def report_with(url: str, state: str) -> Report:
    run = TestRun(id="1001", url=url, state=state, phase=Phase.FINISHED, counts=Counts(total=1, passed=1))
    return Report(
        "Empirical", "staging", Outcome.PASSED, True, FailOn.FAILURES, Source(commit=HEAD_SHA), run=run
    )


@pytest.mark.parametrize(
    "url",
    [
        'https://dash.empirical.run/x"; echo PWNED; echo "/test-runs/1',
        "https://dash.example.com/$(id)/`id`/'x'|y&z<a>b c",
        "https://dash.example.com/a\nb",
    ],
)
def test_a_run_url_from_the_service_cannot_reach_a_shell(url: str) -> None:
    shown = outputs(report_with(url, "ended"))["run-url"]

    assert shown.startswith("https://dash.")
    assert not set(shown) & set(" \t\n\"'`$;|&<>()\\!*{}[]")


@pytest.mark.parametrize(
    ("url", "shown"),
    [("javascript:alert(1)", ""), ("ftp://x/y", ""), ("https://u:p@h.io/r", "https://h.io/r")],
)
def test_only_http_urls_without_credentials_become_the_run_url(url: str, shown: str) -> None:
    assert outputs(report_with(url, "ended"))["run-url"] == shown


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("ended", "ended"),
        ("build passed; tests finished (passed)", "build passed; tests finished (passed)"),
        ("STATUS_COMPLETED (SUCCESS)", "STATUS_COMPLETED (SUCCESS)"),
        ('x"; echo PWNED', "finished"),
        ("$(id)", "finished"),
        ("a\nb", "finished"),
    ],
)
def test_the_state_output_is_plain_words_or_the_phase(state: str, shown: str) -> None:
    assert outputs(report_with("https://x.io", state))["state"] == shown


def test_a_report_that_cannot_be_written_costs_no_other(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    failing(empirical.app, {"name": "checkout pays", "file_path": "tests/pay.spec.ts"})
    (job.tmp / "taken").mkdir()

    result = job.run(
        junit_file=str(job.tmp / "taken"), env={"GITHUB_STEP_SUMMARY": str(job.tmp / "no" / "summary")}
    )

    assert (result.code, result.outputs["result"]) == (1, "failed")
    assert (
        "::warning title=Reporting problem::Could not write the JUnit file: IsADirectoryError" in result.log
    )
    assert "::warning title=Runner file::Could not write GITHUB_STEP_SUMMARY" in result.log
    assert result.outputs["junit-file"] == ""
    [check_run] = github.app.admin_check_runs()
    assert check_run["conclusion"] == "failure"
    assert result.outputs["check-run-url"] == f"https://github.com/acme/shop/runs/{check_run['id']}"


def test_sanitised_makes_every_piece_of_service_text_valid_redacted_and_clipped() -> None:
    # Each writer guards itself too; this is the layer every publisher reads first.
    secret = "hunter2-very-secret"
    failure = model.FailedExecution(
        name=f"pay \udc00 {secret} " + "n" * 5_000,
        message=f"cut \ud83d {secret} " + "m" * 100_000,
        details=f"at {secret}",
        file=f"t/{secret}.ts",
        url=f"https://ci:{secret}@x.io/r",
        group=f"suite {secret}",
    )
    report = dataclasses.replace(
        report_with(f"https://x.io/\udc00/{secret}", "ended"),
        failures=model.Failures(executions=(failure,), note=f"note {secret}"),
        problem=f"problem \udc00 {secret}",
    )

    clean = sanitised(report, lambda text: without_userinfo(text).replace(secret, "***"))

    [shown] = clean.failures.executions
    texts = [
        shown.name,
        shown.message,
        shown.details,
        shown.file,
        shown.url,
        shown.group,
        clean.failures.note,
        clean.problem,
        clean.run.url if clean.run else None,
    ]
    for text in texts:
        assert text is not None
        assert secret not in text
        assert "***" in text
        text.encode("utf-8")  # no lone surrogate left
    assert shown.name.startswith("pay \ufffd *** ")
    assert len(shown.name) == NAME_CHARS
    assert len(shown.message.encode("utf-8")) <= MESSAGE_BYTES


def test_credentials_in_a_url_in_service_text_are_shown_nowhere(
    job: Job, empirical: Simulated, github: Simulated
) -> None:
    failing(
        empirical.app,
        {
            "name": "fetch https://ci-bot:t0ken-Pa55@registry.example.com/pkg",
            "message": "GET https://ci-bot:t0ken-Pa55@registry.example.com/pkg answered 500",
            "file_path": "tests/fetch.spec.ts",
        },
    )

    result = job.run(junit_file=str(job.tmp / "junit.xml"))

    assert result.code == 1
    written = {
        "check run": json.dumps(github.app.admin_check_runs(), ensure_ascii=False),
        "JUnit": (job.tmp / "junit.xml").read_text(encoding="utf-8"),
        "log, summary, outputs": result.everything(),
    }
    assert "fetch https://***@" in written["check run"]
    for where, text in written.items():
        assert "t0ken-Pa55" not in text, where
        assert "ci-bot" not in text, where


def test_a_signal_while_the_provider_closes_still_writes_every_output_and_exits_as_signalled(
    job: Job, empirical: Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run passed and was reported on; SIGTERM lands as the provider's connections close.
    real = flow.create_provider

    def closing_into_a_signal(*args: Any) -> Any:
        provider = real(*args)
        close = provider.close

        def close_then_signal() -> None:
            close()
            raise Interrupted(signal.SIGTERM)

        provider.close = close_then_signal  # type: ignore[method-assign]
        return provider

    monkeypatch.setattr(flow, "create_provider", closing_into_a_signal)

    result = job.run()

    assert result.code == 128 + signal.SIGTERM
    assert (result.outputs["result"], result.outputs["run-id"]) == ("passed", "1001")
    assert "Traceback" not in result.log
