"""Pure parsers for input values. Each takes the input's name and its raw text, and returns a typed value
or raises one `ConfigurationError` that names the input and says what is accepted. Error messages never
quote a value that may be a secret (environment-variable values)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import ConfigurationError

_Number = TypeVar("_Number", int, float)

_TRUE, _FALSE = "true", "false"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# A slug is one URL path segment: Buildkite's are lower-case words joined by `-` or `_` ("my_great_org").
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_SHOWN = 60  # characters of a bad value quoted back in an error message


def _quote(raw: str) -> str:
    shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "…"
    return json.dumps(shown, ensure_ascii=False)


def boolean(name: str, raw: str, default: bool) -> bool:
    value = optional_boolean(name, raw)
    return default if value is None else value


def optional_boolean(name: str, raw: str) -> bool | None:
    text = raw.strip().lower()
    if not text:
        return None
    if text in (_TRUE, _FALSE):
        return text == _TRUE
    raise ConfigurationError(name, f"expected `true` or `false`, got {_quote(raw.strip())}.")


def integer(name: str, raw: str, *, minimum: int, maximum: int) -> int | None:
    value = _bounded(name, raw, r"[+-]?\d{1,18}", int, f"a whole number from {minimum} to {maximum}")
    if value is not None and not minimum <= value <= maximum:
        raise ConfigurationError(name, f"expected a whole number from {minimum} to {maximum}, got {value}.")
    return value


def number(name: str, raw: str, *, minimum: float, maximum: float) -> float | None:
    """A decimal number within [minimum, maximum]; no exponents, infinities or NaN."""
    what = f"a number from {minimum:g} to {maximum:g}"
    value = _bounded(name, raw, r"\d{1,12}(\.\d{1,9})?|\.\d{1,9}", float, what)
    if value is not None and not (math.isfinite(value) and minimum <= value <= maximum):
        raise ConfigurationError(name, f"expected {what}, got {raw.strip()}.")
    return value


def _bounded(
    name: str, raw: str, pattern: str, convert: Callable[[str], _Number], what: str
) -> _Number | None:
    """The number in `raw` when it is written as `pattern` allows (a length limit included, so that no
    conversion meets a huge text); None when empty."""
    text = raw.strip()
    if not text:
        return None
    if not re.fullmatch(pattern, text):
        raise ConfigurationError(name, f"expected {what}, got {_quote(text)}.")
    return convert(text)


def choice(name: str, raw: str, choices: Iterable[str], default: str) -> str:
    options = tuple(choices)
    text = raw.strip().lower() or default
    if text not in options:
        accepted = ", ".join(f"`{o}`" for o in options)
        raise ConfigurationError(name, f"expected one of {accepted}, got {_quote(raw.strip())}.")
    return text


def url(name: str, raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise ConfigurationError(name, "expected an http:// or https:// URL with a host.")
    return text.rstrip("/")


def text(name: str, raw: str, *, max_length: int = 1024) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if len(value) > max_length or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ConfigurationError(name, f"expected one line of at most {max_length} characters of UTF-8 text.")
    return value


def slug(name: str, raw: str) -> str | None:
    """A slug as it appears in the service's URLs: letters, digits, `-`, `_`, `.`; nothing that could
    change the request path."""
    value = raw.strip()
    if not value:
        return None
    if not _SLUG.match(value):
        raise ConfigurationError(
            name,
            f"expected a slug (letters, digits, `-`, `_` or `.`, as in the service's URLs), got {_quote(value)}.",
        )
    return value


def is_uuid(value: str) -> bool:
    return _UUID.match(value) is not None


def tags(name: str, raw: str) -> tuple[str, ...]:
    """Comma- or newline-separated tags, trimmed, empty ones dropped, duplicates removed in order."""
    return items(name, raw, "tag")


def items(name: str, raw: str, what: str = "item") -> tuple[str, ...]:
    """Comma- or newline-separated values, trimmed, empty ones dropped, duplicates removed in order."""
    found: dict[str, None] = {}
    for piece in re.split(r"[,\n]", raw):
        item = piece.strip()
        if not item:
            continue
        if len(item) > 200 or any(ord(c) < 32 for c in item):
            raise ConfigurationError(
                name, f"each {what} must be one line of at most 200 characters: {_quote(item)}."
            )
        found[item] = None
    return tuple(found)


def identifier(name: str, raw: str) -> str | None:
    """An id that goes into a URL path: letters, digits, `-` and `_` (a UUID, a number, a key)."""
    value = raw.strip()
    if not value:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", value):
        raise ConfigurationError(
            name, f"expected an id of letters, digits, `-` and `_` (e.g. a UUID), got {_quote(value)}."
        )
    return value


MetadataValue = str | int | float
# Metadata is flat: values are strings and numbers. Text nested past the parser's recursion limit is
# refused in these words rather than crashing the parser.
_TOO_DEEP = "is nested too deeply; expected a flat mapping of strings and numbers."


def metadata(name: str, raw: str) -> dict[str, MetadataValue]:
    """A JSON object, a YAML mapping, or `key: value` lines (which are a YAML mapping too).

    YAML scalars are kept as the text written (`1.10` stays "1.10", `yes` stays "yes"): what the user
    typed is what the service gets. JSON keeps its numbers. Nested values and booleans are refused,
    because the service accepts only strings and numbers.
    """
    text_ = raw.strip()
    if not text_:
        return {}
    loaded: object
    if text_.startswith("{"):
        try:
            loaded = json.loads(text_)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(name, f"is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
        except RecursionError:
            raise ConfigurationError(name, _TOO_DEEP) from None
    else:
        import yaml  # imported here: only this input needs it, and start-up time matters

        try:
            loaded = yaml.load(text_, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds only str/list/dict
        except RecursionError:
            raise ConfigurationError(name, _TOO_DEEP) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigurationError(
                name, f"is not a valid YAML mapping{where}; use `key: value` lines."
            ) from None
    if not isinstance(loaded, dict):
        raise ConfigurationError(name, "expected a mapping: `key: value` lines, or a JSON object.")
    result: dict[str, MetadataValue] = {}
    for key, value in loaded.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 200:
            raise ConfigurationError(
                name, f"keys must be non-empty strings of at most 200 characters: {_quote(str(key))}."
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ConfigurationError(name, f"the value of {_quote(key)} must be a string or a number.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigurationError(name, f"the value of {_quote(key)} must be a finite number.")
        result[key] = value
    return result


def environment_variables(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    """`NAME: value` or `NAME=value` lines; blank lines and `#` comments are skipped.

    The name ends at the first `:` or `=`; a name may not contain either, so values may. Errors give
    the line number and never the value, which may be a secret.
    """
    pairs: dict[str, str] = {}
    for number_, line in enumerate(raw.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = re.match(r"([^:=]*)[:=](.*)\Z", stripped, re.DOTALL)
        if match is None:
            raise ConfigurationError(name, f"line {number_} is not `NAME: value` or `NAME=value`.")
        var, value = match.group(1).strip(), match.group(2).strip()
        if not _ENV_NAME.match(var):
            raise ConfigurationError(
                name,
                f"line {number_}: a variable name is letters, digits and `_`, not starting with a digit.",
            )
        pairs[var] = value
    return tuple(pairs.items())
