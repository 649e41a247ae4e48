"""In a matrix, the default check-run name says which job it is: action.yml passes the job's matrix
(`toJSON(matrix)`, the one way a Docker action can see it) as the `matrix` input."""

from __future__ import annotations

import json

import pytest

from testrun_action.errors import ConfigurationError
from testrun_action.settings import attached_as, load_settings, matrix_label, read_raw_inputs

BASE = {"INPUT_API-KEY": "key", "INPUT_ENVIRONMENT": "staging"}
TO_JSON = '{\n  "browser": "chromium",\n  "shard": 2\n}'  # as the runner's toJSON writes it


def settings(**inputs: str):  # type: ignore[no-untyped-def]
    environ = {**BASE, **{f"INPUT_{name.upper()}": value for name, value in inputs.items()}}
    return load_settings(read_raw_inputs(environ))


def test_each_job_of_a_matrix_gets_its_own_default_check_name() -> None:
    names = {
        settings(matrix=json.dumps({"browser": browser, "shard": shard}, indent=2)).check_name
        for browser in ("chromium", "firefox")
        for shard in (1, 2, 3, 4)
    }

    assert len(names) == 8
    assert settings(matrix=TO_JSON).check_name == "E2E tests (staging, chromium, 2)"


def test_outside_a_matrix_and_outside_actions_the_default_stays() -> None:
    assert settings(matrix="null").check_name is None  # toJSON(matrix) of a job without one
    assert settings().check_name is None
    assert settings(matrix="${{ toJSON(matrix) }}").check_name is None  # the default, unevaluated


def test_a_given_check_name_wins_over_the_matrix() -> None:
    assert settings(matrix=TO_JSON, **{"check-name": "E2E (chromium)"}).check_name == "E2E (chromium)"


def test_odd_matrix_values_make_one_short_line() -> None:
    assert (
        matrix_label('{"os": "ubuntu\\nlatest", "node": {"v": 20}, "empty": ""}') == 'ubuntu latest, {"v":20}'
    )
    label = matrix_label(json.dumps({"a": "x" * 500}))
    assert label is not None
    assert len(label) == 100
    assert label.endswith("…")


@pytest.mark.parametrize("value", ["[1, 2]", "not json", "x" * 9000])
def test_a_matrix_that_is_not_a_json_object_is_refused_naming_the_input(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings(matrix=value)
    assert "matrix" in str(caught.value)


def test_a_run_attached_in_a_matrix_job_is_named_for_its_own_environment_and_the_job() -> None:
    attached = settings(matrix=TO_JSON, **{"run-id": "1004", "environment": ""})
    assert attached.check_name is None  # the environment is known only from the run

    named = attached_as(attached, "1004", "production")

    assert named.check_name == "E2E tests (production, chromium, 2)"
    assert (
        attached_as(settings(**{"run-id": "1004", "environment": ""}), "1004", "production").check_name
        is None
    )
