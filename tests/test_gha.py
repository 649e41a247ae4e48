"""Talking to the runner: no untrusted line can become a workflow command; outputs survive any value."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testrun_action.gha import Actions, escape_data, escape_property, neutralise
from testrun_sim.runner_files import read_outputs


def actions(tmp_path: Path | None = None) -> tuple[Actions, io.StringIO]:
    stream = io.StringIO()
    environ = {"GITHUB_ACTIONS": "true"}
    if tmp_path is not None:
        environ["GITHUB_OUTPUT"] = str(tmp_path / "output")
        (tmp_path / "output").touch()
    return Actions(environ, stream), stream


def runner_would_run(line: str) -> bool:
    """The runner's rules (github-platform.md 5): a line whose trimmed start is `::`, or any `##[`."""
    return line.lstrip().startswith("::") or "##[" in line


@pytest.mark.parametrize(
    "evil",
    [
        "::set-output name=result::passed",
        "   ::add-mask::everything",
        "fine\n::stop-commands::abc",
        "fine\r::error::fake annotation",
        "fine\r\n\t::warning::x",
        "legacy ##[set-output name=result;]passed",
        "::::",
    ],
)
def test_untrusted_text_printed_to_the_log_can_never_start_a_command(evil: str) -> None:
    gha, stream = actions()

    gha.log(f"Failed test: {evil}")
    gha.log(evil)

    # The runner splits lines on \n, \r or \r\n (.NET ReadLine).
    lines = stream.getvalue().replace("\r\n", "\n").replace("\r", "\n").splitlines()
    assert lines
    assert not any(runner_would_run(line) for line in lines)


def test_neutralised_text_still_reads_the_same() -> None:
    assert neutralise("a :: b").replace("\u200b", "") == "a :: b"
    assert neutralise("::x::y").replace("\u200b", "") == "::x::y"


def test_command_data_and_properties_are_escaped_as_the_runner_unescapes_them() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c\nd") == "a%3Ab%2Cc%0Ad"


def test_an_error_annotation_with_hostile_properties_stays_one_command() -> None:
    gha, stream = actions()

    gha.error("line one\n::error::two", title="t,itle::x", file="a,b.ts", line=3)

    [line] = stream.getvalue().splitlines()
    assert line == "::error file=a%2Cb.ts,line=3,title=t%2Citle%3A%3Ax::line one%0A::error::two"


def test_secrets_are_masked_once_and_redacted_from_everything_printed() -> None:
    gha, stream = actions()

    gha.mask("s3cret-value")
    gha.mask("s3cret-value")
    gha.log("token s3cret-value leaked?")
    gha.error("bad s3cret-value")

    assert stream.getvalue().splitlines() == [
        "::add-mask::s3cret-value",
        "token *** leaked?",
        "::error::bad ***",
    ]


def test_very_short_values_are_not_masked_so_the_log_stays_readable() -> None:
    gha, stream = actions()

    gha.mask("1")
    gha.log("1 failed")

    assert stream.getvalue() == "1 failed\n"


def test_outputs_round_trip_any_value_through_the_runner_format(tmp_path: Path) -> None:
    gha, _ = actions(tmp_path)
    tricky = "line 1\nEOF\nghadelimiter_x\nresult=passed\r\nend"

    gha.set_outputs({"run-url": "https://x.example/1", "message": tricky, "empty": ""})

    assert read_outputs(tmp_path / "output") == {
        "run-url": "https://x.example/1",
        "message": tricky.replace("\r\n", "\n"),
        "empty": "",
    }


def test_outside_actions_messages_are_plain_text() -> None:
    stream = io.StringIO()
    gha = Actions({}, stream)

    gha.mask("s3cret-value")
    gha.error("::oops s3cret-value", title="Bad")
    with gha.group("Failures"):
        gha.log("x")

    assert stream.getvalue().splitlines() == ["Error: ::oops ***", "── Failures", "x"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text()
    | st.lists(st.sampled_from(["::", "##[", "\r", "\n", " ", "\t", "x", "error::"])).map("".join)
)
def test_no_text_at_all_printed_to_the_log_can_start_a_command(text: str) -> None:
    gha, stream = actions()

    gha.log(text)

    lines = stream.getvalue().replace("\r\n", "\n").replace("\r", "\n").splitlines()
    assert not any(runner_would_run(line) for line in lines)
