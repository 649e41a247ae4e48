"""Reading service answers strictly, at each provider's edge: pydantic models whose fields say what an
answer must hold. Unknown fields are ignored; a field of the wrong type is a `MalformedResponse`, never
a default.

A count is a JSON integer or a string of decimal digits (a Node service backed by Postgres sends
bigints as strings); a negative number, a fraction, a boolean or anything else is malformed. Missing
counts stay None, so the verdict can tell "not given" from 0.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..errors import MalformedResponse

# Up to 15 ASCII digits: every count and id fits (2**53 has 16), and "²" or "١" are not digits here.
_DIGITS = re.compile(r"[0-9]{1,15}\Z")


def whole_number(value: Any) -> int:
    """A JSON integer or decimal string >= 0; anything else raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"expected a whole number, got {value}")
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return int(value.strip())
    if isinstance(value, float):
        raise ValueError(f"expected a whole number, got {value!r}")
    raise ValueError(f"expected a whole number, got {type(value).__name__}")


def count_or_none(value: Any) -> int | None:
    """For enrichments (history, the trend): a count, or None when it is not one."""
    try:
        return whole_number(value)
    except ValueError:
        return None


Count = Annotated[int, BeforeValidator(whole_number)]


def _text(value: Any) -> Any:
    """Text fields: a string, or null; numbers are accepted as their digits (ids sent either way)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text)]


class Wire(BaseModel):
    """An answer, or a part of one: extra fields ignored, the rest validated."""

    model_config = ConfigDict(extra="ignore", frozen=True)


M = TypeVar("M", bound=Wire)


def read(model: type[M], data: Any, what: str) -> M:
    """`data` as `model`, or a `MalformedResponse` naming the first field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the answer"
        said = str(first["msg"]).removeprefix("Value error, ")
        raise MalformedResponse(f"{what} is malformed: `{where}`: {said}.") from None
