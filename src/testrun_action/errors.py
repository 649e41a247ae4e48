"""Every error a user can meet, in one small tree.

    TestrunError                 base; carries the exit code
    ├── ConfigurationError       exit 2: an input is wrong; names the input and what is accepted
    │   └── RequestRejected      exit 2: the service refused the request (e.g. unknown environment)
    └── ServiceError             exit 3: the service could not be used
        ├── AuthenticationError  401/403: the key is wrong or lacks access
        ├── ServiceUnavailable   unreachable, timing out or answering 5xx past every retry
        │   └── DeliveryUncertain  a request failed after it may have reached the service
        ├── TlsFailure           the TLS handshake failed (an untrusted certificate, a plain-http port)
        ├── MalformedResponse    the answer was not the JSON we can read
        ├── RunNotFound          the run does not exist or is not visible to this key
        └── TriggerUncertain     the trigger may have reached the service, and no run was found

`Interrupted` is not an error: it is how a cancellation signal unwinds the flow.

Messages never contain a secret: they are built from our own words, status codes and the service's
error message, and pass through the redactor before they are printed.
"""

from __future__ import annotations

import signal


class TestrunError(Exception):
    """Base of every error the one handler in `flow` turns into an `::error::` line and an exit code."""

    exit_code = 3
    title = "testrun failed"
    # Caused by an input, so headlined as a configuration error: a wrong value, a request the service
    # refused for one, a key it refused (whose exit code stays 3).
    configuration = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TestrunError):
    """A bad input: the message names the input and says what is accepted."""

    exit_code = 2
    title = "Invalid configuration"
    configuration = True

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(f"Input '{input_name}': {message}")
        self.input_name = input_name


class RequestRejected(TestrunError):
    """The service understood the request and refused it (4xx other than auth); fix the inputs."""

    exit_code = 2
    title = "Request rejected by the service"
    configuration = True


class ServiceError(TestrunError):
    """The service could not be used, so the outcome of the tests is unknown."""

    exit_code = 3
    title = "Test service error"


class AuthenticationError(ServiceError):
    title = "Authentication failed"
    configuration = True


class ServiceUnavailable(ServiceError):
    title = "Test service unavailable"


class DeliveryUncertain(ServiceUnavailable):
    """The request may have reached the service (timeout after sending, reset, 502/504).

    Raised only for requests that must not be repeated blindly (the trigger); the provider looks for
    the run it may have created instead of sending the request again.
    """


class TlsFailure(ServiceError):
    """The TLS handshake failed: permanent, so never retried; the message says how to trust a CA."""

    title = "Secure connection failed"


class MalformedResponse(ServiceError):
    title = "Unexpected answer from the test service"


class RunNotFound(ServiceError):
    title = "Test run not found"


class TriggerUncertain(ServiceError):
    title = "Trigger outcome unknown"


class Interrupted(BaseException):
    """Raised in the main thread by the SIGINT/SIGTERM handler; unwinds to the flow's cleanup."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        # The shell convention, 128 + signal number: 130 for SIGINT, 143 for SIGTERM.
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def why(self) -> str:
        """What the signal means here, as the cancel reason gives it."""
        return "The log's reader went away" if self.signum == signal.SIGPIPE else "GitHub job cancelled"
