"""The job summary: pure rendering, golden files, untrusted text, and GitHub's 1 MiB limit.

Golden files live in tests/golden/; regenerate them with `UPDATE_GOLDEN=1 make unit` and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from testrun_action.model import (
    Artifact,
    Counts,
    FailedExecution,
    FailOn,
    Failures,
    Outcome,
    Phase,
    Report,
    Source,
    TestRun,
)
from testrun_action.report.summary import SUMMARY_LIMIT, render_summary, title

GOLDEN = Path(__file__).parent / "golden"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def report(failures: tuple[FailedExecution, ...] = (), **changes: object) -> Report:
    run = TestRun(
        id="1001",
        url="https://dash.empirical.run/acme-shop/test-runs/1001",
        state="ended",
        phase=Phase.FINISHED,
        counts=Counts(total=125, passed=118, failed=3, flaky=2, skipped=1, snoozed=1),
        duration_seconds=754.2,
    )
    values: dict[str, object] = {
        "provider": "Empirical",
        "environment": "staging",
        "outcome": Outcome.FAILED,
        "passed": False,
        "fail_on": FailOn.FAILURES,
        "source": Source(
            commit=SHA,
            commit_url=f"https://github.com/acme/shop/commit/{SHA}",
            branch="main",
            repository="acme/shop",
        ),
        "run": run,
        "failures": Failures(executions=failures),
    }
    values.update(changes)
    return Report(**values)  # type: ignore[arg-type]


REPORT = "https://reports.empirical.run/acme-shop/17147585452"
FAILURES = (
    FailedExecution(
        name="Checkout › applies a discount code",
        file="tests/checkout.spec.ts",
        line=42,
        message="expect(received).toBe(expected)\n\nExpected: 90\nReceived: 100",
        details="at tests/checkout.spec.ts:42:17",
        url="https://dash.empirical.run/acme-shop/test-runs/1001?test_id=a1",
        artifacts=(
            Artifact(
                "Video (if recorded)", f"{REPORT}/data/checkout-applies-a-discount-code-chromium/video.webm"
            ),
        ),
    ),
    FailedExecution(
        name="Login › rejects a wrong password", file="tests/login.spec.ts", url="https://x.example/2"
    ),
    FailedExecution(name="Search › suggests as you type", flaky=True, file="tests/search.spec.ts", line=7),
)


def render_html(markdown: str) -> str:
    """GitHub's own Markdown engine (cmark-gfm), with raw HTML passed through as GitHub allows some."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 regenerates it"


def test_failing_run_summary_matches_the_golden_file() -> None:
    failures = Failures(FAILURES, artifacts=(Artifact("Playwright report", f"{REPORT}/index.html"),))
    check_golden(
        "summary_failed.md", render_summary(dataclasses.replace(report(FAILURES), failures=failures))
    )


RETRIED = (
    FailedExecution(name="Checkout applies a discount code", file="spec/checkout_spec.rb", line=10,
                    message="expected 200, got 502", url="https://buildkite.example/t/1", key="t1",
                    duration_seconds=8.2, attempts=3, failed_attempts=3),
    FailedExecution(name="Login signs in", file="spec/login_spec.rb", line=3, message="timed out",
                    key="t2", duration_seconds=0.85),
    FailedExecution(name="Cart adds an item", flaky=True, file="spec/cart_spec.rb", line=31, key="t3",
                    message="expected 200, got 502", duration_seconds=10.04, attempts=2, failed_attempts=1),
)  # fmt: skip


def test_a_summary_with_times_and_retries_matches_the_golden_file() -> None:
    """Buildkite's details: each failure's time and attempts, the flaky ones passed on retry, the slowest."""
    run = dataclasses.replace(
        report().run,  # type: ignore[arg-type]
        url="https://buildkite.com/organizations/acme/analytics/suites/e2e/runs/1001",
        build_url="https://buildkite.com/acme/e2e-tests/builds/4",
    )
    text = render_summary(report(RETRIED, provider="Buildkite", run=run))

    check_golden("summary_retried.md", text)
    assert "| Time | Retries |" in text
    assert "failed after 3 attempts" in text
    assert "passed on retry \\(1 of 2 attempts failed\\)" in text
    assert "### Flaky tests (1): passed on retry" in text


