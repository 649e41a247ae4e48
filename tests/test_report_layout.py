"""The reporting side keeps its shape: `report/` renders and does no I/O, PyGithub lives in
`github/api.py` alone, the reporting modules import one another in one direction only, and each stays
small enough to read at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "testrun_action"
# What rendering may read: the model and the pure helpers around it. No `gha` (workflow commands and
# runner files), no HTTP layer, no GitHub, no settings.
RENDERING_MAY_IMPORT = {"model", "untrusted", "comparison", "receipts", "errors"}
PURE_STDLIB = {"__future__", "collections", "dataclasses", "re", "typing", "urllib", "xml"}
REPORTING = ("report", "github", "publishers", "receipts", "testsigma_tms")
MODULE_LINES = 350  # "modules stay under about 350 lines" (issue 14)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> tuple[set[str], set[str]]:
    """The package's own modules that `path` imports (dotted, relative to the package) and the outside
    top-level modules it imports."""
    own, outside = set(), set()
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                own.add(f"{target}.{alias.name}".strip("."))
            if target:
                own.add(target)
        elif isinstance(node, ast.ImportFrom):
            outside.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            outside.update(alias.name.split(".")[0] for alias in node.names)
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in own if m in modules and m != name}, outside


def reporting_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if module_name(p).split(".")[0] in REPORTING and "__pycache__" not in p.parts
    )


@pytest.mark.parametrize("path", sorted((PACKAGE / "report").glob("*.py")), ids=lambda p: p.name)
def test_rendering_imports_nothing_that_does_io(path: Path) -> None:
    own, outside = imports(path)

    assert {m for m in own if not m.startswith("report")} <= RENDERING_MAY_IMPORT
    assert outside <= PURE_STDLIB


def test_pygithub_is_imported_by_the_github_api_module_alone() -> None:
    importers = [module_name(p) for p in PACKAGE.rglob("*.py") if {"github", "requests"} & imports(p)[1]]

    assert importers == ["github.api"]


def test_the_reporting_modules_are_in_no_import_cycle() -> None:
    graph = {module_name(p): imports(p)[0] for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, set()) - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    cycles = [module_name(p) for p in reporting_modules() if reaches(module_name(p), module_name(p), set())]
    assert cycles == []


@pytest.mark.parametrize("path", reporting_modules(), ids=module_name)
def test_each_reporting_module_stays_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MODULE_LINES
