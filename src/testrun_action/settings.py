"""Settings: the inputs, read once into a frozen model that everything downstream receives.

Inputs come from `--flags` (CLI), else `INPUT_<NAME>` exactly as the runner sets them (hyphens kept:
`INPUT_API-KEY`, github-platform.md 1.1), else `INPUT_<NAME>` with `_` for `-` (shells can't export
hyphenated names, so that is how other CI systems set them), else the declared default.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr

from . import parsing
from .errors import ConfigurationError
from .inputs import INPUTS
from .model import FailOn

PROVIDERS = ("empirical", "buildkite", "testsigma")

# Per-provider defaults for the URL inputs (providers.md 1.1, 1.6, 2.1, 3.1). Buildkite's report links
# come from the API's own `web_url`s; its dashboard URL is only a fallback.
DEFAULT_API_URLS = {
    "empirical": "https://api.empirical.run",
    "buildkite": "https://api.buildkite.com",
    "testsigma": "https://app.testsigma.com",
}
DEFAULT_DASHBOARD_URLS = {
    "empirical": "https://dash.empirical.run",
    "buildkite": "https://buildkite.com",
    "testsigma": "https://app.testsigma.com",
}

# Inputs that only some providers read: given to another, they would be silently ignored, so they are
# refused instead, naming the input.
INPUT_PROVIDERS = {
    "project-id": ("empirical",),
    "tags": ("empirical",),
    "total-shards": ("empirical",),
    "rerun-of": ("empirical",),
    "rerun-only-failed": ("empirical",),
    "send-notifications": ("empirical",),
    "build-url": ("empirical", "buildkite"),
    "test-branch": ("empirical", "buildkite"),
    "metadata": ("empirical", "buildkite"),
    "organization": ("buildkite",),
    "pipeline": ("buildkite",),
    "suite": ("buildkite",),
    "build-number": ("buildkite",),
    "test-plan-id": ("testsigma",),
    "testsigma-environment-id": ("testsigma",),
}
# Buildkite build numbers are positive integers per pipeline (providers.md 3.6).
MAX_BUILD_NUMBER = 2**53

# GitHub's own maximum job time is 6 h on hosted runners and 5 days on self-hosted ones.
MAX_TIMEOUT_MINUTES = 7200.0
MAX_POLL_INTERVAL_SECONDS = 600.0
MIN_POLL_INTERVAL_SECONDS = 0.2
# Each 50 annotations is one request against GITHUB_TOKEN's 1,000 an hour (github-platform.md 7).
MAX_ANNOTATIONS = 1000

NO_COMPARISON = "none"  # `compare-with: none`
_EXPRESSION_DEFAULT = "${{"  # a default the runner evaluates; outside Actions it means "unset"


class TmsSettings(BaseModel):
    """Testsigma Test Management: where the run is recorded (providers.md 2.2), for any provider."""

    model_config = ConfigDict(frozen=True)

    project: str
    api_key: SecretStr
    url: str
    test_cases: tuple[str, ...]
    labels: tuple[str, ...]
    environments: tuple[str, ...]
    assignee: str | None


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    provider: str
    api_key: SecretStr
    api_url: str
    dashboard_url: str
    project_id: int | None
    environment: str  # the slug (Empirical), or a label for the reports (Testsigma)
    test_plan_id: int | None
    testsigma_environment_id: int | None
    build_url: str | None
    build_version: str | None
    test_branch: str | None
    tags: tuple[str, ...]
    metadata: dict[str, str | int | float]
    environment_variables: tuple[tuple[str, SecretStr], ...]
    total_shards: int | None
    rerun_of: int | None
    rerun_only_failed: bool | None
    send_notifications: bool | None
    organization: str | None
    pipeline: str | None
    suite: str | None
    run_id: str | None  # Buildkite: a Test Engine run UUID, or a build number (from `build-number` too)
    wait: bool
    timeout_seconds: float
    poll_interval: float | None
    fail_on: FailOn
    min_tests: int  # a pass needs at least this many tests executed
    compare: bool  # compare failures with recent runs of a branch (`compare-with` is not `none`)
    compare_with: str | None  # that branch; None: the repository's default branch
    cancel_on_abort: bool
    github_token: SecretStr | None
    job_summary: bool
    check_run: bool
    check_name: str | None
    max_annotations: int
    junit_file: str | None
    pr_comment: bool
    dry_run: bool
    tms: TmsSettings | None

    @property
    def target(self) -> str:
        """What a trigger runs, in words for the log."""
        if self.provider == "testsigma":
            where = (
                f" on environment {self.testsigma_environment_id}" if self.testsigma_environment_id else ""
            )
            return f"test plan {self.test_plan_id}{where}"
        if self.provider == "buildkite":
            return f"pipeline '{self.pipeline}' of {self.organization}"
        return f"environment '{self.environment}'"

    def secrets(self) -> list[str]:
        """Every value that must never be printed."""
        values = [self.api_key.get_secret_value()]
        if self.github_token is not None:
            values.append(self.github_token.get_secret_value())
        if self.tms is not None:
            values.append(self.tms.api_key.get_secret_value())
        values.extend(v.get_secret_value() for _, v in self.environment_variables)
        return [v for v in values if v]


def read_raw_inputs(environ: Mapping[str, str], flags: Mapping[str, str] | None = None) -> dict[str, str]:
    """The raw text of every declared input, defaults applied; nothing is validated here."""
    flags = flags or {}
    raw: dict[str, str] = {}
    for spec in INPUTS:
        value = flags.get(spec.name)
        if value is None:
            upper = spec.name.upper()
            value = environ.get(f"INPUT_{upper}") or environ.get(f"INPUT_{upper.replace('-', '_')}", "")
        text = value.strip() or spec.default
        if text.startswith(_EXPRESSION_DEFAULT):
            text = ""
        raw[spec.name] = text
    if not raw["github-token"]:
        raw["github-token"] = environ.get("GITHUB_TOKEN", "")
    return raw


def secret_inputs(raw: Mapping[str, str]) -> list[str]:
    """Secret values as typed, before any parsing, so they can be masked before anything is printed."""
    values = [raw.get(spec.name, "").strip() for spec in INPUTS if spec.secret]
    try:
        values.extend(
            v for _, v in parsing.environment_variables("environment-variables", raw["environment-variables"])
        )
    except ConfigurationError:
        # Unparseable: mask every non-blank line's remainder after its name, as typed.
        for line in raw.get("environment-variables", "").splitlines():
            _, _, rest = line.partition("=") if "=" in line else line.partition(":")
            values.append(rest.strip())
    return [v for v in values if v]


def load_settings(raw: Mapping[str, str]) -> Settings:
    """Parse and check every input; the first bad one raises a `ConfigurationError` naming it."""
    provider = parsing.choice("provider", raw["provider"], PROVIDERS, "empirical")
    api_key = raw["api-key"].strip() or raw["auth-key"].strip()
    if not api_key:
        raise ConfigurationError("api-key", "is required: pass the service's API key from a secret.")
    for name, readers in INPUT_PROVIDERS.items():
        if provider not in readers and raw[name].strip():
            used = " or ".join(f"`provider: {reader}`" for reader in readers)
            raise ConfigurationError(name, f"is only used with {used}; remove it for `provider: {provider}`.")
    environment = parsing.text("environment", raw["environment"], max_length=200)
    run_id = parsing.text("run-id", raw["run-id"], max_length=200)
    if run_id is not None and provider in ("empirical", "testsigma"):
        # Both services number their runs (providers.md 1.2, 2.1).
        parsing.integer("run-id", run_id, minimum=1, maximum=2**53)
    test_plan_id = parsing.integer("test-plan-id", raw["test-plan-id"], minimum=1, maximum=2**53)
    if provider == "testsigma":
        if test_plan_id is None and run_id is None:
            raise ConfigurationError(
                "test-plan-id",
                "is required with `provider: testsigma`: the id of the test plan to run (on the plan's "
                "CI/CD Integration tab), or set `run-id` to follow a run that already exists.",
            )
        environment = environment or (f"test plan {test_plan_id}" if test_plan_id else f"run {run_id}")
    organization = pipeline = suite = None
    if provider == "buildkite":
        organization, pipeline, suite, run_id = _buildkite_target(raw, run_id)
        # A label for the report: Buildkite has no environments; the pipeline (or suite) names what ran.
        environment = environment or pipeline or suite
    if environment is None:
        raise ConfigurationError("environment", "is required: the slug of the environment to test.")
    timeout_minutes = parsing.number(
        "timeout-minutes", raw["timeout-minutes"], minimum=0.01, maximum=MAX_TIMEOUT_MINUTES
    )
    env_vars = parsing.environment_variables("environment-variables", raw["environment-variables"])
    fail_on = FailOn(parsing.choice("fail-on", raw["fail-on"], [f.value for f in FailOn], "failures"))
    compare_with = parsing.text("compare-with", raw["compare-with"], max_length=255)
    if compare_with is not None and compare_with.lower() == NO_COMPARISON:
        compare_with = NO_COMPARISON
    if fail_on is FailOn.NEW_FAILURES and compare_with == NO_COMPARISON:
        raise ConfigurationError(
            "fail-on",
            "`new-failures` needs a branch to compare with; remove `compare-with: none`, or choose another "
            "`fail-on`.",
        )
    token = raw["github-token"].strip()
    return Settings(
        provider=provider,
        api_key=SecretStr(api_key),
        api_url=parsing.url("api-url", raw["api-url"]) or DEFAULT_API_URLS[provider],
        dashboard_url=parsing.url("dashboard-url", raw["dashboard-url"]) or DEFAULT_DASHBOARD_URLS[provider],
        project_id=parsing.integer("project-id", raw["project-id"], minimum=1, maximum=2**53),
        environment=environment,
        test_plan_id=test_plan_id,
        testsigma_environment_id=parsing.integer(
            "testsigma-environment-id", raw["testsigma-environment-id"], minimum=1, maximum=2**53
        ),
        build_url=parsing.url("build-url", raw["build-url"]),
        build_version=parsing.text("build-version", raw["build-version"], max_length=200),
        test_branch=parsing.text("test-branch", raw["test-branch"], max_length=255),
        tags=parsing.tags("tags", raw["tags"]),
        metadata=parsing.metadata("metadata", raw["metadata"]),
        environment_variables=tuple((name, SecretStr(value)) for name, value in env_vars),
        total_shards=parsing.integer("total-shards", raw["total-shards"], minimum=1, maximum=1000),
        rerun_of=parsing.integer("rerun-of", raw["rerun-of"], minimum=1, maximum=2**53),
        rerun_only_failed=parsing.optional_boolean("rerun-only-failed", raw["rerun-only-failed"]),
        send_notifications=parsing.optional_boolean("send-notifications", raw["send-notifications"]),
        organization=organization,
        pipeline=pipeline,
        suite=suite,
        run_id=run_id,
        wait=parsing.boolean("wait", raw["wait"], default=True),
        timeout_seconds=(timeout_minutes if timeout_minutes is not None else 60.0) * 60.0,
        poll_interval=parsing.number(
            "poll-interval",
            raw["poll-interval"],
            minimum=MIN_POLL_INTERVAL_SECONDS,
            maximum=MAX_POLL_INTERVAL_SECONDS,
        ),
        fail_on=fail_on,
        min_tests=_min_tests(raw["min-tests"]),
        compare=compare_with != NO_COMPARISON,
        compare_with=None if compare_with == NO_COMPARISON else compare_with,
        cancel_on_abort=parsing.boolean("cancel-on-abort", raw["cancel-on-abort"], default=True),
        github_token=SecretStr(token) if token else None,
        job_summary=parsing.boolean("job-summary", raw["job-summary"], default=True),
        check_run=parsing.boolean("check-run", raw["check-run"], default=True),
        check_name=parsing.text("check-name", raw["check-name"], max_length=200),
        max_annotations=_max_annotations(raw["max-annotations"]),
        junit_file=parsing.text("junit-file", raw["junit-file"], max_length=1000),
        pr_comment=parsing.boolean("pr-comment", raw["pr-comment"], default=False),
        dry_run=parsing.boolean("dry-run", raw["dry-run"], default=False),
        tms=load_tms(raw),
    )


def load_tms(raw: Mapping[str, str]) -> TmsSettings | None:
    """The Test Management record's inputs: none at all, or a project with its key."""
    project = parsing.identifier("testsigma-tms-project", raw["testsigma-tms-project"])
    key = raw["testsigma-tms-api-key"].strip()
    if project is None:
        extra = [
            name
            for name in ("testsigma-tms-api-key", "testsigma-tms-test-cases", "testsigma-tms-labels",
                         "testsigma-tms-environments", "testsigma-tms-assignee")
            if raw[name].strip()
        ]  # fmt: skip
        if extra:
            raise ConfigurationError(
                "testsigma-tms-project", f"is required with `{extra[0]}`: the Test Management project id."
            )
        return None
    if not key:
        raise ConfigurationError(
            "testsigma-tms-api-key",
            "is required with `testsigma-tms-project`: a Test Management API key, from a secret.",
        )
    return TmsSettings(
        project=project,
        api_key=SecretStr(key),
        url=parsing.url("testsigma-tms-url", raw["testsigma-tms-url"])
        or "https://test-management.testsigma.com/api/v1",
        test_cases=parsing.items("testsigma-tms-test-cases", raw["testsigma-tms-test-cases"], "test case id"),
        labels=parsing.items("testsigma-tms-labels", raw["testsigma-tms-labels"], "label"),
        environments=parsing.items(
            "testsigma-tms-environments", raw["testsigma-tms-environments"], "environment id"
        ),
        assignee=parsing.identifier("testsigma-tms-assignee", raw["testsigma-tms-assignee"]),
    )