def test_passing_run_summary_matches_the_golden_file() -> None:
    passed = TestRun(
        id="1002",
        url="https://dash.empirical.run/acme-shop/test-runs/1002",
        state="ended",
        phase=Phase.FINISHED,
        counts=Counts(total=40, passed=40),
        duration_seconds=61,
    )
    check_golden("summary_passed.md", render_summary(report(outcome=Outcome.PASSED, passed=True, run=passed)))


def test_title_counts_what_happened() -> None:
    assert title(report()) == "3 failed, 118 passed, 2 flaky, 1 skipped, 1 snoozed"


def test_a_service_problem_is_explained_at_the_top() -> None:
    text = render_summary(
        report(outcome=Outcome.ERROR, problem="Test service unavailable: no answer in time")
    )

    assert "**Test service unavailable: no answer in time**" in text
    assert text.index("no answer in time") < text.index("fail-on")


def test_untrusted_test_names_cannot_inject_html_break_tables_or_open_fences() -> None:
    evil = FailedExecution(
        name="<img src=x onerror=alert(1)> | `` ``` [click](javascript:alert(1)) # $x$",
        file="tests/a|b.spec.ts",
        message="```\n# Heading\n| a | b |\n<script>alert(1)</script>",
        details="````\nunclosed",
        url="javascript:alert(1)",
    )

    html = render_html(render_summary(report((evil,))))

    assert "<img" not in html
    assert "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html
    assert "<h1>" not in html  # the message's "# Heading" stayed inside its code block
    failed_table = html.split("<h3>Failed tests (1)</h3>")[1].split("</table>")[0]
    assert [row.count("<td") for row in failed_table.split("<tr>")[2:]] == [3]  # file, test, message
    # The details block's fence outlasts every backtick run in the text: it ends where it should.
    assert "</details>" in html.split("````\nunclosed")[1]


def test_huge_and_non_bmp_text_is_clipped_not_broken() -> None:
    giant = FailedExecution(name="😀" * 100_000, message="é" * 200_000, details="x" * 500_000)

    text = render_summary(report((giant,)))

    assert len(text.encode("utf-8")) < 20_000
    assert "😀" in text
    assert "…" in text


def test_a_summary_with_thousands_of_failures_stays_under_the_limit_with_a_note() -> None:
    many = tuple(
        FailedExecution(
            name=f"Suite {n} › a rather long test name that describes behaviour in detail {n}",
            file=f"tests/area_{n % 50}/feature_{n}.spec.ts",
            line=n,
            message="AssertionError: expected the page to show the confirmation banner\n" * 3,
            details="Traceback line\n" * 200,
        )
        for n in range(10_000)
    )

    text = render_summary(report(many))

    assert len(text.encode("utf-8")) <= SUMMARY_LIMIT
    assert "more not listed here (size limit)" in text
    assert text.rstrip().endswith("</sub>")


@pytest.mark.parametrize("limit", [3_000, 10_000, 65_535])
def test_any_budget_is_respected(limit: int) -> None:
    many = tuple(
        FailedExecution(name=f"test {n}", message="boom " * 50, details="d" * 3000) for n in range(200)
    )

    assert len(render_summary(report(many), limit=limit).encode("utf-8")) <= limit


ALLOWED_TAGS = {
    "h2", "h3", "h4", "p", "a", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "details", "summary",
    "sub", "strong", "em", "blockquote", "br", "ul", "li", "del",
}  # fmt: skip
untrusted = st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ["<script>x</script>", "```", "| a |", "<details>", "[x](javascript:y)", "\r\n# h", "<!--", "&lt;", "\\|"]
)


@settings(max_examples=150, deadline=None)
@given(name=untrusted, message=untrusted, details=untrusted, file=untrusted, url=untrusted)
def test_no_untrusted_text_can_add_html_or_break_the_structure(
    name: str, message: str, details: str, file: str, url: str
) -> None:
    failure = FailedExecution(name=name, message=message, details=details, file=file or None, url=url)

    html = render_html(render_summary(report((failure,))))

    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= ALLOWED_TAGS
    assert html.count("<table>") == 2  # facts, the failure's file: none added, none broken
    assert html.count("<details>") == html.count("</details>")
    assert 'href="javascript' not in html.lower()
