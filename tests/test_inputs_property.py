"""Every value of every parsed input ends in valid settings or one clear error naming that input.

Property-based: hypothesis generates the values, including control characters, non-BMP text, huge
numbers and YAML/JSON fragments. Nothing else may escape: no traceback ever reaches a user.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from testrun_action.errors import ConfigurationError
from testrun_action.flow import Hooks, run_action
from testrun_action.inputs import INPUTS
from testrun_action.settings import Settings, load_settings, read_raw_inputs

PARSED = [
    "provider", "api-url", "dashboard-url", "project-id", "environment", "build-url", "build-version",
    "test-branch", "tags", "metadata", "environment-variables", "total-shards", "rerun-of",
    "rerun-only-failed", "send-notifications", "run-id", "wait", "timeout-minutes", "poll-interval",
    "fail-on", "cancel-on-abort", "job-summary", "dry-run", "check-run", "max-annotations", "min-tests",
]  # fmt: skip

numbers = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False).map(str),
)
structured = st.one_of(
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())
    ).map(lambda d: "\n".join(f"{k}: {v}" for k, v in d.items())),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8)).map(
        lambda d: "\n".join(f"{k}={v}" for k, v in d.items())
    ),
    st.sampled_from(
        [
            "{",
            "[1, 2]",
            "a: [b, c]",
            "- x",
            "a: {b: 1}",
            '{"a": true}',
            "&x a: *x",
            "!!python/object:os.system x",
        ]
    ),
)
values = st.one_of(
    st.text(),
    numbers,
    structured,
    st.sampled_from(["TRUE", "False", "yes", "1", "-0", "1e309", "0x10", " 5 "]),
)


def refusal(name: str, value: str) -> ConfigurationError | None:
    """The settings' verdict on one input's value: None when accepted."""
    environ = {"INPUT_API-KEY": "key-123456", "INPUT_ENVIRONMENT": "staging", f"INPUT_{name.upper()}": value}
    try:
        load_settings(read_raw_inputs(environ))
    except ConfigurationError as exc:
        return exc
    return None


def check(name: str, value: str) -> None:
    error = refusal(name, value)
    if error is not None:
        assert error.input_name == name, error.message
        assert error.message.startswith(f"Input '{name}': ")
        assert "\n" not in error.message
        assert error.exit_code == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(PARSED), value=values)
def test_any_value_of_any_input_is_accepted_or_named_in_one_error(name: str, value: str) -> None:
    check(name, value)


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_metadata_values_are_accepted_or_named(value: str) -> None:
    check("metadata", value)


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_environment_variable_values_are_accepted_or_named_and_never_quoted(value: str) -> None:
    error = refusal("environment-variables", value)
    if error is not None:
        assert error.input_name == "environment-variables"
        for line in value.splitlines():
            secret = line.partition("=")[2].strip() or line.partition(":")[2].strip()
            if len(secret) >= 6:
                assert secret not in error.message


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from([n for n in PARSED if n != "dry-run"]), value=values)  # dry-run keeps it offline
def test_the_whole_step_answers_bad_input_with_exit_2_and_one_error_line(name: str, value: str) -> None:
    stream = io.StringIO()
    environ = {
        "GITHUB_ACTIONS": "true",
        "INPUT_API-KEY": "key-123456",
        "INPUT_ENVIRONMENT": "staging",
        "INPUT_API-URL": "http://127.0.0.1:9",
        "INPUT_DRY-RUN": "true",
        f"INPUT_{name.upper()}": value,
    }
    code = run_action(environ, hooks=Hooks(stream=stream, handle_signals=False))

    log = stream.getvalue()
    assert code in (0, 2)
    assert "Traceback" not in log
    if code == 2:
        assert len([line for line in log.splitlines() if line.startswith("::error")]) == 1
        assert f"Input '{name}'" in log


# -- valid values: every input, each checked against what the settings make of it -----------------------
BASES = {
    "empirical": {"INPUT_API-KEY": "key-123456", "INPUT_ENVIRONMENT": "staging"},
    "buildkite": {
        "INPUT_PROVIDER": "buildkite",
        "INPUT_API-KEY": "bkua_123456",
        "INPUT_ORGANIZATION": "acme",
        "INPUT_PIPELINE": "e2e",
        "INPUT_SUITE": "e2e",
    },
    "auth": {"INPUT_ENVIRONMENT": "staging"},  # the key given under its older name alone
    "testsigma": {"INPUT_PROVIDER": "testsigma", "INPUT_API-KEY": "ts-123456", "INPUT_TEST-PLAN-ID": "3058"},
    "tms": {
        "INPUT_API-KEY": "key-123456",
        "INPUT_ENVIRONMENT": "staging",
        "INPUT_TESTSIGMA-TMS-PROJECT": "PRJ-1",
        "INPUT_TESTSIGMA-TMS-API-KEY": "tms-123456",
    },
}
key_text = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=80)
line = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=60,
).filter(lambda t: t.strip() == t and t)
slug = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)
ident = st.from_regex(r"[A-Za-z0-9_-]{1,30}", fullmatch=True)
host = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
url = st.builds(
    lambda scheme, h, path, slash: f"{scheme}://{h}{path}{slash}",
    st.sampled_from(["https", "http"]),
    host,
    st.from_regex(r"(/[A-Za-z0-9._~-]{1,8}){0,3}", fullmatch=True),
    st.sampled_from(["", "/"]),
)
boolean = st.sampled_from(["true", "false", "TRUE", "False", " true "])
tag_list = st.lists(
    st.from_regex(r"[A-Za-z0-9@_-]{1,12}", fullmatch=True), min_size=1, max_size=5, unique=True
)


def decimal(low: str, high: str) -> st.SearchStrategy[str]:
    return st.decimals(min_value=low, max_value=high, places=2).map(str)


def same(value: str) -> object:
    return value.strip()


def as_bool(value: str) -> object:
    return value.strip().lower() == "true"


def secret(get: Callable[[Settings], SecretStr | None]) -> Callable[[Settings], object]:
    return lambda s: (lambda v: v.get_secret_value() if v is not None else None)(get(s))


# input -> (base, strategy of valid raw values, what the settings hold, what they should hold)
VALID: dict[
    str, tuple[str, st.SearchStrategy[str], Callable[[Settings], object], Callable[[str], object]]
] = {
    "provider": (
        "empirical",
        st.sampled_from(["empirical", "Empirical", " EMPIRICAL "]),
        lambda s: s.provider,
        lambda v: "empirical",
    ),
    "api-key": ("empirical", key_text, secret(lambda s: s.api_key), same),
    "auth-key": ("auth", key_text, secret(lambda s: s.api_key), same),
    "api-url": ("empirical", url, lambda s: s.api_url, lambda v: v.rstrip("/")),
    "dashboard-url": ("empirical", url, lambda s: s.dashboard_url, lambda v: v.rstrip("/")),
    "reports-url": ("empirical", url, lambda s: s.reports_url, lambda v: v.rstrip("/")),
    "project-id": ("empirical", st.integers(1, 2**53), lambda s: s.project_id, int),
    "environment": ("empirical", line, lambda s: s.environment, same),
    "organization": ("buildkite", slug, lambda s: s.organization, same),
    "pipeline": ("buildkite", slug, lambda s: s.pipeline, same),
    "suite": ("buildkite", slug, lambda s: s.suite, same),
    "build-number": ("buildkite", st.integers(1, 2**53), lambda s: s.run_id, lambda v: str(int(v))),
    "test-plan-id": ("testsigma", st.integers(1, 2**53), lambda s: s.test_plan_id, int),
    "testsigma-environment-id": (
        "testsigma",
        st.integers(1, 2**53),
        lambda s: s.testsigma_environment_id,
        int,
    ),
    "build-url": ("empirical", url, lambda s: s.build_url, lambda v: v.rstrip("/")),
    "build-version": ("empirical", line, lambda s: s.build_version, same),
    "test-branch": ("empirical", line, lambda s: s.test_branch, same),
    "tags": ("empirical", tag_list.map(", ".join), lambda s: s.tags, lambda v: tuple(v.split(", "))),
    "metadata": (
        "empirical",
        st.dictionaries(
            st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9 ]{0,8}[A-Za-z0-9]", fullmatch=True),
            min_size=1,
            max_size=4,
        ).map(json.dumps),
        lambda s: s.metadata,
        json.loads,
    ),
    "environment-variables": (
        "empirical",
        st.dictionaries(
            st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9:=/]{0,10}", fullmatch=True),
            min_size=1,
            max_size=4,
        ).map(lambda d: "\n".join(f"{k}={v}" for k, v in d.items())),
        lambda s: {k: v.get_secret_value() for k, v in s.environment_variables},
        lambda v: dict(line.split("=", 1) for line in v.splitlines()),
    ),
    "total-shards": ("empirical", st.integers(1, 1000), lambda s: s.total_shards, int),
    "rerun-of": ("empirical", st.integers(1, 2**53), lambda s: s.rerun_of, int),
    "rerun-only-failed": ("empirical", boolean, lambda s: s.rerun_only_failed, as_bool),
    "send-notifications": ("empirical", boolean, lambda s: s.send_notifications, as_bool),
    "run-id": ("empirical", st.integers(1, 2**53), lambda s: s.run_id, str),
    "wait": ("empirical", boolean, lambda s: s.wait, as_bool),
    "timeout-minutes": (
        "empirical",
        decimal("0.01", "7200"),
        lambda s: s.timeout_seconds,
        lambda v: float(v) * 60,
    ),
    "poll-interval": ("empirical", decimal("0.2", "600"), lambda s: s.poll_interval, float),
    "fail-on": (
        "empirical",
        st.sampled_from(["failures", "flaky", "never", "new-failures"]),
        lambda s: s.fail_on.value,
        same,
    ),
    "min-tests": ("empirical", st.integers(0, 1_000_000), lambda s: s.min_tests, int),
    "compare-with": (
        "empirical",
        st.from_regex(r"[a-z][a-z0-9/_-]{0,20}", fullmatch=True).filter(lambda b: b != "none"),
        lambda s: s.compare_with,
        same,
    ),
    "cancel-on-abort": ("empirical", boolean, lambda s: s.cancel_on_abort, as_bool),
    "github-token": ("empirical", key_text, secret(lambda s: s.github_token), same),
    "job-summary": ("empirical", boolean, lambda s: s.job_summary, as_bool),
    "check-run": ("empirical", boolean, lambda s: s.check_run, as_bool),
    "check-name": ("empirical", line, lambda s: s.check_name, same),
    "matrix": (
        "empirical",
        st.dictionaries(ident, slug, min_size=1, max_size=4).map(lambda m: json.dumps(m, indent=2)),
        lambda s: s.check_name,
        lambda v: f"E2E tests (staging, {', '.join(json.loads(v).values())})",
    ),
    "max-annotations": ("empirical", st.integers(0, 1000), lambda s: s.max_annotations, int),
    "junit-file": ("empirical", line, lambda s: s.junit_file, same),
    "pr-comment": ("empirical", boolean, lambda s: s.pr_comment, as_bool),
    "testsigma-tms-project": ("tms", ident, lambda s: s.tms and s.tms.project, same),
    "testsigma-tms-api-key": ("tms", key_text, secret(lambda s: s.tms and s.tms.api_key), same),
    "testsigma-tms-test-cases": (
        "tms",
        tag_list.map("\n".join),
        lambda s: s.tms and s.tms.test_cases,
        lambda v: tuple(v.splitlines()),
    ),
    "testsigma-tms-labels": (
        "tms",
        tag_list.map(",".join),
        lambda s: s.tms and s.tms.labels,
        lambda v: tuple(v.split(",")),
    ),
    "testsigma-tms-environments": (
        "tms",
        tag_list.map(",".join),
        lambda s: s.tms and s.tms.environments,
        lambda v: tuple(v.split(",")),
    ),
    "testsigma-tms-assignee": ("tms", ident, lambda s: s.tms and s.tms.assignee, same),
    "testsigma-tms-url": ("tms", url, lambda s: s.tms and s.tms.url, lambda v: v.rstrip("/")),
    "dry-run": ("empirical", boolean, lambda s: s.dry_run, as_bool),
}


def test_every_input_has_valid_values_checked() -> None:
    assert sorted(VALID) == sorted(spec.name for spec in INPUTS)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(VALID)))
def test_a_valid_value_of_any_input_is_parsed_to_what_it_says(data: st.DataObject, name: str) -> None:
    base, values, read, expected = VALID[name]
    raw = data.draw(values.map(str), label=name)
    environ = {**BASES[base], f"INPUT_{name.upper()}": raw}
    parsed = load_settings(read_raw_inputs(environ))

    assert read(parsed) == expected(raw)
