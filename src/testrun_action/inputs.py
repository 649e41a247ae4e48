"""The action's declared inputs and outputs: one list that action.yml and docs/inputs.md are generated from
(`make docs`), that `settings` reads, and that a test keeps in step with both files.

The common inputs are declared here; each provider declares its own in its package (`ProviderSpec`), and
`INPUTS` is both, read from the provider registry."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    description: str
    default: str = ""
    required: bool = False
    secret: bool = False  # masked before anything is printed
    # How docs/inputs.md shows the default when action.yml has none (a per-provider default).
    shown_default: str = ""
    boolean: bool = False  # `true` or `false`: on the command line, `--name` and `--no-name`
    alias_of: str = ""  # another name of that input: both given, they must agree (`settings`)


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    description: str


# The inputs every provider reads, before the providers' own in action.yml. A provider says how it reads
# one of them in its `ProviderSpec.notes`, appended to the description here.
SERVICE_INPUTS: tuple[Input, ...] = (
    Input("api-key", "API key of the test service; store it as a secret.", required=True, secret=True),
    Input("auth-key", "Alias of `api-key`.", secret=True, alias_of="api-key"),
    Input("api-url", "Base URL of the service's API."),
    Input("dashboard-url", "Base URL of the service's dashboard, for report links."),
    Input("environment", "The environment the tests run against, or a label shown in the report."),
)

RUN_INPUTS: tuple[Input, ...] = (
    Input("build-version", "Version string of the build under test."),
    Input(
        "environment-variables",
        "Environment variables for the test run, as `NAME: value` or `NAME=value` lines. Values are masked "
        "in the log.",
    ),
    Input("run-id", "Attach to this existing run instead of triggering a new one."),
    Input(
        "wait",
        "Wait for the run to end and report it (`true`), or only trigger it (`false`).",
        "true",
        boolean=True,
    ),
    Input("timeout-minutes", "How long to wait before cancelling the run and failing as timed out.", "60"),
    Input(
        "poll-interval",
        "Seconds between status checks. Empty: an adaptive schedule, densest when the run is expected to "
        "end (from its progress and recent runs), at least once a second, at most 10 s apart while the run "
        "could end (30 s while it steadily cannot), and never more checks than every 10 s.",
    ),
    Input(
        "fail-on",
        "What fails the step: `failures` (failed tests after snoozing, or a run that errored, was "
        "cancelled or timed out), `flaky` (also flaky tests), `new-failures` (only failed tests that did "
        "not fail in recent runs of `compare-with`; the step fails when that can't be known), `never` "
        "(report only).",
        "failures",
    ),
    Input(
        "min-tests",
        "Fewest tests the run must execute to pass (0 to 1000000). `0` accepts a run that ran no test.",
        "1",
    ),
    Input(
        "compare-with",
        "Branch whose recent runs of the same environment each failure is compared with, to tell new "
        "failures from known ones. `none` turns the comparison and the trend off: no history is read.",
        shown_default="the repository's default branch",
    ),
    Input(
        "cancel-on-abort",
        "Cancel the remote run when the job is cancelled or the wait times out.",
        "true",
        boolean=True,
    ),
    Input(
        "github-token",
        "Token for GitHub API calls (check run, comment).",
        "${{ github.token }}",
        secret=True,
    ),
    Input("job-summary", "Write the job summary.", "true", boolean=True),
    Input(
        "check-run",
        "Report the run as a check run on the commit under test (needs `permissions: checks: write`). "
        "Pull requests from forks get workflow-command annotations instead.",
        "true",
        boolean=True,
    ),
    Input(
        "check-name",
        "Name of the check run. By default, in a matrix, the job's matrix values follow the environment, "
        "so each job has its own check run.",
        shown_default="`E2E tests (<environment>)`, or `E2E tests (<environment>, <matrix values>)`",
    ),
    Input(
        "matrix",
        "The job's matrix values, for the default check-run name; leave it to its default.",
        "${{ toJSON(matrix) }}",
    ),
    Input(
        "max-annotations",
        "Most failed tests annotated on the check run (0 to 1000; sent 50 per request). "
        "The check's summary counts the rest.",
        "50",
    ),
    Input("junit-file", "Write a JUnit XML report of the run to this path (e.g. `e2e-results.xml`)."),
    Input(
        "pr-comment",
        "On a pull request, post the outcome as a comment, updated in place on later runs "
        "(needs `permissions: pull-requests: write`).",
        "false",
        boolean=True,
    ),
    Input(
        "testsigma-tms-project",
        "Record the run in Testsigma Test Management: the project id. Works with every provider.",
    ),
    Input(
        "testsigma-tms-api-key",
        "API key of Testsigma Test Management (Settings → API Keys there); required with "
        "`testsigma-tms-project`. Store it as a secret.",
        secret=True,
    ),
    Input(
        "testsigma-tms-test-cases",
        "Ids of the Test Management test cases the record covers (comma or newline separated).",
    ),
    Input("testsigma-tms-labels", "Labels of the Test Management record (comma or newline separated)."),
    Input(
        "testsigma-tms-environments",
        "Ids of Test Management environments for the record (comma or newline separated).",
    ),
    Input("testsigma-tms-assignee", "Id of the Test Management user the record is assigned to."),
    Input(
        "testsigma-tms-url",
        "Base URL of the Testsigma Test Management API.",
        "https://test-management.testsigma.com/api/v1",
    ),
    Input(
        "dry-run",
        "Validate everything and print the request that would be sent (secrets masked); send nothing.",
        "false",
        boolean=True,
    ),
)

OUTPUTS: tuple[Output, ...] = (
    Output("run-id", "Id of the remote test run."),
    Output(
        "run-url",
        "Link to the run's report in the service: an http(s) URL without credentials, anything a shell would "
        "act on percent-encoded; empty when the service gave no such URL.",
    ),
    Output(
        "state",
        "The run's last state, in the service's own words when they are plain words; else `waiting`, "
        "`running`, `cancelling`, `finished`, `errored` or `cancelled`.",
    ),
    Output("result", "`passed`, `failed`, `error`, `cancelled`, `timed_out`, or `triggered` (wait: false)."),
    Output("total", "Number of tests in the run."),
    Output("passed", "Number of tests that passed."),
    Output("failed", "Number of tests that failed (after snoozing)."),
    Output("flaky", "Number of flaky tests."),
    Output("skipped", "Number of skipped tests."),
    Output("duration-seconds", "How long the run took, in seconds."),
    Output("check-run-url", "Link to the check run, when one was written."),
    Output("junit-file", "Path of the JUnit XML file, when one was written."),
    Output(
        "testsigma-tms-run-id",
        "Id of the Testsigma Test Management test run that records this run (with `testsigma-tms-project`).",
    ),
)

OUTPUT_NAMES = frozenset(o.name for o in OUTPUTS)


@functools.cache
def all_inputs() -> tuple[Input, ...]:
    """Every input, in the order action.yml lists them: the provider, the service's common inputs, each
    registered provider's own (`ProviderSpec.inputs`), then the rest; each provider's notes on a common
    input (`ProviderSpec.notes`) follow its description."""
    from .providers.registry import DEFAULT_PROVIDER, specs

    found = specs()
    names = " or ".join(", ".join(f"`{spec.name}`" for spec in found).rsplit(", ", 1))
    provider = Input("provider", f"The test service: {names}.", default=DEFAULT_PROVIDER)
    shown = {
        "api-url": ", ".join(f"`{spec.api_url}` ({spec.name})" for spec in found),
        "dashboard-url": ", ".join(f"`{spec.dashboard_url}` ({spec.name})" for spec in found),
    }
    own: dict[str, Input] = {}  # one declaration a name: the registry lets no provider differ
    for spec in found:
        for declared in spec.inputs:
            own.setdefault(declared.name, declared)
    listed = []
    for declared in (*SERVICE_INPUTS, *own.values(), *RUN_INPUTS):
        notes = [
            f"{spec.display_name}: {spec.notes[declared.name]}"
            for spec in found
            if declared.name in spec.notes
        ]
        readers = [f"`provider: {spec.name}`" for spec in found if declared in spec.inputs]
        if readers:  # given to any other provider, it is refused (`settings`)
            notes.append(f"Only with {' or '.join(readers)}.")
        description = " ".join([declared.description, *notes])
        listed.append(
            replace(
                declared,
                description=description,
                shown_default=shown.get(declared.name, declared.shown_default),
            )
        )
    return (provider, *listed)


def __getattr__(name: str) -> Any:
    """`INPUTS` and `INPUT_NAMES`, read from the provider registry when first asked for."""
    if name == "INPUTS":
        return all_inputs()
    if name == "INPUT_NAMES":
        return frozenset(i.name for i in all_inputs())
    raise AttributeError(name)
