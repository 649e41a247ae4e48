"""Write action.yml and the README's input and output tables and list of providers from
src/testrun_action/inputs.py and the provider registry (each provider's `ProviderSpec`).

python tools/gen_docs.py          rewrite both files
python tools/gen_docs.py --check  exit 1 if either is out of date (the tests run this)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from testrun_action.inputs import INPUTS, OUTPUTS  # noqa: E402
from testrun_action.providers.registry import specs  # noqa: E402

HEADER = """\
# Generated from src/testrun_action/inputs.py and the providers' specs by `make docs`; edit those, not this.
name: Testrun E2E
description: Trigger a remote end-to-end test run ({services}), wait for it, and report it on GitHub.
author: testrun-action
branding:
  icon: check-circle
  color: green
"""

RUNS = """\
runs:
  using: docker
  image: Dockerfile
  # Runs after the main step in every case: cancels a run the main step started but did not see end.
  post-entrypoint: /usr/local/bin/testrun-post
"""


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def action_yml() -> str:
    lines = [HEADER.format(services=", ".join(spec.display_name for spec in specs())), "inputs:"]
    for spec in INPUTS:
        lines.append(f"  {spec.name}:")
        lines.append(f"    description: {_scalar(spec.description)}")
        lines.append(f"    required: {'true' if spec.required else 'false'}")
        if spec.default:
            lines.append(f"    default: {_scalar(spec.default)}")
    lines.append("outputs:")
    for output in OUTPUTS:
        lines.append(f"  {output.name}:")
        lines.append(f"    description: {_scalar(output.description)}")
    return "\n".join(lines) + "\n" + RUNS


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def inputs_table() -> str:
    rows = ["| Input | Required | Default | Description |", "|---|---|---|---|"]
    for spec in INPUTS:
        default = f"`{spec.default}`" if spec.default else spec.shown_default
        rows.append(
            f"| `{spec.name}` | {'yes' if spec.required else 'no'} | {_cell(default)} | {_cell(spec.description)} |"
        )
    return "\n".join(rows)


def outputs_table() -> str:
    rows = ["| Output | Description |", "|---|---|"]
    rows += [f"| `{o.name}` | {_cell(o.description)} |" for o in OUTPUTS]
    return "\n".join(rows)


def _joined(items: list[str]) -> str:
    return " and ".join(", ".join(items).rsplit(", ", 1))


def providers_list() -> str:
    """One sentence naming every registered provider and what it runs: none can be left out."""
    described = [f"**{spec.display_name}** (`{spec.name}`: {spec.description})" for spec in specs()]
    return f"Supported services (the `provider` input): {_joined(described)}."


def readme(text: str) -> str:
    sections = (("providers", providers_list()), ("inputs", inputs_table()), ("outputs", outputs_table()))
    for name, table in sections:
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> markers")
        text = pattern.sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    targets = {
        ROOT / "action.yml": action_yml(),
        ROOT / "README.md": readme((ROOT / "README.md").read_text(encoding="utf-8")),
    }
    stale = [
        path.name
        for path, text in targets.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if check:
        if stale:
            print(f"Out of date: {', '.join(stale)}. Run `make docs`.")  # noqa: T201
            return 1
        return 0
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
