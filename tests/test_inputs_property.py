"""Every value of every parsed input ends in valid settings or one clear error naming that input.

Property-based: hypothesis generates the values, including control characters, non-BMP text, huge
numbers and YAML/JSON fragments. Nothing else may escape: no traceback ever reaches a user.
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testrun_action.errors import ConfigurationError
from testrun_action.flow import Hooks, run_action
from testrun_action.settings import load_settings, read_raw_inputs

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
