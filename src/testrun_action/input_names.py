"""Inputs that would otherwise be ignored without a word: `INPUT_*` variables no input reads (a typo, or
the underscore form beside the runner's hyphenated one), and an input given twice, under its alias too."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from .errors import ConfigurationError
from .inputs import all_inputs

# The runner keeps at most 10 warnings per step (github-platform.md 5): the inputs take half at most,
# so that the run's own warnings are still shown.
INPUT_WARNINGS = 5
_NAME_CHARS = 100  # an environment variable's name, as shown in a warning


def input_warnings(
    environ: Mapping[str, str], flags: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """(title, message) for each `INPUT_*` variable that is silently ignored: a name no input has (a typo:
    the closest input is suggested), or `INPUT_DRY_RUN` beside the runner's `INPUT_DRY-RUN`, which wins
    (the runner sets every declared input with its hyphens, from `with:` or the default:
    github-platform.md 1.1). No value is ever shown: it may be a secret."""
    flags = flags or {}
    names = [spec.name for spec in all_inputs()]
    found: list[tuple[str, str]] = []
    for variable in environ:
        if not variable.upper().startswith("INPUT_"):
            continue
        typed = variable[len("INPUT_") :].lower()
        if typed in names or typed.replace("_", "-") in names:
            continue
        shown = typed[:_NAME_CHARS]
        close = difflib.get_close_matches(typed.replace("_", "-"), names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "it is ignored."
        found.append(("Unknown input", f"Unknown input '{shown}'; {hint}"))
    for name in names:
        hyphens = f"INPUT_{name.upper()}"
        underscores = hyphens.replace("-", "_")
        if "-" not in name or name in flags:
            continue
        ours, theirs = environ.get(hyphens, "").strip(), environ.get(underscores, "").strip()
        if ours and theirs and ours != theirs:
            found.append(
                (
                    "Input ignored",
                    f"{underscores} is ignored: input '{name}' is read from {hyphens}, which the runner sets "
                    f"from `with: {name}` (or its default). Set `with: {name}: …` in the workflow, or "
                    f"{hyphens} itself.",
                )
            )
    if len(found) > INPUT_WARNINGS:
        more = len(found) - INPUT_WARNINGS + 1
        found = [
            *found[: INPUT_WARNINGS - 1],
            ("Unknown input", f"{more} more INPUT_ variables are ignored."),
        ]
    return found


def check_aliases(raw: Mapping[str, str]) -> None:
    """An input and its alias both given, differently: which one was meant can't be known, and guessing
    would report a failed login on the name that was not the mistake."""
    for spec in all_inputs():
        if not spec.alias_of:
            continue
        alias, original = raw.get(spec.name, "").strip(), raw.get(spec.alias_of, "").strip()
        if alias and original and alias != original:
            raise ConfigurationError(
                spec.alias_of,
                f"is set, and so is its alias `{spec.name}`, to another value: keep one of the two.",
            )