# A bound that no real suite reaches, so that a typo (an extra digit) is caught, not waited on.
MAX_MIN_TESTS = 1_000_000


def _min_tests(raw: str) -> int:
    value = parsing.integer("min-tests", raw, minimum=0, maximum=MAX_MIN_TESTS)
    return 1 if value is None else value


def _max_annotations(raw: str) -> int:
    value = parsing.integer("max-annotations", raw, minimum=0, maximum=MAX_ANNOTATIONS)
    return 50 if value is None else value


def _buildkite_target(raw: Mapping[str, str], run_id: str | None) -> tuple[str, str | None, str, str | None]:
    """organization, pipeline, suite and what to attach to: a Test Engine run UUID or a build number.

    A run UUID needs no pipeline (Test Engine runs live in the suite); triggering or following a build
    does. `build-number` is the same as a numeric `run-id`, so the ids the action outputs can be fed back.
    """
    organization = parsing.slug("organization", raw["organization"])
    pipeline = parsing.slug("pipeline", raw["pipeline"])
    suite = parsing.slug("suite", raw["suite"])
    build_number = parsing.integer("build-number", raw["build-number"], minimum=1, maximum=MAX_BUILD_NUMBER)
    if organization is None:
        raise ConfigurationError(
            "organization",
            "is required with `provider: buildkite`: the organization slug (buildkite.com/<slug>).",
        )
    if suite is None:
        raise ConfigurationError(
            "suite",
            "is required with `provider: buildkite`: the slug of the Test Engine suite the tests report to.",
        )
    if run_id is not None and parsing.is_uuid(run_id):
        run_id = run_id.lower()
    elif run_id is not None:
        number = (
            parsing.integer("run-id", run_id, minimum=1, maximum=MAX_BUILD_NUMBER)
            if run_id.isdigit()
            else None
        )
        if number is None:
            raise ConfigurationError(
                "run-id",
                "expected a Test Engine run UUID (e.g. 64374307-12ab-4b13-a3f3-6a408f644ea2) or a build number.",
            )
        run_id = str(number)
    if build_number is not None:
        if run_id is not None and run_id != str(build_number):
            raise ConfigurationError("build-number", "give either `build-number` or `run-id`, not both.")
        run_id = str(build_number)
    if pipeline is None and (run_id is None or run_id.isdigit()):
        raise ConfigurationError(
            "pipeline",
            "is required with `provider: buildkite` to trigger or follow a build: the pipeline slug "
            "(buildkite.com/<organization>/<pipeline>). Only `run-id` with a Test Engine run UUID works without it.",
        )
    return organization, pipeline, suite, run_id
