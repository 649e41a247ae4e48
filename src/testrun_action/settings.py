"""Settings: the inputs, read once into a frozen model that everything downstream receives.

Inputs come from `--flags` (CLI), else `INPUT_<NAME>` exactly as the runner sets them (hyphens kept:
`INPUT_API-KEY`, github-platform.md 1.1), else `INPUT_<NAME>` with `_` for `-` (shells can't export
hyphenated names, so that is how other CI systems set them), else the declared default.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr

from . import parsing
from .errors import ConfigurationError
from .input_names import check_aliases
from .inputs import all_inputs
from .model import FailOn

if TYPE_CHECKING:
    from .providers.registry import ProviderSpec

# GitHub's own maximum job time is 6 h on hosted runners and 5 days on self-hosted ones.
MAX_TIMEOUT_MINUTES = 7200.0
MAX_POLL_INTERVAL_SECONDS = 600.0
MIN_POLL_INTERVAL_SECONDS = 0.2
# Each 50 annotations is one request against GITHUB_TOKEN's 1,000 an hour (github-platform.md 7).
MAX_ANNOTATIONS = 1000

NO_COMPARISON = "none"  # `compare-with: none`
_EXPRESSION_DEFAULT = "${{"  # a default the runner evaluates; outside Actions it means "unset"
# The `matrix` input: GitHub gives a Docker action no matrix context in its environment, but an input's
# default may read it (github-platform.md 1.1: `github, strategy, matrix, job, runner`), so action.yml
# passes `toJSON(matrix)`. A matrix is a few short values; more than this is not one.
MATRIX_CHARS = 8192
MATRIX_LABEL_CHARS = 100  # the values shown in the default check-run name, at most


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
    """The settings every provider reads. Each provider's settings model (`ProviderSpec.settings`)
    extends it with its own fields: the settings are one of those, chosen by `provider`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    provider: str
    api_key: SecretStr
    api_url: str
    dashboard_url: str
    environment: str  # what the tests run against, or a label for the reports
    build_version: str | None
    environment_variables: tuple[tuple[str, SecretStr], ...]
    run_id: str | None  # as the provider reads it (`ProviderSpec.read_settings`)
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
    given_check_name: str | None  # the `check-name` input
    matrix_label: str | None  # the job's matrix values (`chromium, 2`); None outside a matrix
    max_annotations: int
    junit_file: str | None
    pr_comment: bool
    dry_run: bool
    tms: TmsSettings | None

    @property
    def provider_name(self) -> str:
        """The provider as users read its name: its spec's `display_name`."""
        from .providers.registry import spec_named

        return spec_named(self.provider).display_name

    @property
    def check_name(self) -> str | None:
        """The check run's name where it is not the plain default: the input's, else in a matrix the
        job's own (`E2E tests (staging, chromium, 2)`), once the environment is known (an attached run
        knows it only from the run)."""
        if self.given_check_name or not (self.matrix_label and self.environment):
            return self.given_check_name
        return f"E2E tests ({self.environment}, {self.matrix_label})"

    @property
    def target(self) -> str:
        """What a trigger runs, in words for the log; a provider's settings may say it better."""
        return f"environment '{self.environment}'"

    def secrets(self) -> list[str]:
        """Every value that must never be printed: each secret field (a provider's too), the variables'
        values, and the credentials in any URL field (named `*_url`, as URL inputs are `*-url`)."""
        values = [value.get_secret_value() for _, value in self if isinstance(value, SecretStr)]
        if self.tms is not None:
            values.append(self.tms.api_key.get_secret_value())
        values.extend(v.get_secret_value() for _, v in self.environment_variables)
        urls = [value for name, value in self if name.endswith("_url") and isinstance(value, str)]
        for url in (*urls, self.tms.url if self.tms else None):
            values.extend(url_credentials(url))
        return [v for v in values if v]


def url_inputs() -> list[str]:
    """Inputs whose URL may carry credentials (`https://user:password@host`): every `*-url` input."""
    return [spec.name for spec in all_inputs() if spec.name.endswith("-url")]


# Keys go into HTTP headers, which carry ASCII only (RFC 9110 5.5: other octets are opaque, and httpx
# refuses them); printable, without spaces, since a key is never shorter for a stray blank inside.
_KEY_INPUTS = ("api-key", "auth-key", "testsigma-tms-api-key", "github-token")


def url_credentials(url: str | None) -> list[str]:
    """The user name and password in a URL, and both as written, so none of them is ever printed."""
    if not url or "@" not in url:
        return []
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    found = [parts.username or "", parts.password or ""]
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    return [v for v in (userinfo, *found) if v]


def insecure_urls(settings: Settings) -> Iterator[tuple[str, str]]:
    """(input, host) for each service URL that sends a key over plain http to a host other than this one."""
    urls = [("api-url", settings.api_url)]
    if settings.tms is not None:
        urls.append(("testsigma-tms-url", settings.tms.url))
    for name, url in urls:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "http" and not _loopback(host):
            yield name, host


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_keys(raw: Mapping[str, str]) -> None:
    for name in _KEY_INPUTS:
        value = raw.get(name, "").strip()
        if value and not all(33 <= ord(c) <= 126 for c in value):
            raise ConfigurationError(
                name,
                "must be printable ASCII without spaces (it is sent in an HTTP header); check that the "
                "secret holds the key alone, as the service shows it.",
            )


