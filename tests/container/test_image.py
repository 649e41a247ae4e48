"""What the built image holds and how it starts, read from the image itself."""

from __future__ import annotations

import json
import subprocess

import yaml
from benchmarks import image as image_figures

from testrun_sim import buildkite, empirical, github, testsigma, testsigma_tms

from .conftest import BuiltImage
from .podman import RUN, podman
from .runner import REPO

# The runtime venv (pydantic-core, PyNaCl, PyGithub, PyYAML, httpx) plus the package, measured here at
# about 32 MB unpacked on top of the base; the budget leaves room for dependency updates, not for a toolchain.
ADDED_BYTES_BUDGET = 80_000_000
# What a runner downloads on top of the base: issue 16 sets at most 15 MB (measured here: about 10 MB).
ADDED_COMPRESSED_BYTES_BUDGET = 15_000_000
# Left out of the image's lock (Makefile `lock`): the action never imports them.
NEVER_IMPORTED = ("cryptography", "pycparser")


def _python(image: BuiltImage, code: str) -> str:
    """Run Python code in the image (bypassing the entrypoint) and return what it printed."""
    done = subprocess.run(
        [*RUN, "--rm", "--entrypoint", "/opt/venv/bin/python", image.name, "-c", code],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _config(image: BuiltImage) -> dict[str, object]:
    config = json.loads(podman("image", "inspect", image.name).stdout)[0]["Config"]
    assert isinstance(config, dict)
    return config


def test_the_image_starts_the_venvs_python_directly_as_root_with_unbuffered_output(
    action_image: BuiltImage,
) -> None:
    config = _config(action_image)
    # Exec form, no shell in between; the interpreter by its full path, whatever PATH the runner sets.
    assert config["Entrypoint"] == ["/opt/venv/bin/python", "-m", "testrun_action"]
    assert config.get("User", "") in ("", "root", "0")
    env = dict(item.split("=", 1) for item in config["Env"])  # type: ignore[attr-defined]
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PYTHONSAFEPATH"] == "1"
    assert env["PATH"].startswith("/opt/venv/bin:")


def test_the_image_holds_no_installer_and_no_compiler(action_image: BuiltImage) -> None:
    found = _python(
        action_image,
        "import importlib.util as u, shutil, os;"
        "print([m for m in ('pip', 'setuptools', 'wheel') if u.find_spec(m)]"
        " + [t for t in ('gcc', 'cc', 'make', 'pip', 'pip3') if shutil.which(t)]"
        " + [f for f in os.listdir('/opt/venv/bin') if f.startswith(('pip', 'activate'))])",
    )
    assert found == "[]"


def test_only_the_package_is_copied_in(action_image: BuiltImage) -> None:
    listed = _python(action_image, "import os; print(sorted(os.listdir('/app')))")
    assert listed == "['testrun_action']"
    version = _python(
        action_image, "import testrun_action, httpx, pydantic, github, yaml; print(testrun_action.__file__)"
    )
    assert version == "/app/testrun_action/__init__.py"


# The simulators' well-known credentials: none may sit in any file of the image, source or bytecode.
WELL_KNOWN_KEYS = sorted(
    value
    for module in (empirical, testsigma, testsigma_tms, buildkite, github)
    for name, value in vars(module).items()
    if name.endswith(("_KEY", "_TOKEN")) and isinstance(value, str)
)

# Prints what of the simulators the image holds: the package importable, a directory named like theirs
# anywhere under /app or the venv, a file under /app that holds one of their keys.
FIND_SIMULATORS = """
import importlib.util, os
keys = [key.encode() for key in {keys!r}]
found = ["testrun_sim importable"] if importlib.util.find_spec("testrun_sim") else []
for top in ("/app", "/opt/venv"):
    for path, dirs, files in os.walk(top):
        found += [os.path.join(path, d) for d in dirs if d in ("testrun_sim", "simulators")]
        for name in files if top == "/app" else ():
            with open(os.path.join(path, name), "rb") as file:
                data = file.read()
            found += [os.path.join(path, name) + ": " + key.decode() for key in keys if key in data]
print(found)
"""


def test_the_image_holds_no_simulator(action_image: BuiltImage) -> None:
    assert len(WELL_KNOWN_KEYS) >= 5, WELL_KNOWN_KEYS  # every service's simulator, and GitHub's tokens
    assert _python(action_image, FIND_SIMULATORS.format(keys=WELL_KNOWN_KEYS)) == "[]"


def test_demo_in_the_image_says_the_simulators_are_left_out(action_image: BuiltImage) -> None:
    done = subprocess.run(
        [*RUN, "--rm", action_image.name, "demo"], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 2
    assert "testrun demo: the simulators (package testrun_sim) are not installed here" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_the_post_entrypoint_named_in_action_yml_is_an_executable_in_the_image(
    action_image: BuiltImage,
) -> None:
    post = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["runs"]["post-entrypoint"]
    assert _python(action_image, f"import os; print(os.access({post!r}, os.X_OK))") == "True"


def test_the_image_stays_small_and_the_performance_page_shows_this_build(action_image: BuiltImage) -> None:
    added = action_image.size_bytes - action_image.base_size_bytes
    assert 0 < added <= ADDED_BYTES_BUDGET, f"the image adds {added / 1e6:.1f} MB to its base"
    # The session recorded this build; the benchmark's table, which docs/performance.md is made from,
    # reads it back.
    shown = image_figures.table(image_figures.measure())
    assert f"| {added / 1e6:.1f} MB | {added / action_image.base_size_bytes:.2f}× |" in shown
    assert f"Built without cache in {action_image.build_seconds:.1f} s;" in shown
    assert action_image.build_seconds > 0


def test_a_runner_downloads_at_most_15_mb_on_top_of_the_base(action_image: BuiltImage) -> None:
    added = action_image.compressed_bytes - action_image.base_compressed_bytes
    assert 0 < added <= ADDED_COMPRESSED_BYTES_BUDGET, f"the image adds {added / 1e6:.1f} MB compressed"
    assert action_image.compressed_bytes < action_image.size_bytes  # gzip'd layers, not the tars
    shown = image_figures.table(image_figures.measure())
    assert f"| added by the action | {added / 1e6:.1f} MB |" in shown


def test_the_image_holds_every_package_the_action_imports_and_none_it_never_does(
    action_image: BuiltImage,
) -> None:
    assert {"pydantic", "pydantic_core", "pygithub", "pynacl", "httpx", "pyyaml"} <= set(
        action_image.packages
    )
    assert not set(NEVER_IMPORTED) & set(action_image.packages)
    # Everything the action and PyGithub import at start-up loads, with nothing missing or warned about.
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('error')\n"
        "import github, testrun_action.cli, testrun_action.flow, testrun_action.post, testrun_action.github.api\n"
        f"never = {NEVER_IMPORTED!r}\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & set(never)))"
    )
    imported = _python(action_image, code)
    assert imported == "[]"
