"""Buildkite Test Engine results into the neutral model: failed executions and per-test counts. Pure.

Shapes per seed 004 and providers.md 3.2-3.3, read defensively: a missing field degrades one entry,
never the list.

- A failed execution's `location` is "file:line" (the uploader's convention, providers.md 3.3): split on
  the LAST colon, so Windows drive letters and odd paths survive; `./` is stripped for annotations.
- Executions are reported once per test (a retried test fails more than once); the first is kept.
- Counts come from the build's tests (`executions_count_by_result` per test): a test with both failed
  and passed executions is flaky (it passed on retry). The failed count is never lower than the
  number of distinct tests in the failed-executions list, so nothing listed goes uncounted.
- Retries: the same counts say how often each test ran in the build (a test that failed three times
  and never passed "failed after 3 attempts"); without them, the failed executions listed for a test
  say how often it failed. These are the only retries Buildkite documents (providers.md 3.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ...model import Counts, FailedExecution, TestResult
from ..readers import duration_seconds
from ..readers import text as _text
from ..wire import whole_number

DETAILS_LIMIT = 20_000  # characters of expanded failure and backtrace kept per execution
# Runners' retry settings (RSpec's `retry`, Playwright's `retries`, Test Engine's `--retry-count`) are a
# handful in practice; a test said to have run more often than this in one build is not believed, and its
# attempts are not shown (its outcome still counts).
MAX_ATTEMPTS = 100


def split_location(location: Any) -> tuple[str | None, int | None]:
    """`./spec/models/user.rb:23` -> (`spec/models/user.rb`, 23); no line -> (file, None)."""
    if not isinstance(location, str) or not location.strip():
        return None, None
    text = location.strip()
    head, colon, tail = text.rpartition(":")
    file, line = (head, int(tail)) if colon and tail.isascii() and tail.isdigit() and head else (text, None)
    while file.startswith("./"):
        file = file[2:]
    return (file or None), (line if line else None)


def _url(*candidates: Any) -> str | None:
    """The first candidate that is a usable http(s) URL (the docs' examples carry `https:://`)."""
    for candidate in candidates:
        if isinstance(candidate, str):
            parts = urlsplit(candidate.strip())
            if parts.scheme in ("http", "https") and parts.hostname:
                return candidate.strip()
    return None


def _details(expanded: Any) -> str:
    """`failure_expanded: [{expanded: [...], backtrace: [...]}]` as text: each block's lines, then its
    backtrace; blocks separated by a blank line."""
    if not isinstance(expanded, list):
        return ""
    blocks = []
    for entry in expanded:
        if not isinstance(entry, dict):
            continue
        lines = [
            str(line)
            for key in ("expanded", "backtrace")
            for line in entry.get(key) or []
            if line is not None
        ]
        if lines:
            blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    return text if len(text) <= DETAILS_LIMIT else text[: DETAILS_LIMIT - 1] + "…"


def execution_key(item: dict[str, Any]) -> str:
    test_id = item.get("test_id")
    if isinstance(test_id, str) and test_id:
        return test_id
    return f"{_text(item.get('test_name'))}@{_text(item.get('location'))}"


def failed_executions(
    items: Iterable[dict[str, Any]],
    flaky_tests: frozenset[str],
    attempts: Mapping[str, tuple[int, int]] | None = None,
) -> list[FailedExecution]:
    """One `FailedExecution` per test, in the service's order, with its attempts: `attempts` (from the
    build's tests: runs and failed runs per test), else how many failed executions the list holds."""
    items = list(items)
    listed: dict[str, int] = {}
    for item in items:
        listed[execution_key(item)] = listed.get(execution_key(item), 0) + 1
    seen: set[str] = set()
    executions = []
    for item in items:
        key = execution_key(item)
        if key in seen:
            continue
        seen.add(key)
        ran, failed = (attempts or {}).get(key, (None, None))
        if failed is None and 1 < listed[key] <= MAX_ATTEMPTS:
            failed = listed[key]  # retried, as far as the failed executions tell
        file, line = split_location(item.get("location"))
        scope = _text(item.get("scope"))
        executions.append(
            FailedExecution(
                name=_text(item.get("test_name")) or _text(item.get("name")) or "unnamed test",
                flaky=key in flaky_tests,
                file=file,
                line=line,
                message=_text(item.get("failure_reason")),
                details=_details(item.get("failure_expanded")),
                url=_url(item.get("test_execution_url"), item.get("test_url"), item.get("run_url")),
                group=scope or None,
                key=key,
                duration_seconds=seconds(item.get("duration")),
                attempts=ran,
                failed_attempts=failed,
            )
        )
    return executions


def seconds(value: Any) -> float | None:
    """A failed execution's `duration`, in seconds (providers.md 3.3); None when not a believable test
    time (`readers.duration_seconds`): read defensively, the verdict does not depend on it."""
    return duration_seconds(value)


@dataclass(frozen=True, slots=True)
class TestTally:
    """What the build's tests say, for one suite."""

    __test__ = False

    total: int
    passed: int
    failed: int
    skipped: int
    flaky: frozenset[str]  # test ids
    # Test id -> (executions, failed executions), for the tests that ran more than once (retried).
    attempts: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    tests: tuple[TestResult, ...] = ()  # every test of the suite, for the JUnit file


def _count(by_result: dict[str, Any], key: str) -> int:
    """A count of executions: absent is 0 (the service leaves out results that did not happen); a value
    that is not a whole number raises ValueError, and the tally is not used."""
    value = by_result.get(key)
    return 0 if value is None else whole_number(value)


def tally(tests: Iterable[dict[str, Any]], suite: str) -> TestTally:
    """Classify each test of the build that belongs to `suite` (the endpoint lists every suite's tests;
    a test's URL names its suite). ValueError when a test's counts are not whole numbers."""
    marker = f"/suites/{suite}/"
    total = passed = failed = skipped = 0
    flaky: set[str] = set()
    attempts: dict[str, tuple[int, int]] = {}
    listed: list[TestResult] = []
    for test in tests:
        urls = [u for u in (test.get("url"), test.get("web_url")) if isinstance(u, str)]
        if urls and not any(marker in u for u in urls):
            continue
        by_result = test.get("executions_count_by_result")
        if by_result is not None and not isinstance(by_result, dict):
            raise ValueError("`executions_count_by_result` is not an object")
        by_result = by_result or {}
        passes, failures = _count(by_result, "passed"), _count(by_result, "failed")
        total += 1
        test_id = test.get("id")
        key = (
            test_id
            if isinstance(test_id, str) and test_id
            else f"{_text(test.get('name'))}@{_text(test.get('location'))}"
        )
        if 1 < passes + failures <= MAX_ATTEMPTS and failures:
            attempts[key] = (passes + failures, failures)
        if failures and passes:
            flaky.add(key)
            status = "flaky"
        elif failures:
            failed += 1
            status = "failed"
        elif passes:
            passed += 1
            status = "passed"
        elif _count(by_result, "skipped"):
            skipped += 1
            status = "skipped"
        else:
            status = "unknown"  # pending, or no result the endpoint names
        file, _ = split_location(test.get("location"))
        scope = _text(test.get("scope"))
        listed.append(
            TestResult(
                name=_text(test.get("name")) or "unnamed test",
                status=status,
                file=file or _text(test.get("file_name")) or None,
                group=scope or None,
                key=key,
            )
        )
    return TestTally(total, passed, failed, skipped, frozenset(flaky), attempts, tuple(listed))


def counts(executions: list[FailedExecution], tests: TestTally | None) -> Counts:
    """Counts for the run. Without the build's tests, only failures are known: the total and the passed
    count are missing, and the verdict does not take them as 0."""
    listed_failed = sum(1 for e in executions if not e.flaky)
    if tests is None:
        return Counts(
            failed=listed_failed,
            flaky=sum(1 for e in executions if e.flaky),
            missing=frozenset({"total", "passed"}),
        )
    failed = max(tests.failed, listed_failed)
    flaky = len(tests.flaky)
    total = max(tests.total, tests.passed + failed + flaky + tests.skipped)
    return Counts(total=total, passed=tests.passed, failed=failed, flaky=flaky, skipped=tests.skipped)
