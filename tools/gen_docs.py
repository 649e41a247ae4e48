"""Write what the docs generate: action.yml, docs/inputs.md's input and output tables and the README's list
of providers from src/testrun_action/inputs.py and the provider registry (each provider's `ProviderSpec`),
and docs/performance.md's benchmark tables from benchmarks/results/latest.md (written by `make bench`).

python tools/gen_docs.py          rewrite the files
python tools/gen_docs.py --check  exit 1 if any is out of date (the tests run this)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
LATEST = ROOT / "benchmarks" / "results" / "latest.md"
MATRIX = ROOT / "benchmarks" / "results" / "matrix.md"  # written by `python -m benchmarks.matrix`
# The sections of latest.md that docs/performance.md shows, by title (benchmarks/__main__.py's SECTIONS).
BENCHMARKS = ("Start-up", "Waiting", "Scale", "Image")

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
    lines = [HEADER.format(services=_joined([spec.display_name for spec in specs()])), "inputs:"]
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


def benchmark_section(title: str) -> str:
    """One table of benchmarks/results/latest.md (`### {title}` up to the next), as `make bench` wrote it."""
    text = LATEST.read_text(encoding="utf-8")
    found = re.search(rf"^### {re.escape(title)}\n\n(.*?)\n*(?=^### |\Z)", text, re.DOTALL | re.MULTILINE)
    if not found:
        raise SystemExit(f"{LATEST.relative_to(ROOT)} has no section ### {title}")
    return found.group(1)


def measured_when() -> str:
    """The line of latest.md that says on what machine, when and with which command the figures were taken."""
    lines = [
        line
        for line in LATEST.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("<!--")
    ]
    return lines[0]


def fill(text: str, sections: tuple[tuple[str, str], ...], path: str) -> str:
    """`text` with each `<!-- name:start -->` ... `<!-- name:end -->` block replaced by its generated content."""
    for name, table in sections:
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"{path} has no <!-- {name}:start --> ... <!-- {name}:end --> markers")
        text = pattern.sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), text)
    return text


def readme(text: str) -> str:
    return fill(text, (("providers", providers_list()),), "README.md")


def inputs_page(text: str) -> str:
    return fill(text, (("inputs", inputs_table()), ("outputs", outputs_table())), "docs/inputs.md")


def matrix_section() -> str:
    """benchmarks/results/matrix.md without its generated-by comment: the machine line, the table, the notes."""
    lines = MATRIX.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("<!--")).strip()


def performance_page(text: str) -> str:
    tables = tuple((f"bench-{title.lower()}", benchmark_section(title)) for title in BENCHMARKS)
    sections = (("bench-measured", measured_when()), *tables, ("bench-matrix", matrix_section()))
    return fill(text, sections, "docs/performance.md")


def main(argv: list[str]) -> int:
    check = "--check" in argv
    pages = {"README.md": readme, "docs/inputs.md": inputs_page, "docs/performance.md": performance_page}
    targets = {ROOT / "action.yml": action_yml()}
    for name, generate in pages.items():
        targets[ROOT / name] = generate((ROOT / name).read_text(encoding="utf-8"))
    stale = [
        str(path.relative_to(ROOT))
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
