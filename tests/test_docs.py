"""action.yml, the README and docs/ are generated where they can be, and say the same thing everywhere:
the tables from inputs.py and the benchmarks, one owner in `uses:`, one name for each secret, links that
resolve, a front page that fits."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from testrun_action.inputs import INPUTS, OUTPUTS
from testrun_action.providers.registry import specs
from testrun_action.report.outputs import outputs
from testrun_action.settings import read_raw_inputs
from testrun_sim import buildkite, empirical, sandbox, testsigma, testsigma_tms

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *PAGES]
FRONT_PAGE_LINES = 250  # issue 15: "is this for me, and how do I start" in at most 250 lines


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
    for path in (ROOT / "README.md", ROOT / "action.yml", *PAGES):
        scripts = _run_scripts(path.read_text(encoding="utf-8"))
        inline = [s for s in scripts if re.search(r"\$\{\{\s*(steps|needs)\.[^}]*outputs", s)]
        assert inline == [], path.name
    assert any("$RUN_URL" in s for s in _run_scripts((ROOT / "README.md").read_text(encoding="utf-8")))


def test_the_readme_is_a_front_page_that_fits() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert len(readme.splitlines()) <= FRONT_PAGE_LINES
    for command in ("make demo", "make test"):
        assert f"\n{command}   #" in readme
    assert "as root" in readme
    assert "apt-get install" in readme
    # Every Debian package `make system-deps` installs is named where the README says so.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    tools = re.search(r"^SYSTEM_TOOLS := (.*)$", makefile, re.MULTILINE)
    assert tools
    packages = [pair.split(":")[1] for pair in tools.group(1).split()]
    assert [name for name in packages if name not in readme] == []
    assert len(re.findall(r"^```yaml\non:", readme, re.MULTILINE)) == 3  # push, pull_request, deployment


def _anchors(text: str) -> set[str]:
    """GitHub's ids of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(
        r"^#+ (.+)$", re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE), re.MULTILINE
    )
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_link_between_the_docs_reaches_a_file_and_a_heading() -> None:
    broken = []
    for path in DOCUMENTS:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            name, _, anchor = target.partition("#")
            linked = (path.parent / name).resolve() if name else path
            if not linked.exists() or (anchor and anchor not in _anchors(linked.read_text(encoding="utf-8"))):
                broken.append(f"{path.relative_to(ROOT)}: {target}")

    assert broken == []


def _owner() -> str:
    """The repository's owner, as the package's project URLs name it (release_notes.py checks those)."""
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    found = re.match(r"https://github\.com/([^/]+)/testrun-action\Z", urls["Source"])
    assert found, urls["Source"]
    return found.group(1)


def test_every_example_uses_the_action_by_one_owner() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in DOCUMENTS)
    named = set(re.findall(r"uses: (?:docker://ghcr\.io/)?([\w.-]+)/testrun-action[@:]", text))

    assert named == {_owner()}


def test_every_example_names_empirical_s_key_as_its_docs_do() -> None:
    """Empirical's docs and its own actions call the key EMPIRICALRUN_KEY (providers.md 1.1)."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in DOCUMENTS)
    named = set(re.findall(r"secrets\.(EMPIRICAL\w*)", text))

    assert named == {"EMPIRICALRUN_KEY"}


def test_action_yml_s_description_names_every_service() -> None:
    description = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["description"]

    assert [spec.display_name for spec in specs() if spec.display_name not in description] == []


def test_the_sandbox_walkthrough_names_the_sandbox_s_ports_keys_and_every_scenario_field() -> None:
    page = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    ports = sandbox.first_ports(sandbox.FIRST_PORT)

    for name, port in ports.items():
        display = next(spec.display_name for spec in specs() if spec.name == name)
        assert f"| {display} | `http://127.0.0.1:{port}` |" in page
    assert f"| Testsigma Test Management | `http://127.0.0.1:{ports['testsigma'] + 1}` |" in page
    for key in (
        empirical.DEFAULT_KEY,
        testsigma.DEFAULT_KEY,
        testsigma_tms.DEFAULT_KEY,
        buildkite.DEFAULT_TOKEN,
    ):
        assert f"`{key}`" in page
    for kind in (empirical.Scenario, buildkite.Scenario, testsigma.Plan, testsigma_tms.TmsScript):
        missing = [f.name for f in dataclasses.fields(kind) if f"`{f.name}`" not in page]
        assert missing == [], kind.__qualname__


def test_the_performance_page_quotes_the_benchmark_tables_as_measured() -> None:
    page = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    latest = (ROOT / "benchmarks" / "results" / "latest.md").read_text(encoding="utf-8")
    tables = [line for line in latest.splitlines() if line.startswith("| ")]

    assert tables
    assert all(line in page for line in tables)
    prose = re.sub(r"<!-- (bench-[\w-]+):start -->.*?<!-- \1:end -->", "", page, flags=re.DOTALL)
    prose = re.sub(r"^\|.*$", "", prose, flags=re.MULTILINE)  # the schedule's own table: rules, not figures
    figures = set(re.findall(r"\d+(?:\.\d+)?(?: ?(?:ms|MB|s|%)|×)", prose))
    measured = set(re.findall(r"\d+(?:\.\d+)?(?: ?(?:ms|MB|s|%)|×)", latest))
    # What the rules and the goals say (1.3× the floor, 10 s polling, a 1 MB summary, a count stalled at 90 %),
    # which the tables repeat: no measured figure.
    assert figures & measured <= {"1.3×", "10 s", "1 MB", "90 %"}, figures & measured
