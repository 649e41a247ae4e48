"""The mistakes people make get a message that names the cause and what to do: a certificate the runner
does not trust, an `api-url` that is not the API's, a service that never answers. Each through the real
flow, against the simulators or a server of our own on 127.0.0.1."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from testrun_action import envelopes, http_words
from testrun_action.clock import SystemClock
from testrun_action.errors import DeliveryUncertain
from testrun_action.flow import Hooks
from testrun_action.http import HttpClient, RetryPolicy
from testrun_action.report import markdown as md
from testrun_sim.empirical import EmpiricalSimulator, Scenario
from testrun_sim.github import GitHubSimulator
from testrun_sim.server import App, Fault, Reply, Served

from .conftest import FAST, GITHUB_TOKEN, TESTSIGMA_INPUTS, Job, Simulated


# -- TLS ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by the openssl command, which
    `make system-deps` installs: without it these tests fail and say so, never skip."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is not installed: run `make system-deps` (as root)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def https_empirical(certificate: tuple[Path, Path]) -> Iterator[Simulated]:
    """The Empirical simulator served over https with the self-signed certificate."""
    app = EmpiricalSimulator({"staging": Scenario(**FAST)})
    with Served(app, tls=_tls(certificate)) as served:
        yield Simulated(app, served.url)


@pytest.fixture
def https_github(certificate: tuple[Path, Path]) -> Iterator[Simulated]:
    """The GitHub simulator served over https with the same certificate (GitHub Enterprise Server)."""
    app = GitHubSimulator(tokens={GITHUB_TOKEN: "write"})
    with Served(app, tls=_tls(certificate)) as served:
        yield Simulated(app, served.url)


def test_an_untrusted_certificate_fails_at_once_naming_it_and_how_to_trust_a_ca(
    tmp_path: Path, https_empirical: Simulated, github: Simulated
) -> None:
    job = Job(tmp_path, https_empirical.url, github.url)

    started = time.monotonic()
    result = job.step()

    assert result.code == 3
    assert (
        f"TLS: certificate verify failed (self-signed certificate) for PUT {https_empirical.url}/api/test-runs."
        in result.log
    )
    assert "SSL_CERT_FILE" in result.log
    assert "retrying" not in result.log  # a certificate fails the same way every time
    assert "Looking for the run" not in result.log  # nothing was sent past the handshake
    assert https_empirical.app.requests == []
    assert time.monotonic() - started < 20
    assert "Traceback" not in result.log


def test_ssl_cert_file_trusts_the_certificate_of_the_service_and_of_github(
    tmp_path: Path,
    https_empirical: Simulated,
    https_github: Simulated,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    job = Job(tmp_path, https_empirical.url, https_github.url)

    result = job.run()

    assert result.code == 0, result.log
    assert result.result == "passed"
    assert len(https_github.app.check_runs) == 1  # the check run was written over https too


def test_https_to_a_plain_http_port_says_the_port_may_be_plain_http(tmp_path: Path, job: Job) -> None:
    job.api_url = job.api_url.replace("http://", "https://")

    result = job.run()

    assert result.code == 3
    assert "TLS: handshake failed" in result.log
    assert f"for PUT {job.api_url}/api/test-runs. The port may speak plain http, not https" in result.log
    assert "check the `api-url` input (expected the API base, e.g. https://api.empirical.run)" in result.log
    assert "retrying" not in result.log


# -- a wrong api-url ----------------------------------------------------------------------------------
PAGE = b"<!doctype html><html><head><title>Dashboard</title></head><body>Sign in</body></html>"


@pytest.fixture
def dashboard() -> Iterator[Simulated]:
    """A dashboard host: an HTML page for every path and method, as a single-page app answers."""
    app = App()
    for method in ("GET", "PUT", "POST"):
        app.route(method, r".*", lambda request, match: Reply(200, PAGE, {"Content-Type": "text/html"}))
    with Served(app) as served:
        yield Simulated(app, served.url)


def test_a_dashboard_url_given_as_the_api_says_it_answered_a_web_page(
    tmp_path: Path, dashboard: Simulated, github: Simulated
) -> None:
    job = Job(tmp_path, dashboard.url, github.url)

    result = job.step()

    assert result.code == 3  # an unreadable trigger answer: a proxy may send one for a run it started
    assert (
        f"PUT {dashboard.url}/api/test-runs was answered with an HTML page (HTTP 200), not the API's JSON. "
        "Check the `api-url` input (expected the API base, e.g. https://api.empirical.run)." in result.log
    )
    assert "Traceback" not in result.log


def test_a_path_too_deep_names_the_request_and_the_expected_api_base(job: Job) -> None:
    job.api_url += "/api"

    result = job.run()

    assert result.code == 2
    assert (
        f"PUT {job.api_url}/api/test-runs was answered HTTP 404 (Not found). Check the `api-url` input "
        "(expected the API base, e.g. https://api.empirical.run)." in result.log
    )


def test_a_refused_port_names_the_host_and_port_and_suggests_the_api_url(
    tmp_path: Path, github: Simulated, unused_port: int
) -> None:
    job = Job(tmp_path, f"http://127.0.0.1:{unused_port}", github.url)

    result = job.step(timeout_minutes="0.2")

    assert result.code == 3
    assert (
        f"could not connect to 127.0.0.1:{unused_port} (connection refused) for PUT "
        f"http://127.0.0.1:{unused_port}/api/test-runs" in result.log
    )
    assert "Check the `api-url` input (expected the API base, e.g. https://api.empirical.run)." in result.log


def test_a_wrong_testsigma_api_url_suggests_testsigmas_own_api_base(
    tmp_path: Path, testsigma: Simulated, github: Simulated
) -> None:
    job = Job(tmp_path, testsigma.url + "/api/v1", github.url, TESTSIGMA_INPUTS)

    result = job.run()

    assert result.code == 2
    assert "was answered HTTP 404" in result.log
    assert "Check the `api-url` input (expected the API base, e.g. https://app.testsigma.com)." in result.log


# -- wording ------------------------------------------------------------------------------------------
def test_a_refused_key_reads_as_two_sentences_and_is_headlined_a_configuration_error(
    job: Job, github: Simulated
) -> None:
    result = job.run(api_key="wrong-key-0000")

    assert result.code == 3  # a refused key is still a service error's exit code (errors.py)
    assert "invalid or missing API key. Check the `api-key` input." in result.log
    assert (
        result.shown_log.rstrip().splitlines()[-1] == "⚙️ Configuration error: the step did not start a run."
    )
    assert result.summary.startswith("## ⚙️ Configuration error: the step did not start a run on `staging`")
    assert "Check the `api-key` input.**" in result.summary  # a code span, rendered
    assert "\\`" not in result.summary
    assert "outcome unknown" not in result.summary
    (check,) = github.app.check_runs.values()
    assert check.body["output"]["title"] == "⚙️ Configuration error: the step did not start a run"


def test_the_services_own_words_stay_literal_in_the_summary(job: Job, empirical: Simulated) -> None:
    said = "environment `prod` | <b>@octocat</b> [x](https://evil.example)"
    empirical.app.script(
        Fault("PUT", r"^/api/test-runs$", "status", status=422, body={"error": {"message": said}})
    )

    result = job.run()

    assert result.code == 2
    assert (
        "environment 'prod' \\| &lt;b&gt;@\u200doctocat&lt;/b&gt; \\[x\\]\\(https://evil.example\\)"
        in result.summary
    )
    assert "`prod`" not in result.summary


def test_a_bad_input_is_headlined_a_configuration_error_with_its_code_spans_rendered(job: Job) -> None:
    result = job.run(wait="maybe")

    assert result.code == 2
    assert result.summary.startswith("## ⚙️ Configuration error: the step did not start a run\n")
    assert "Input 'wait': expected `true` or `false`, got \"maybe\"." in result.summary


def test_an_outage_is_still_an_unknown_outcome(job: Job, empirical: Simulated) -> None:
    empirical.app.script(Fault("PUT", r"^/api/test-runs$", "status", status=503, times=100))

    result = job.run(hooks=Hooks(policy=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)))

    assert result.code == 3
    assert result.summary.startswith("## 💥 E2E test outcome unknown")


@pytest.mark.parametrize(
    ("words", "rendered"),
    [
        ("Check the `api-key` input.", "Check the `api-key` input."),
        ("1. `a|b` and a lone ` tick", "1\\. `a\\|b` and a lone \\` tick"),
        ("<img src=x> `x` @team", "&lt;img src=x&gt; `x` @\u200dteam"),
        ("`` `", "\\`\\` \\`"),
    ],
)
def test_prose_keeps_code_spans_and_escapes_the_rest(words: str, rendered: str) -> None:
    assert md.prose(words) == rendered


def test_the_apis_own_not_found_is_not_blamed_on_the_api_url(testsigma_job: Job) -> None:
    result = testsigma_job.run(test_plan_id="9999")

    assert result.code == 2
    assert "Testsigma rejected the request (HTTP 404): Test Plan not found with id: 9999" in result.log
    assert "api-url" not in result.log


def test_a_request_is_named_without_the_credentials_in_its_url() -> None:
    request = httpx.Request("GET", "https://user:s3cret-pw@api.example:8443/api/test-runs?id=1")

    assert http_words.where(request) == "GET https://api.example:8443/api/test-runs?id=1"


def empirical_over(handler: Callable[[httpx.Request], httpx.Response], *, attempts: int) -> HttpClient:
    """A client for Empirical's API whose network is `handler`, retrying without pauses."""
    return HttpClient(
        service="Empirical",
        base_url="https://api.example.com",
        headers={},
        clock=SystemClock(),
        log=lambda line: None,
        policy=RetryPolicy(attempts=attempts, base_delay=0.0),
        transport=httpx.MockTransport(handler),
    )


