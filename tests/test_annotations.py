"""Annotations from failed executions: paths, levels and GitHub's size limits, in bytes."""

from __future__ import annotations

import pytest

from testrun_action.model import FailedExecution
from testrun_action.report.annotations import TEXT_BYTES, repo_path, to_annotations
from testrun_action.untrusted import clip_bytes


@pytest.mark.parametrize("char", ["ü", "😀", "日", "a"])
def test_clip_bytes_cuts_on_a_character_boundary(char: str) -> None:
    text = char * 70_000

    clipped = clip_bytes(text, TEXT_BYTES)

    encoded = clipped.encode("utf-8")
    assert len(encoded) <= TEXT_BYTES
    assert len(encoded) > TEXT_BYTES - 4 - len("…".encode())  # no more than one character is lost
    assert clipped.endswith("…")
    assert set(clipped[:-1]) == {char}  # every character whole


def test_text_within_the_limit_is_kept_as_is() -> None:
    text = "😀" * (TEXT_BYTES // 4)
    assert clip_bytes(text, TEXT_BYTES) == text


def test_long_multibyte_message_details_and_title_fit_githubs_limits() -> None:
    failure = FailedExecution(
        name="Größe " * 100, file="tests/a.spec.ts", line=12, message="ü" * 40_000, details="😀" * 20_000
    )

    (annotation,) = to_annotations([failure])

    assert len(annotation["title"]) == 255
    assert len(annotation["message"].encode("utf-8")) <= 65_535
    assert len(annotation["raw_details"].encode("utf-8")) <= 65_535
    assert annotation["message"].startswith("üüü")
    assert annotation["raw_details"].rstrip("…").strip("😀") == ""
    assert (annotation["start_line"], annotation["end_line"]) == (12, 12)


@pytest.mark.parametrize(
    ("file", "workspace", "expected"),
    [
        ("/github/workspace/e2e/a.spec.ts", None, "e2e/a.spec.ts"),
        ("/home/runner/work/shop/shop/e2e/a.spec.ts", "/home/runner/work/shop/shop", "e2e/a.spec.ts"),
        ("./e2e/a.spec.ts", None, "e2e/a.spec.ts"),
        ("././e2e/a.spec.ts", None, "e2e/a.spec.ts"),
        ("e2e\\win\\a.spec.ts", None, "e2e/win/a.spec.ts"),
        ("e2e/a.spec.ts", "/github/workspace/", "e2e/a.spec.ts"),
    ],
)
def test_paths_are_repository_relative(file: str, workspace: str | None, expected: str) -> None:
    assert repo_path(file, workspace) == expected


def test_levels_order_and_locations() -> None:
    failures = [
        FailedExecution(name="flaky one", flaky=True, file="a.ts"),
        FailedExecution(name="no file"),
        FailedExecution(name="failed one", file="b.ts", line=0, message="  expected 1 to be 2  "),
    ]

    result = to_annotations(failures)

    assert [(a["title"], a["annotation_level"]) for a in result] == [
        ("failed one", "failure"),
        ("flaky one", "warning"),
    ]
    assert result[0]["start_line"] == 1  # no line known (or 0): the file's first line
    assert result[0]["message"] == "expected 1 to be 2"
    assert result[1]["message"] == "Flaky: failed, then passed on retry."
    assert "raw_details" not in result[0]
