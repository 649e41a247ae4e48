"""The report at a glance, rendered by GitHub's own Markdown engine (cmark-gfm), and the pure parts
behind it: the bar, the classification, the verdict of `fail-on: new-failures`, the links and the trend.

Golden files live in tests/golden/; regenerate them with `UPDATE_GOLDEN=1 make unit` and review the diff.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from testrun_action.comparison import classify, compare
from testrun_action.model import (
    Counts,
    FailedExecution,
    FailOn,
    Failures,
    History,
    NoveltyKind,
    PastRun,
    Phase,
    Report,
    Source,
    TestRun,
)
from testrun_action.report import glance
from testrun_action.report.check_output import OUTPUT_BYTES, check_summary
from testrun_action.report.comment_body import render_comment
from testrun_action.report.summary import SUMMARY_LIMIT, render_summary
from testrun_action.verdict import decide

from .test_summary import ALLOWED_TAGS, SHA, check_golden, render_html, report

SQUARES = re.compile("[🟩🟥🟨🟪⬜]")
FAILED = (
    FailedExecution(
        name="Checkout › applies a discount code",
        file="tests/checkout.spec.ts",
        line=42,
        message="expect(received).toBe(expected)\n\nExpected: 90",
        details="at tests/checkout.spec.ts:42:17",
        url="https://dash.empirical.run/acme-shop/test-runs/1001?test_id=a1",
        key="a1",
    ),
    FailedExecution(
        name="Checkout › charges the saved card",
        file="tests/checkout.spec.ts",
        line=77,
        message="Timed out 5000ms waiting for expect(locator).toBeVisible()",
        url="https://dash.empirical.run/acme-shop/test-runs/1001?test_id=a2",
        key="a2",
    ),
    FailedExecution(
        name="Login › rejects a wrong password",
        file="./tests/login.spec.ts",
        line=12,
        message="Error: page.goto: net::ERR_CONNECTION_REFUSED",
        url="https://dash.empirical.run/acme-shop/test-runs/1001?test_id=b1",
        key="b1",
    ),
    FailedExecution(
        name="Search › suggests as you type", flaky=True, file="tests/search.spec.ts", line=7, key="c1"
    ),
)
HISTORY = History(
    recent=tuple(PastRun(str(900 + n), duration_seconds=600 + 10 * n, failed=n % 3) for n in range(10)),
    branch="main",
    compared=tuple(PastRun(str(900 + n)) for n in range(5)),
    # newest first: a1 failed in the latest run on main; b1 failed in two older ones; a2 never.
    outcomes={
        "a1": ("failed", "failed", "passed", "passed", "passed"),
        "b1": ("passed", "failed", None, "flaky", "passed"),
    },
)


def judged(failures: Failures, history: History | None = HISTORY, **changes: object) -> Report:
    """The test report with `failures` compared with `history`, as the flow builds it."""
    compared = compare(failures, history) if history else failures
    return dataclasses.replace(report(**changes), failures=compared, history=history)


def compared_report(**changes: object) -> Report:
    return judged(Failures(executions=FAILED), **changes)


def test_a_compared_summary_matches_the_golden_file() -> None:
    check_golden("summary_compared.md", render_summary(compared_report()))


# -- rendered by cmark-gfm --------------------------------------------------------------------------
@pytest.mark.parametrize("render", [render_summary, check_summary], ids=["job summary", "check run"])
def test_the_top_renders_as_a_headline_a_bar_and_a_key(render: object) -> None:
    html = render_html(render(compared_report()))  # type: ignore[operator]

    top = html.split("</h2>")[1].split("<table>")[0]
    first = re.search(r"<p>(.*?)</p>", top, re.DOTALL)
    assert first is not None
    bar, key = first.group(1).split("<br />")
    assert len(SQUARES.findall(bar)) == glance.BAR_WIDTH  # the chart block is intact: one line, 20 squares
    assert SQUARES.sub("", bar).strip() == ""
    assert "<strong>3 failed</strong> (1 new)" in key
    assert (
        '<a href="https://dash.empirical.run/acme-shop/test-runs/1001">Open the report in Empirical</a>'
        in key
    )
    assert "📈 Against the last 10 ended runs of <code>staging</code>: took <strong>12m 34s</strong>" in top


@pytest.mark.parametrize("render", [render_summary, check_summary], ids=["job summary", "check run"])
def test_failures_render_as_one_table_grouped_by_file_new_first_with_links(render: object) -> None:
    html = render_html(render(compared_report()))  # type: ignore[operator]

    failed = html.split(
        "<h3>Failed tests (3): 1 new, 1 also failing on <code>main</code>, 1 flaky lately</h3>"
    )[1].split("<h3>")[0]
    assert "<h4>" not in failed  # no heading per file
    [table] = re.findall(r"<table>(.*?)</table>", failed, re.DOTALL)
    assert re.findall(r"<th>(.*?)</th>", table) == ["Status", "File", "Test", "Line", "Message"]
    rows = re.findall(r"<tr>\s*" + r"<td>(.*?)</td>\s*" * 5, table, re.DOTALL)
    files = [re.search(r">([^<]+)</a>", r[1]).group(1) if "</a>" in r[1] else r[1] for r in rows]  # type: ignore[union-attr]
    # The group with a new failure first; the file is named on its group's first row only.
    assert files == ["tests/checkout.spec.ts", "″", "./tests/login.spec.ts"]
    assert f'href="https://github.com/acme/shop/blob/{SHA}/tests/checkout.spec.ts"' in rows[0][1]
    assert [r[0] for r in rows[:2]] == [
        "🆕 <strong>new failure</strong>",
        "🔁 also failing on <code>main</code>",
    ]
    assert ">Checkout › charges the saved card</a>" in rows[0][2]  # new before known
    assert f'href="https://github.com/acme/shop/blob/{SHA}/tests/checkout.spec.ts#L77">L77</a>' in rows[0][3]
    assert rows[0][4] == "Timed out 5000ms waiting for expect(locator).toBeVisible()"  # the first line
    assert "🎲 flaky lately (50% of recent runs)" in rows[2][0]  # 2 of the 4 runs that ran it
    assert f"/blob/{SHA}/tests/login.spec.ts#L12" in rows[2][3]  # "./" dropped from the link
    assert "<details><summary>Checkout › applies a discount code</summary>" in failed  # kept, collapsed


EVIL = "<img src=x onerror=alert(1)> ``` <script>alert(2)</script> | [x](javascript:alert(3)) <!--"


@pytest.mark.parametrize("render", [render_summary, check_summary], ids=["job summary", "check run"])
def test_no_raw_html_from_test_data_survives_and_fences_close(render: object) -> None:
    evil = tuple(
        dataclasses.replace(
            f, name=f.name + EVIL, message=EVIL + "\n````\n# not a heading", details="```", file=f.file
        )
        for f in FAILED
    )
    html = render_html(render(judged(Failures(executions=evil))))  # type: ignore[operator]

    assert set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)) <= ALLOWED_TAGS
    assert "<!--" not in html
    assert 'href="javascript' not in html
    assert "<h1>" not in html
    assert html.count("<details>") == html.count("</details>") == 4  # every message's block is closed
    assert html.count("<pre") == html.count("</pre>") == 4
    assert html.rstrip().endswith("step failed</sub></p>")  # nothing after the fences was swallowed


def test_the_check_run_summary_keeps_the_bar_and_fits_with_thousands_of_failures() -> None:
    many = tuple(
        FailedExecution(
            name=f"Area {n % 40} › behaves well in case {n}",
            file=f"tests/area_{n % 40}.spec.ts",
            line=n,
            message="AssertionError: expected the banner\n" * 5,
            details="at frame\n" * 300,
            key=str(n),
        )
        for n in range(3000)
    )
    history = dataclasses.replace(HISTORY, outcomes={str(n): ("failed",) for n in range(0, 3000, 2)})
    text = check_summary(judged(Failures(executions=many), history), "50 annotated.")

    assert len(text.encode("utf-8")) <= OUTPUT_BYTES
    html = render_html(text)
    assert len(SQUARES.findall(html.split("</h2>")[1].split("<br />")[0])) == glance.BAR_WIDTH
    assert "more not listed here (size limit)" in html
    assert html.count("<details>") == html.count("</details>")
    assert html.rstrip().endswith("step failed</sub></p>")
    assert len(render_summary(judged(Failures(executions=many), history)).encode()) <= SUMMARY_LIMIT


def test_the_pull_request_comment_puts_new_failures_first_and_says_so() -> None:
    text = render_comment(compared_report())

    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert "charges the saved card" in lines[0]
    assert "🆕 **new failure**" in lines[0]
    assert "🔁 also failing on `main`" in text


# -- the pure parts -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([118, 3, 2, 1, 1], [16, 1, 1, 1, 1]),  # every non-zero count shows, the rest shares the bar
        ([10, 0, 0, 0, 0], [20, 0, 0, 0, 0]),
        ([1, 1, 0, 0, 0], [10, 10, 0, 0, 0]),
        ([9999, 1, 0, 0, 0], [19, 1, 0, 0, 0]),
        ([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]),
    ],
)
def test_the_bar_shares_twenty_squares_and_never_hides_a_failure(
    values: list[int], expected: list[int]
) -> None:
    assert glance.shares(values) == expected


def test_the_bar_orders_passed_failed_flaky_snoozed_skipped() -> None:
    assert (
        glance.bar(Counts(total=20, passed=10, failed=5, flaky=3, skipped=2))
        == "🟩" * 10 + "🟥" * 5 + "🟨" * 3 + "⬜" * 2
    )


@pytest.mark.parametrize(
    ("outcomes", "kind", "percent"),
    [
        ((), NoveltyKind.NEW, 0),
        (("passed", "passed", None), NoveltyKind.NEW, 0),
        (("failed", "passed"), NoveltyKind.KNOWN, 50),
        ((None, "failed"), NoveltyKind.KNOWN, 100),  # the latest run that ran it
        (("flaky", "passed", "passed", "passed"), NoveltyKind.FLAKY, 25),
        (("passed", "failed", "failed"), NoveltyKind.FLAKY, 67),
    ],
)
def test_classification(outcomes: tuple[str | None, ...], kind: NoveltyKind, percent: int) -> None:
    novelty = classify(outcomes)
    assert (novelty.kind, novelty.percent) == (kind, percent)


def test_new_failures_does_not_pass_when_some_failures_were_not_listed() -> None:
    r = judged(Failures(executions=FAILED[:1]))  # a1: known
    failures = r.failures

    def passes(run: TestRun | None, failures: Failures, history: History | None) -> bool:
        return decide(
            run, fail_on=FailOn.NEW_FAILURES, min_tests=1, failures=failures, history=history
        ).passed

    assert r.run is not None
    counted = dataclasses.replace(r.run, counts=Counts(total=10, passed=7, failed=3), confirmed=True)
    assert passes(counted, failures, HISTORY) is False  # 3 counted, 1 listed
    one = dataclasses.replace(counted, counts=Counts(total=10, passed=9, failed=1))
    assert passes(one, failures, HISTORY) is True
    incomplete = dataclasses.replace(failures, complete=False)
    assert passes(one, incomplete, HISTORY) is False
    assert passes(dataclasses.replace(one, phase=Phase.ERRORED), failures, HISTORY) is False
    assert passes(one, failures, None) is False


def test_file_links_follow_the_server_and_refuse_paths_outside_the_repository() -> None:
    ghes = Source(commit=SHA, repository="acme/shop", server_url="https://ghe.acme.internal/")

    assert (
        glance.source_url(ghes, "./tests/a b.spec.ts", 3)
        == f"https://ghe.acme.internal/acme/shop/blob/{SHA}/tests/a%20b.spec.ts#L3"
    )
    assert (
        glance.source_url(ghes, "tests/a.spec.ts")
        == f"https://ghe.acme.internal/acme/shop/blob/{SHA}/tests/a.spec.ts"
    )
    for bad in ("/etc/passwd", "../secrets.txt", "tests/../../x", "C:/work/a.ts", "https://evil.example/x"):
        assert glance.source_url(ghes, bad, 1) is None
    assert glance.source_url(Source(), "tests/a.spec.ts", 1) is None  # no commit: no link


def test_the_trend_needs_earlier_runs_and_says_the_median() -> None:
    assert glance.trend_line(report()) is None
    line = glance.trend_line(report(history=HISTORY))
    # durations 600..690 s: median 645 s; failures 0,1,2,0,1,2,0,1,2,0: median 1.
    assert line == (
        "📈 Against the last 10 ended runs of `staging`: took **12m 34s** (median 10m 45s, +17%) · "
        "**3 failed** (median 1)"
    )


def test_fail_on_new_failures_is_shown_in_the_footer() -> None:
    text = render_summary(compared_report(fail_on=FailOn.NEW_FAILURES, passed=False))
    assert "<sub>fail-on: `new-failures` · step failed</sub>" in text


def test_the_key_leaves_out_a_total_the_service_did_not_count() -> None:
    only_failures = Counts(failed=3, flaky=1)  # Buildkite when the build's tests can't be read

    assert glance.legend(only_failures, ()) == "🟥 **3 failed** · 🟩 0 passed · 🟨 1 flaky"
    assert glance.legend(Counts(total=10, passed=4, failed=1), ()).endswith(
        "🟥 **1 failed** · 🟩 4 passed · 5 not run · 10 tests"
    )