def test_a_tls_error_after_the_request_was_sent_is_an_uncertain_delivery_not_a_refusal() -> None:
    """A handshake that fails while connecting sent nothing; a TLS error while reading the answer may
    follow a trigger the service took, so the flow must still look for the run it may have created."""

    def broken_while_reading(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] bad record mac")
        except ssl.SSLError as exc:
            raise httpx.ReadError("bad record mac", request=request) from exc

    with pytest.raises(DeliveryUncertain):
        empirical_over(broken_while_reading, attempts=1).json(
            "PUT", "/api/test-runs", body={"environment": "staging"}, repeatable=False
        )


def test_connections_that_time_out_keep_the_policys_attempts_only_silences_after_accepting_are_capped() -> (
    None
):
    """A connect timeout is no silence of a server that took the request: it is retried as the policy says."""
    failures = [httpx.ConnectTimeout, httpx.ConnectTimeout, httpx.ConnectTimeout]
    seen: list[str] = []

    def flaky_network(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if failures:
            raise failures.pop(0)("timed out", request=request)
        return httpx.Response(200, json={"ok": True})

    assert empirical_over(flaky_network, attempts=5).json("GET", "/api/test-runs") == (200, {"ok": True})
    assert len(seen) == 4  # three connect timeouts, then the answer: beyond SILENT_ATTEMPTS


def test_a_services_words_read_from_a_decoded_answer_are_clipped_and_never_a_code_span_of_ours() -> None:
    assert envelopes.said({"message": "No `pipeline` found"}) == "No 'pipeline' found"
    assert envelopes.said({"error": {"message": "x" * 5000}}) == "x" * envelopes.MESSAGE_LIMIT
    assert envelopes.said({"errors": ["a", "b"]}) == "a; b"
    assert envelopes.said(["not", "an", "envelope"]) == ""
