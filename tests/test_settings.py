"""Inputs are read once: from flags, INPUT_* (hyphens kept, or underscores), or the declared defaults."""

from __future__ import annotations

import pytest

from testrun_action.errors import ConfigurationError
from testrun_action.model import FailOn
from testrun_action.settings import load_settings, read_raw_inputs, secret_inputs


def settings_from(**inputs: str):  # type: ignore[no-untyped-def]
    environ = {"INPUT_API-KEY": "key-123456", "INPUT_ENVIRONMENT": "staging"}
    environ.update({f"INPUT_{name.replace('_', '-').upper()}": value for name, value in inputs.items()})
    return load_settings(read_raw_inputs(environ))


def test_defaults_match_the_declared_inputs() -> None:
    settings = settings_from()

    assert settings.provider == "empirical"
    assert settings.api_url == "https://api.empirical.run"
    assert settings.dashboard_url == "https://dash.empirical.run"
    assert settings.wait is True
    assert settings.timeout_seconds == 3600
    assert settings.poll_interval is None
    assert settings.fail_on is FailOn.FAILURES
    assert settings.cancel_on_abort is True
    assert settings.job_summary is True
    assert settings.dry_run is False


def test_hyphenated_and_underscored_input_variables_both_work_and_flags_win() -> None:
    raw = read_raw_inputs(
        {"INPUT_API-KEY": "from-hyphen", "INPUT_TIMEOUT_MINUTES": "5"}, {"environment": "flag"}
    )

    assert raw["api-key"] == "from-hyphen"
    assert raw["timeout-minutes"] == "5"
    assert raw["environment"] == "flag"


def test_auth_key_is_an_alias_of_api_key() -> None:
    settings = load_settings(read_raw_inputs({"INPUT_AUTH-KEY": "legacy-key-1", "INPUT_ENVIRONMENT": "prod"}))

    assert settings.api_key.get_secret_value() == "legacy-key-1"


def test_the_github_token_default_expression_means_unset_outside_actions() -> None:
    assert read_raw_inputs({})["github-token"] == ""
    assert read_raw_inputs({"GITHUB_TOKEN": "ghs_abc"})["github-token"] == "ghs_abc"


def test_metadata_accepts_key_value_lines_yaml_and_json() -> None:
    assert settings_from(metadata="deployed_by: alice\nticket: JIRA-1\nversion: 1.10").metadata == {
        "deployed_by": "alice",
        "ticket": "JIRA-1",
        "version": "1.10",  # sent as written, not as the float 1.1
    }
    assert settings_from(metadata='{"build": 42, "by": "bob"}').metadata == {"build": 42, "by": "bob"}


def test_environment_variables_accept_colon_and_equals_lines() -> None:
    settings = settings_from(environment_variables="BASE_URL: https://x.example.com\n# note\nTOKEN=a=b:c\n\n")

    assert [(n, v.get_secret_value()) for n, v in settings.environment_variables] == [
        ("BASE_URL", "https://x.example.com"),
        ("TOKEN", "a=b:c"),
    ]


def test_tags_split_on_commas_and_newlines_without_duplicates() -> None:
    assert settings_from(tags="@smoke, @critical\n@smoke\n\n").tags == ("@smoke", "@critical")


def test_booleans_accept_true_and_false_in_any_case() -> None:
    assert settings_from(wait="FALSE", dry_run="True").wait is False
    assert settings_from(dry_run="True").dry_run is True


@pytest.mark.parametrize(
    ("inputs", "named", "accepted"),
    [
        ({"api_key": ""}, "api-key", "is required"),
        ({"environment": ""}, "environment", "is required"),
        ({"wait": "yes"}, "wait", "`true` or `false`"),
        ({"timeout_minutes": "0"}, "timeout-minutes", "a number from"),
        ({"timeout_minutes": "ten"}, "timeout-minutes", "a number from"),
        ({"timeout_minutes": "1e9"}, "timeout-minutes", "a number from"),
        ({"poll_interval": "0"}, "poll-interval", "a number from"),
        ({"total_shards": "0"}, "total-shards", "whole number from 1"),
        ({"rerun_of": "abc"}, "rerun-of", "whole number"),
        ({"project_id": "-3"}, "project-id", "whole number from 1"),
        ({"run_id": "run-7"}, "run-id", "whole number"),
        ({"fail_on": "sometimes"}, "fail-on", "`failures`, `flaky`, `new-failures`, `never`"),
        ({"provider": "jenkins"}, "provider", "`empirical`"),
        ({"api_url": "ftp://x"}, "api-url", "http:// or https://"),
        ({"build_url": "not a url"}, "build-url", "http:// or https://"),
        ({"metadata": "- a\n- b"}, "metadata", "a mapping"),
        ({"metadata": "nested: {a: b}"}, "metadata", "string or a number"),
        ({"metadata": '{"ok": true}'}, "metadata", "string or a number"),
        ({"metadata": "{broken"}, "metadata", "not valid JSON"),
        ({"environment_variables": "1BAD=x"}, "environment-variables", "variable name"),
        ({"environment_variables": "no separator"}, "environment-variables", "line 1"),
    ],
)
def test_bad_input_names_the_input_and_what_is_accepted(
    inputs: dict[str, str], named: str, accepted: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_from(**inputs)

    assert caught.value.input_name == named
    assert f"Input '{named}'" in caught.value.message
    assert accepted in caught.value.message
    assert caught.value.exit_code == 2


def test_environment_variable_errors_never_quote_the_value() -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_from(environment_variables="OK=fine\nbad name=hunter2-secret")

    assert "hunter2-secret" not in caught.value.message
    assert "line 2" in caught.value.message


def test_secrets_are_known_before_parsing_even_when_parsing_fails() -> None:
    raw = read_raw_inputs(
        {
            "INPUT_API-KEY": "key-123456",
            "INPUT_ENVIRONMENT-VARIABLES": "bad name=hunter2-secret",
            "GITHUB_TOKEN": "ghs_tok",
        }
    )

    assert {"key-123456", "hunter2-secret", "ghs_tok"} <= set(secret_inputs(raw))


def test_min_tests_defaults_to_1_accepts_0_and_refuses_anything_but_a_whole_number() -> None:
    assert settings_from().min_tests == 1
    assert settings_from(min_tests="0").min_tests == 0
    assert settings_from(min_tests=" 250 ").min_tests == 250
    for bad in ("-1", "1.5", "many", "1000001"):
        with pytest.raises(
            ConfigurationError, match="Input 'min-tests': expected a whole number from 0 to 1000000"
        ):
            settings_from(min_tests=bad)
