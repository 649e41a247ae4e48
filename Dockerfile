# The image's base: the official python:3.12-slim multi-arch index (amd64 and arm64), pinned by digest
# so every build starts from the same bytes. It sits on a FROM line of its own because that is the only
# place Dependabot looks for base images (it ignores ARG defaults: dependabot-core#10190).
# Every other stage starts from this stage by name, with no build argument in between: podman 4.3
# (Debian 12's) reads `FROM ${ARG}` whose default names a stage as an image to pull, and the runner and
# act pass no build arguments. Where no registry is reachable, `podman build --from IMAGE` swaps this
# first FROM for a local stand-in without editing the file (tests/container does so).
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea AS python-base

# --- builder: resolve nothing, install exactly the hash-pinned wheels into a venv ------------------
FROM python-base AS builder

# No compiler is installed: every runtime dependency has a wheel for both architectures, and
# --only-binary makes a missing wheel fail the build instead of compiling from an sdist.
# The package itself is copied to /app, not installed (no build step, no metadata to keep); a .pth
# file in the venv puts /app on the venv interpreter's path whatever the environment says.
# The venv gets no pip of its own: the base image's pip installs into it (--python), so nothing in
# /opt/venv can install anything later.
COPY requirements/runtime.lock /tmp/runtime.lock
RUN python -m venv --without-pip /opt/venv \
    && python -m pip --python /opt/venv/bin/python install \
        --no-cache-dir --disable-pip-version-check --no-input \
        --require-hashes --no-deps --only-binary=:all: \
        -r /tmp/runtime.lock \
    && rm -f /opt/venv/bin/activate* /opt/venv/bin/Activate.ps1 \
    && /opt/venv/bin/python -c "import pathlib, sysconfig; \
pathlib.Path(sysconfig.get_path('purelib'), 'testrun_action.pth').write_text('/app\\n')"

# --- final: the interpreter from the base, the venv, and the package; nothing else ---------------
FROM python-base

# The action installs nothing at run time, so the base image's installer goes too (setuptools and
# wheel are absent from python:3.12-slim; naming them covers bases that still ship them).
RUN python -m pip uninstall --yes --no-input pip setuptools wheel

COPY --from=builder /opt/venv /opt/venv
# The action alone: its simulators, demo and sandbox (src/testrun_sim) stay out of the image, and
# .dockerignore keeps them out of the build context (tests/container checks the image for them).
COPY src/testrun_action /app/testrun_action
RUN python -m compileall -q /app
# action.yml's post-entrypoint: --entrypoint takes one executable and no arguments.
COPY docker/testrun-post /usr/local/bin/testrun-post

# PYTHONUNBUFFERED: without a TTY Python block-buffers stdout, and lines still in the buffer when
#   a cancelled step is killed never reach the log (github-platform.md 1.4 and 3.1).
# PYTHONDONTWRITEBYTECODE: bytecode is compiled above, at build time; a container that wrote it again
#   would only lose it with its writable layer.
# PYTHONSAFEPATH: `python -m` would otherwise put the working directory, the user's checkout in
#   /github/workspace, first on sys.path, where any `httpx.py` or `testrun_action/` would shadow ours.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONSAFEPATH=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# No USER: GitHub runs Docker actions as the image's user and mounts the workspace and
# /github/file_commands owned by root; a non-root user cannot write GITHUB_OUTPUT or the job summary
# (EACCES; github-platform.md 1.4, GitHub's "Dockerfile support for GitHub Actions").
# Exec form, no shell in between: Debian's dash drops environment variables with a hyphen in their
# name, such as INPUT_API-KEY, and a shell as PID 1 would not pass SIGINT/SIGTERM on to Python
# (github-platform.md 1.1 and 3.1). No WORKDIR: the runner passes --workdir /github/workspace.
# The venv's interpreter by its full path: act's self-hosted mode replaces the container's PATH with
# the host's, and a bare `python` then found the base's interpreter, which has none of the
# dependencies (ModuleNotFoundError: httpx). The post step's script names the same interpreter in
# its #! line.
ENTRYPOINT ["/opt/venv/bin/python", "-m", "testrun_action"]