def matrix_label(value: str) -> str | None:
    """The job's matrix values, in order, comma-separated (`chromium, 2`); None outside a matrix."""
    text = value.strip()
    if not text:
        return None
    if len(text) > MATRIX_CHARS:
        raise ConfigurationError(
            "matrix", f"is longer than {MATRIX_CHARS} characters; leave it to its default."
        )
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = ()
    if parsed is None:
        return None  # `toJSON(matrix)` of a job with no matrix
    if not isinstance(parsed, dict):
        raise ConfigurationError(
            "matrix",
            "expected the job's matrix as a JSON object, as its default `${{ toJSON(matrix) }}` gives.",
        )
    values = [v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for v in parsed.values()]
    label = " ".join(", ".join(v for v in values if v.strip()).split())  # one line
    if len(label) > MATRIX_LABEL_CHARS:
        label = label[: MATRIX_LABEL_CHARS - 1] + "…"
    return label or None


def read_raw_inputs(environ: Mapping[str, str], flags: Mapping[str, str] | None = None) -> dict[str, str]:
    """The raw text of every declared input, defaults applied; nothing is validated here."""
    flags = flags or {}
    raw: dict[str, str] = {}
    for spec in all_inputs():
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
    values = [raw.get(spec.name, "").strip() for spec in all_inputs() if spec.secret]
    for name in url_inputs():
        values.extend(url_credentials(raw.get(name, "")))
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
    """Parse and check every input; the first bad one raises a `ConfigurationError` naming it. The
    result is the chosen provider's settings model, holding the common settings and its own."""
    from .providers.registry import DEFAULT_PROVIDER, check_chosen, specs

    check_chosen(raw["provider"].strip().lower())
    found = {spec.name: spec for spec in specs()}
    spec = found[parsing.choice("provider", raw["provider"], list(found), DEFAULT_PROVIDER)]
    check_aliases(raw)
    api_key = raw["api-key"].strip() or raw["auth-key"].strip()
    if not api_key:
        raise ConfigurationError("api-key", "is required: pass the service's API key from a secret.")
    _check_keys(raw)
    _refuse_others_inputs(raw, spec, found.values())
    common = _common(raw, spec, api_key)
    fields = {**common, **spec.read_settings(raw, common)}
    if fields["environment"] is None:
        raise ConfigurationError("environment", "is required: the environment to test.")
    fields["matrix_label"] = matrix_label(raw.get("matrix", ""))  # each job of a matrix its own check run
    return spec.settings(**fields)


def attached_as(settings: Settings, run_id: str, environment: str | None) -> Settings:
    """An attached run is labelled and compared as the `environment` it ran against, where the service
    says: the input may be left out (empty until now), and given, it must be that one."""
    given = settings.environment
    if environment and given and environment != given:
        raise ConfigurationError(
            "environment",
            f"is '{given}', but run {run_id} ran against '{environment}': leave `environment` out to "
            f"follow the run as its own, or attach to a run of '{given}'.",
        )
    if given:
        return settings
    return settings.model_copy(update={"environment": environment or f"run {run_id}"})


def _refuse_others_inputs(raw: Mapping[str, str], spec: ProviderSpec, every: Any) -> None:
    """Inputs only other providers read would be silently ignored: they are refused, naming the input."""
    readers: dict[str, list[str]] = {}
    for other in every:
        for declared in other.inputs:
            readers.setdefault(declared.name, []).append(other.name)
    own = {declared.name for declared in spec.inputs}
    for name, names in readers.items():
        if name not in own and raw.get(name, "").strip():
            used = " or ".join(f"`provider: {reader}`" for reader in names)
            raise ConfigurationError(
                name, f"is only used with {used}; remove it for `provider: {spec.name}`."
            )


def _common(raw: Mapping[str, str], spec: ProviderSpec, api_key: str) -> dict[str, Any]:
    """The settings every provider reads, as fields of `Settings`."""
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
    return {
        "provider": spec.name,
        "api_key": SecretStr(api_key),
        "api_url": parsing.url("api-url", raw["api-url"]) or spec.api_url,
        "dashboard_url": parsing.url("dashboard-url", raw["dashboard-url"]) or spec.dashboard_url,
        "environment": parsing.text("environment", raw["environment"], max_length=200),
        "build_version": parsing.text("build-version", raw["build-version"], max_length=200),
        "environment_variables": tuple((name, SecretStr(value)) for name, value in env_vars),
        "run_id": parsing.text("run-id", raw["run-id"], max_length=200),
        "wait": parsing.boolean("wait", raw["wait"], default=True),
        "timeout_seconds": (timeout_minutes if timeout_minutes is not None else 60.0) * 60.0,
        "poll_interval": parsing.number(
            "poll-interval",
            raw["poll-interval"],
            minimum=MIN_POLL_INTERVAL_SECONDS,
            maximum=MAX_POLL_INTERVAL_SECONDS,
        ),
        "fail_on": fail_on,
        "min_tests": _min_tests(raw["min-tests"]),
        "compare": compare_with != NO_COMPARISON,
        "compare_with": None if compare_with == NO_COMPARISON else compare_with,
        "cancel_on_abort": parsing.boolean("cancel-on-abort", raw["cancel-on-abort"], default=True),
        "github_token": SecretStr(token) if token else None,
        "job_summary": parsing.boolean("job-summary", raw["job-summary"], default=True),
        "check_run": parsing.boolean("check-run", raw["check-run"], default=True),
        "given_check_name": parsing.text("check-name", raw["check-name"], max_length=200),
        "max_annotations": _max_annotations(raw["max-annotations"]),
        "junit_file": parsing.text("junit-file", raw["junit-file"], max_length=1000),
        "pr_comment": parsing.boolean("pr-comment", raw["pr-comment"], default=False),
        "dry_run": parsing.boolean("dry-run", raw["dry-run"], default=False),
        "tms": load_tms(raw),
    }


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
