"""Pin action.yml to the image a release published, for the release commit that the version tags name.

python tools/release_action.py --owner OWNER --digest sha256:<64 hex digits> [action.yml]

On the default branch action.yml says `image: Dockerfile`, so the runner builds the image at the start of
every job that uses the action. The release workflow pushes the image to ghcr.io/<owner>/testrun-action
once, then runs this on a release commit: `image` names that push by digest, so `uses: owner/repo@v1`
pulls bytes that cannot change under the tag. Everything else in the file stays as it is, byte for byte:
the inputs with their defaults, the outputs, and the post step (`post-entrypoint` runs in the same image,
so it is pinned along with it).

The result is checked before it is written: it must parse, keep every input, default, output and `runs`
setting but `image`, and name the digest. A digest that is not `sha256:` and 64 lower-case hex digits, an
owner that is not a GitHub login, or a file that does not say `image: Dockerfile` (one already pinned) is
refused: one line on stderr, exit 2, the file untouched.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
IMAGE_NAME = "testrun-action"
REGISTRY = "ghcr.io"
# An OCI content digest as registries give it: the algorithm GitHub's registry uses, and its 64 hex digits
# (OCI image-spec, "Digests"; Docker prints them in lower case).
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# A GitHub login: letters, digits and single inner hyphens, at most 39 characters (GitHub's sign-up rules).
OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
# The line `make docs` writes (tools/gen_docs.py RUNS); a release rewrites it and nothing else.
DOCKERFILE_LINE = re.compile(r"^(  image: )Dockerfile[ \t]*$", re.MULTILINE)
PINNED_NOTE = "  # A release commit: the image the release workflow published, pinned by digest.\n"


class Refused(Exception):
    """The input cannot make a release's action.yml; the message says why, in one line."""


def image_reference(owner: str, digest: str) -> str:
    """`docker://ghcr.io/<owner>/testrun-action@sha256:…`: registries take lower-case repository names."""
    if not OWNER.fullmatch(owner):
        raise Refused(f"--owner {owner[:60]!r} is not a GitHub user or organization name")
    if not DIGEST.fullmatch(digest):
        raise Refused(f"--digest {digest[:80]!r} is not an image digest: expected sha256: and 64 hex digits")
    return f"docker://{REGISTRY}/{owner.lower()}/{IMAGE_NAME}@{digest}"


def pin(text: str, reference: str) -> str:
    """action.yml's text with `image: Dockerfile` replaced by `reference`; nothing else changes."""
    found = DOCKERFILE_LINE.findall(text)
    if len(found) != 1:
        raise Refused(
            "action.yml must say `image: Dockerfile` once under `runs:` "
            f"(found {len(found)} times; is it pinned already?)"
        )
    return DOCKERFILE_LINE.sub(lambda m: PINNED_NOTE + m.group(1) + reference, text)


def problems(before: str, after: str, reference: str) -> list[str]:
    """What makes `after` unfit as the release's action.yml made from `before`: empty when it is fit."""
    try:
        old: Any = yaml.safe_load(before)
        new: Any = yaml.safe_load(after)
    except yaml.YAMLError as exc:
        return [f"action.yml does not parse: {str(exc).splitlines()[0]}"]
    if not isinstance(new, dict) or not isinstance(old, dict):
        return ["action.yml is not a mapping"]
    found = []
    for key in sorted(set(old) | set(new)):
        if key != "runs" and old.get(key) != new.get(key):
            found.append(f"`{key}` changed")
    runs_old, runs_new = old.get("runs") or {}, new.get("runs") or {}
    if runs_new.get("using") != "docker":
        found.append("runs.using is not docker")
    if runs_new.get("image") != reference:
        found.append(f"runs.image is {runs_new.get('image')!r}, not {reference!r}")
    for key in sorted((set(runs_old) | set(runs_new)) - {"image"}):
        if runs_old.get(key) != runs_new.get(key):
            found.append(f"runs.{key} changed")
    return found


def release_action_yml(text: str, owner: str, digest: str) -> str:
    reference = image_reference(owner, digest)
    pinned = pin(text, reference)
    found = problems(text, pinned, reference)
    if found:
        raise Refused("; ".join(found))
    return pinned


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owner", required=True, help="the GitHub owner whose ghcr.io holds the image")
    parser.add_argument("--digest", required=True, help="the pushed image's digest, sha256:<64 hex>")
    parser.add_argument("action", nargs="?", type=Path, default=ROOT / "action.yml")
    args = parser.parse_args(argv)
    try:
        text = args.action.read_text(encoding="utf-8")
        args.action.write_text(release_action_yml(text, args.owner, args.digest), encoding="utf-8")
    except Refused as exc:
        sys.stderr.write(f"release_action: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"release_action: cannot rewrite {args.action}: {exc.strerror}\n")
        return 2
    sys.stdout.write(f"{args.action}: image pinned to {image_reference(args.owner, args.digest)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
