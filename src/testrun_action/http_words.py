"""How a failed request is said: the request by its method and URL (never its credentials), a
transport error with the time it was given, the `ssl` error under a TLS failure, and whether a 404
means the URL is not the API's. Pure: exceptions and answers in, words out."""

from __future__ import annotations

import re
import ssl

import httpx

from .clock import Overdue

URL_LIMIT = 300  # characters of a request's URL quoted in a message
TLS_HINT = (
    "To trust a private certificate authority (GitHub Enterprise Server, a corporate proxy), set the "
    "environment variable SSL_CERT_FILE to a PEM bundle that holds its certificate (docs/tls.md)."
)


def where(request: httpx.Request) -> str:
    """`GET https://host/path?query`: the request, without any credentials in its URL."""
    url = str(request.url.copy_with(username=None, password=None))
    return f"{request.method} {url if len(url) <= URL_LIMIT else url[: URL_LIMIT - 1] + '…'}"


def is_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("text/html", "application/xhtml+xml") or response.content[:200].lstrip()[:1] == b"<"


def tls_problem(exc: BaseException) -> tuple[str, bool] | None:
    """What the `ssl` error under a failed connection says, in words (`certificate verify failed
    (self-signed certificate)`), and whether the other side spoke plain text; None when the failure
    was not a TLS handshake's. Only a handshake that failed while connecting counts: nothing was sent,
    and the same certificate fails the same way again; a TLS error later may follow a sent request."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"certificate verify failed ({cause.verify_message or cause.reason or 'no reason given'})",
                False,
            )
        if isinstance(cause, ssl.SSLError):
            words = str(cause.reason or cause.strerror or "handshake failed").replace("_", " ").lower()
            return f"handshake failed ({words})", cause.reason in PLAIN_HTTP_REASONS
        cause = cause.__cause__ or cause.__context__
    return None


# OpenSSL's reasons when the other side answers a TLS hello in plain text (an http:// port).
PLAIN_HTTP_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST"}
)


# What a server says for a path it has no route for, as opposed to the API's own 404 about a thing it
# knows (`Test Plan not found with id: 9`): only the former suggests a wrong `api-url`.
_NO_ROUTE = re.compile(
    r"(\d{3} )?((page|resource|route|path) )?not found|(\d{3} )?method not allowed|no route.*", re.I
)


def no_such_path(said: str) -> bool:
    return not said or _NO_ROUTE.fullmatch(said.strip().rstrip(".!")) is not None


def sentence(said: str) -> str:
    """The service's words as a sentence of their own: ended with a full stop when they have none, so
    that the hint after them starts a new one."""
    said = said.rstrip()
    return said if said.endswith((".", "!", "?")) else f"{said}."


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def took(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def describe(exc: httpx.TransportError | Overdue, request: httpx.Request, timeout: httpx.Timeout) -> str:
    """What went wrong, with the time it was given: `no answer within 30s`."""
    host = request.url.host + (f":{request.url.port}" if request.url.port else "")
    if isinstance(exc, Overdue):
        return f"no complete answer within {exc.seconds:.0f}s"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {host} within {timeout.connect:.0f}s"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        why = next((words for key, words in _CONNECT_REASONS if key in text), "connection failed")
        return f"could not connect to {host} ({why})"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no answer within {timeout.read:.0f}s"
    names = {
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection",
        httpx.RemoteProtocolError: "connection closed unexpectedly",
        httpx.ReadError: "connection reset",
        httpx.WriteError: "connection reset while sending",
        httpx.UnsupportedProtocol: "not an http:// or https:// URL",
    }
    for kind, words in names.items():
        if isinstance(exc, kind):
            return words
    return type(exc).__name__


# The OS's words for why a connection was not made, as the socket error under httpx's ConnectError says them.
_CONNECT_REASONS = (
    ("refused", "connection refused"),
    ("name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("temporary failure in name resolution", "host name not resolved"),
    ("unreachable", "network unreachable"),
)
