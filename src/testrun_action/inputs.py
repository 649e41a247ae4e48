"""The action's declared inputs and outputs: one list that action.yml and the README are generated from
(`make docs`), that `settings` reads, and that a test keeps in step with both files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    description: str
    default: str = ""
    required: bool = False
    secret: bool = False  # masked before anything is printed
    # How the README shows the default when action.yml has none (a per-provider default).
    shown_default: str = ""


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    description: str


INPUTS: tuple[Input, ...] = (
    Input("provider", "The test service: `empirical`, `buildkite` or `testsigma`.", default="empirical"),
    Input(
        "api-key",
        "API key of the test service: a project API key for Empirical; for Buildkite an API access token "
        "with the `read_builds`, `write_builds` and `read_suites` scopes; for Testsigma one from Settings → "
        "API Keys. Store it as a secret.",
        required=True,
        secret=True,
    ),
    Input(
        "auth-key",
        "Alias of `api-key`, for users of Empirical's dispatch-action.",
        secret=True,
    ),
    Input(
        "api-url",
        "Base URL of the service's API.",
        shown_default="`https://api.empirical.run` (empirical), `https://api.buildkite.com` (buildkite), "
        "`https://app.testsigma.com` (testsigma)",
    ),
    Input(
        "dashboard-url",
        "Base URL of the service's dashboard, for report links (Buildkite's links come from its API).",
        shown_default="`https://dash.empirical.run` (empirical), `https://app.testsigma.com` (testsigma)",
    ),
    Input("project-id", "Empirical project id, sent as `x-project-id` (needed with user tokens only)."),
    Input(
        "environment",
        "The environment slug to run the tests against (e.g. `staging`); required for Empirical. "
        "For Buildkite and Testsigma, a label shown in the report (default: the pipeline slug or test plan).",
    ),
    Input(
        "organization", "Buildkite organization slug (buildkite.com/<organization>); required for Buildkite."
    ),
    Input(
        "pipeline",
        "Buildkite pipeline slug whose build runs the tests; required for Buildkite, except with a Test "
        "Engine run UUID in `run-id`.",
    ),
    Input("suite", "Buildkite Test Engine suite slug the tests report to; required for Buildkite."),
    Input(
        "build-number",
        "Buildkite: follow this existing build of `pipeline` instead of triggering one (same as a numeric `run-id`).",
    ),
    Input(
        "test-plan-id",
        "Testsigma: id of the test plan to run (its CI/CD Integration tab), sent as `executionId`. "
        "Required with `provider: testsigma` unless `run-id` is set.",
    ),
    Input(
        "testsigma-environment-id",
        "Testsigma: numeric id of the environment to run the plan against (`environmentId`). "
        "Default: the plan's own.",
    ),
    Input(
        "build-url",
        "URL of the deployed build under test. Default: the deployment's `environment_url` "
        "(or `target_url`) on `deployment_status` events.",
    ),
    Input(
        "build-version",
        "Version string of the build under test (Testsigma's `buildNo`; default there: the short commit SHA).",
    ),
    Input(
        "test-branch",
        "Branch of the test repository to run. Empirical forbids it together with build info, "
        "so no build info is sent when it is set. Buildkite: build the head of this branch instead of "
        "the commit under test (for a pipeline of a separate test repository).",
    ),
    Input("tags", "Run only tests with these tags, comma or newline separated (e.g. `@smoke`)."),
    Input(
        "metadata",
        "Key-value pairs attached to the run: a YAML or JSON mapping, or `key: value` lines. "
        "Values must be strings or numbers. Buildkite: the build's meta-data (values sent as strings).",
    ),
    Input(
        "environment-variables",
        "Environment variables for the test run, as `NAME: value` or `NAME=value` lines "
        "(Buildkite: the build's `env`; Testsigma: the run's `runtimeData`). Values are masked in the log.",
    ),
    Input("total-shards", "Split the run across this many shards (1 or more)."),
    Input("rerun-of", "Id of an earlier run that this run re-runs."),
    Input("rerun-only-failed", "With `rerun-of`: re-run only the tests that failed (`true`/`false`)."),
    Input("send-notifications", "Whether the service sends its own run notifications (`true`/`false`)."),
    Input(
        "run-id",
        "Attach to this existing run instead of triggering a new one. Buildkite: a Test Engine run UUID, "
        "or a build number.",
    ),
    Input("wait", "Wait for the run to end and report it (`true`), or only trigger it (`false`).", "true"),
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
        "failures from known ones. `none` turns the comparison off.",
        shown_default="the repository's default branch",
    ),
    Input(
        "cancel-on-abort",
        "Cancel the remote run when the job is cancelled or the wait times out.",
        "true",
    ),
    Input(
        "github-token",
        "Token for GitHub API calls (check run, comment).",
        "${{ github.token }}",
        secret=True,
    ),
    Input("job-summary", "Write the job summary.", "true"),
    Input(
        "check-run",
        "Report the run as a check run on the commit under test (needs `permissions: checks: write`). "
        "Pull requests from forks get workflow-command annotations instead.",
        "true",
    ),
    Input("check-name", "Name of the check run.", shown_default="`E2E tests (<environment>)`"),
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

INPUT_NAMES = frozenset(i.name for i in INPUTS)
OUTPUT_NAMES = frozenset(o.name for o in OUTPUTS)
