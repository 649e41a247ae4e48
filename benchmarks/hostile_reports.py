"""The reports-and-inputs cases of `benchmarks.hostile`: hostile service text, odd GitHub answers, odd
inputs and runner files, odd digits, injection, leaks and orphans, each through the real process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testrun_sim import buildkite as bk
from testrun_sim.empirical import Scenario
from testrun_sim.hostile import Rule
from testrun_sim.server import Fault

from .github_job import MERGE_SHA
from .proxied import Row, Setup, Step, case, happened, said, seen

TRIGGER = r"^/api/test-runs$"
CHECK_RUNS = r"/check-runs$"
EXIT_BUDGET = "exit ≤ 5 s after the signal"  # github-platform.md 3.1
NESTED_JSON = '{"a":' * 20_000 + "1" + "}" * 20_000
NESTED_YAML = "a: " + "[" * 20_000
NESTED_EVENT = "[" * 100_000 + "]" * 100_000
LONG = Scenario(queued=0.1, duration=600, tests=40)
SHORT = Scenario(queued=0.1, duration=0.5, tests=6)
SECRET = "Pa55word"  # noqa: S105 - what a leak would show
# The README's example step before it passed outputs through `env:`: `${{ }}` pasted into the script.
README_STEP = 'echo "Result {result}: {run_url}"'


def failing(*failures: dict[str, str], tests: int = 12) -> Scenario:
    return Scenario(queued=0.1, duration=0.5, tests=tests, failed=len(failures), failures=list(failures))


def check_run_state(setup: Setup) -> str:
    runs = setup.github_app.admin_check_runs()
    return f"check run {runs[0]['status']}" if runs else "no check run"


def remote_run(setup: Setup) -> str:
    runs = list(setup.service_app.runs.values())  # type: ignore[attr-defined]
    if not runs:
        return "no run created"
    return "run cancelled" if runs[0].cancel_reason else "run left going"


# -- hostile service text --------------------------------------------------------------------------
def surrogate(src: Path | None, work: Path) -> Row:
    # Half an emoji, as a JavaScript service that cut a string sends it: valid JSON, not valid Unicode.
    half = Rule("*", r"^/api/", "rewrite", replace=[(b"HALF", b"\\udc00")])
    scenario = failing({"name": "checkout HALF pays", "message": "expected HALF", "file_path": "t/pay.ts"})
    step, setup = case(src, work, scenario=scenario, rules=(("service", half),))
    summary = "summary written" if "checkout" in step.written("summary") else "summary lost"
    group = "log group written" if "checkout \ufffd pays" in step.log else "log group lost"
    note = happened(step, summary, group, check_run_state(setup))
    return step.row("lone surrogate in a failure name and message", "-", note)


def mentions(src: Path | None, work: Path) -> Row:
    scenario = failing({"name": "ping @octocat and @acme/reviewers", "file_path": "t/a.ts"})
    step, setup = case(src, work, scenario=scenario, event="pull_request", pr_comment="true")
    comments = " ".join(c.body for c in setup.github_app.comments.values())
    raw = [m for m in ("@octocat", "@acme/reviewers") if m in comments]
    note = happened(step, f"comment mentions {', '.join(raw)}" if raw else "no live mention in the comment")
    return step.row("@mentions in a test name, PR comment", "-", note)


def annotation_paths(src: Path | None, work: Path) -> Row:
    paths = ["../../etc/passwd", "/etc/passwd", "C:/Windows/x.ts", "t/a\nb.ts"]
    scenario = failing(*[{"name": f"test {n}", "file_path": p} for n, p in enumerate(paths)])
    step, setup = case(src, work, scenario=scenario)
    runs = setup.github_app.admin_check_runs()
    sent = [a["path"] for a in runs[0]["annotations"]] if runs else []
    shown = ", ".join(json.dumps(path) for path in sent) or "none"
    return step.row(
        "annotation paths ../../etc/passwd, /etc/passwd, C:/…, newline",
        "-",
        happened(step, f"paths sent: {shown}"),
    )


def megabyte_names(count: int, budget: str) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        names = [{"name": f"{n} " + "n" * 1_000_000, "file_path": "t/a.ts"} for n in range(count)]
        step, _ = case(src, work, scenario=failing(*names, tests=40), junit_file=str(work / "junit.xml"))
        junit = work / "junit.xml"
        size = junit.stat().st_size if junit.is_file() else 0
        refused = said(step.log, "Failure details were unavailable")
        note = happened(
            step, refused, f"log {len(step.log.encode()) / 1e6:.2f} MB", f"JUnit {size / 1e6:.2f} MB"
        )
        return step.row(f"{count} failures with 1 MB names", budget, note)

    one.__name__ = f"megabyte_names_{count}"
    return one


# -- odd answers from GitHub -----------------------------------------------------------------------
def create_answered(status: int, body: bytes, label: str) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        headers = {"content-type": "application/json", "location": "http://127.0.0.1:9/x"}
        answer = Rule("POST", CHECK_RUNS, "answer", status=status, headers=headers, body=body)
        step, _ = case(
            src,
            work,
            scenario=failing({"name": "checkout", "file_path": "t/a.ts"}),
            rules=(("github", answer),),
        )
        url = step.outputs.get("check-run-url")
        why = said(step.log, "redirect (HTTP 302)", "without the check run's id or page URL")
        return step.row(
            f"check-run create answered {label}", "-", happened(step, why, f"check-run-url={url!r}")
        )

    one.__name__ = f"create_{status}_{len(body)}"
    return one


def sigterm_patch(src: Path | None, work: Path) -> Row:
    hang = Rule("PATCH", r"/repos/acme/shop/check-runs/\d+", "silent")

    def completing(setup: Setup) -> Callable[[], bool]:
        return seen(setup.github, "PATCH", r"/repos/acme/shop/check-runs/\d+")

    step, _ = case(src, work, scenario=SHORT, rules=(("github", hang),), ready=completing)
    return step.row("SIGTERM during the final check-run PATCH", EXIT_BUDGET, happened(step))


# -- inputs and the runner's files ---------------------------------------------------------------
def configured(label: str, **given: str) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        step, setup = case(src, work, more=given)
        triggered = setup.service_app.recorded("PUT")  # type: ignore[attr-defined]
        return step.row(label, "-", happened(step, "triggered" if triggered else "nothing triggered"))

    one.__name__ = "_".join(label.lower().replace("-", "_").split())
    return one


def nested_event(src: Path | None, work: Path) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    (work / "nested.json").write_text(NESTED_EVENT, encoding="utf-8")
    env = {"GITHUB_EVENT_PATH": str(work / "nested.json")}
    step, _ = case(src, work, event="pull_request", env=env)
    return step.row("nested event payload (pull_request)", "-", happened(step))


def unwritable(variable: str) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        step, _ = case(src, work, env={variable: str(work / "missing" / "file")}, wait="maybe")
        summary = "summary written" if step.written("summary") else "no summary"
        return step.row(f"{variable} unwritable, configuration error", "-", happened(step, summary))

    one.__name__ = f"unwritable_{variable.lower()}"
    return one


def unwritable_state(src: Path | None, work: Path) -> Row:
    env = {"GITHUB_STATE": str(work / "missing" / "state")}
    step, setup = case(src, work, scenario=LONG, env=env, timeout_minutes="0.03")
    return step.row(
        "GITHUB_STATE unwritable after the trigger", "timeout 1.8 s", happened(step, remote_run(setup))
    )


def post_state(label: str, env: dict[str, str]) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        step, _ = case(src, work, env=env, args=("post",))
        return step.row(f"post step, saved state {label}", "60 s", happened(step))

    one.__name__ = f"post_{label.split()[0]}"
    return one


def event_missing(src: Path | None, work: Path) -> Row:
    env = {"GITHUB_EVENT_PATH": str(work / "gone.json")}
    step, setup = case(src, work, scenario=SHORT, event="pull_request", env=env)
    puts = setup.service_app.recorded("PUT")  # type: ignore[attr-defined]
    merge = any(MERGE_SHA in json.dumps(r["body"]) for r in puts)
    ran = "ran on GITHUB_SHA, the merge commit" if merge else ("triggered" if puts else "nothing triggered")
    return step.row("pull_request, event file missing", "-", happened(step, ran))


# -- odd digits (Buildkite) ------------------------------------------------------------------------
def odd_digits(
    label: str, rule: Rule | Callable[[Setup], Rule], scenario: object = None, **given: str
) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        rules = (("service", rule),)
        step, setup = case(src, work, service="buildkite", scenario=scenario, rules=rules, more=given)
        builds = setup.service_app.builds  # type: ignore[attr-defined]
        state = (
            "build cancelled"
            if builds and builds[0].cancelled_at
            else f"{len(builds)} build(s), not cancelled"
        )
        internal = "Internal error" if "Internal error" in step.log else ""
        budget = (
            f"timeout {float(given['timeout_minutes']) * 60:.0f} s" if "timeout_minutes" in given else "-"
        )
        return step.row(f"non-ASCII digits in {label}", budget, happened(step, internal, state))

    one.__name__ = "odd_" + label.split()[0].lower().replace("-", "_")
    return one


ODD_QUOTA = Rule(
    "*",
    r"^/v2/",
    "rewrite",
    headers={"RateLimit-Remaining": "²", "RateLimit-Reset": "²", "RateLimit-User-Remaining": "١٢"},
)


def odd_page(setup: Setup) -> Rule:
    # Only a link to the API's own origin is followed, so the odd page number is in one.
    last = f'<{setup.service.url}/v2/x?page=²>; rel="last"'
    return Rule("GET", r"/failed_executions$", "rewrite", headers={"Link": last})


ODD_RETRY = Rule(
    "GET",
    r"/builds/\d+$",
    "answer",
    times=1,
    status=503,
    headers={"Retry-After": "²", "content-type": "application/json"},
    body=b"{}",
)
LONG_BUILD = bk.Scenario(scheduled=0.2, duration=600, tests=12)
FAILING_BUILD = bk.Scenario(scheduled=0.2, duration=0.6, tests=12, processing=0.1, failed=2)


# -- injection and leaks -------------------------------------------------------------------------
def run_url_injection(src: Path | None, work: Path) -> Row:
    slug = Rule("*", r"^/api/", "rewrite", replace=[(b'"acme-shop"', b'"x\\"; echo PWNED; echo \\""')])
    step, _ = case(src, work, scenario=SHORT, rules=(("service", slug),))
    script = README_STEP.format(
        result=step.outputs.get("result", ""), run_url=step.outputs.get("run-url", "")
    )
    shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=10, check=False)
    ran = (
        "README's step ran `echo PWNED`"
        if "PWNED" in shell.stdout.splitlines()
        else "README's step printed one line"
    )
    return step.row("run-url injection via the project slug", "-", happened(step, ran))


def leaks(step: Step) -> str:
    # `::add-mask::` lines are the runner's to consume: it masks the value and never shows the line.
    shown_log = "\n".join(line for line in step.log.splitlines() if not line.startswith("::add-mask::"))
    places = {
        "log": shown_log,
        "summary": step.written("summary"),
        "outputs": json.dumps(step.outputs),
    }
    shown = [where for where, text in places.items() if SECRET in text]
    return f"password in {', '.join(shown)}" if shown else "password nowhere"


def credentials_dry_run(src: Path | None, work: Path) -> Row:
    dashboard = f"https://dash-user:{SECRET}@dash.example.com/app"
    step, _ = case(src, work, dry_run="true", url_user=f"api-user:{SECRET}", dashboard_url=dashboard)
    return step.row("credentials in api-url and dashboard-url, dry-run", "-", happened(step, leaks(step)))


def credentials_run(src: Path | None, work: Path) -> Row:
    dashboard = f"https://dash-user:{SECRET}@dash.example.com/app"
    step, _ = case(src, work, scenario=SHORT, dashboard_url=dashboard)
    note = happened(step, leaks(step))
    return step.row("credentials in dashboard-url (log, run-url, summary)", "-", note)


def plain_http(src: Path | None, work: Path) -> Row:
    step, _ = case(src, work, dry_run="true", api_url="http://api.example.com")
    warned = "warned" if "Unencrypted" in step.log else "no warning"
    return step.row("plain http api-url to another host (dry-run)", "-", happened(step, warned))


# -- orphans -------------------------------------------------------------------------------------
def orphan(label: str, answer: Any) -> Callable[[Path | None, Path], Row]:
    def one(src: Path | None, work: Path) -> Row:
        fault = Fault("PUT", TRIGGER, "rewrite", status=200, body=answer)
        step, setup = case(src, work, scenario=LONG, faults=(("service", fault),))
        return step.row(f"trigger answered {label}", "-", happened(step, remote_run(setup)))

    one.__name__ = "orphan_" + label.split()[0]
    return one


def sigterm_trigger(src: Path | None, work: Path) -> Row:
    stall = Fault("PUT", TRIGGER, "stall_after", delay=30.0)

    def created(setup: Setup) -> Callable[[], bool]:
        return lambda: len(setup.service_app.runs) == 1  # type: ignore[attr-defined]

    step, setup = case(src, work, scenario=LONG, faults=(("service", stall),), ready=created)
    return step.row("SIGTERM during the trigger", EXIT_BUDGET, happened(step, remote_run(setup)))


STRING_ID = {"data": {"trigger": {"success": True}, "test_run": {"id": "run-abc", "state": "queued"}}}

TIMED: tuple[Callable[[Path | None, Path], Row], ...] = (
    surrogate,
    sigterm_patch,
    create_answered(302, b"", "302"),
    create_answered(201, b"", "201, empty"),
    create_answered(201, b'{"id": 5, "html_url": null}', "201, html_url null"),
    configured("nested JSON metadata", metadata=NESTED_JSON),
    configured("nested YAML metadata", metadata=NESTED_YAML),
    nested_event,
    configured("non-ASCII api-key", api_key="kéy-123456"),
    unwritable("GITHUB_OUTPUT"),
    unwritable("GITHUB_STEP_SUMMARY"),
    unwritable_state,
    post_state("run_id ../../etc", {"STATE_run_id": "../../etc"}),
    post_state("run_id 1001, nested metadata", {"STATE_run_id": "1001", "INPUT_METADATA": NESTED_JSON}),
    # A build longer than the step's 3 s: followed and cancelled at the timeout, or left behind.
    odd_digits("RateLimit-Remaining", ODD_QUOTA, LONG_BUILD, timeout_minutes="0.05"),
    odd_digits("a Link page number", odd_page, FAILING_BUILD),
    odd_digits("Retry-After", ODD_RETRY),
    event_missing,
    run_url_injection,
    mentions,
    annotation_paths,
    credentials_dry_run,
    credentials_run,
    plain_http,
    orphan("200 HTML", b"<html><body>502 Bad Gateway</body></html>"),
    orphan("a string id", STRING_ID),
    sigterm_trigger,
)
HEAVY: tuple[Callable[[Path | None, Path], Row], ...] = (
    megabyte_names(30, "10 MB body"),
    megabyte_names(8, "names clipped"),
)
