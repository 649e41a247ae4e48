"""action.yml and the README's tables are generated from inputs.py and must stay in step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from testrun_action.inputs import INPUTS, OUTPUTS
from testrun_action.report.outputs import outputs
from testrun_action.settings import read_raw_inputs

ROOT = Path(__file__).resolve().parent.parent


def test_action_yml_and_readme_are_generated_from_the_declared_inputs() -> None:
    check = subprocess.run(
        [sys.executable, "tools/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )

    assert check.returncode == 0, check.stdout


def test_action_yml_declares_every_input_with_its_default() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))

    assert list(action["inputs"]) == [spec.name for spec in INPUTS]
    for spec in INPUTS:
        assert action["inputs"][spec.name].get("default", "") == spec.default
        assert action["inputs"][spec.name]["description"]


def test_every_declared_input_is_read_and_every_declared_output_is_written() -> None:
    from .test_summary import report

    assert set(read_raw_inputs({})) == {spec.name for spec in INPUTS}
    assert set(outputs(report())) == {output.name for output in OUTPUTS}


def _run_scripts(text: str) -> list[str]:
    """Every `run:` script in YAML text: the line itself and the lines indented under it."""
    lines = text.splitlines()
    scripts = []
    for n, line in enumerate(lines):
        found = re.match(r"(\s*)(?:- )?run:(.*)", line)
        if not found:
            continue
        indent = len(found.group(1))
        block = [found.group(2)]
        for following in lines[n + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following)
        scripts.append("\n".join(block))
    return scripts


def test_examples_pass_outputs_to_scripts_through_env_never_inline() -> None:
    """An output pasted into `run:` is shell code: a run URL with `"; echo PWNED; "` in it runs."""
    for path in (ROOT / "README.md", ROOT / "action.yml"):
        scripts = _run_scripts(path.read_text(encoding="utf-8"))
        inline = [s for s in scripts if re.search(r"\$\{\{\s*(steps|needs)\.[^}]*outputs", s)]
        assert inline == [], path.name
    assert any("$RUN_URL" in s for s in _run_scripts((ROOT / "README.md").read_text(encoding="utf-8")))
