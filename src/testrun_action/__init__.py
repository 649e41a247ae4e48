"""testrun-action: trigger a remote end-to-end test run, wait for it, and report it on GitHub."""

__version__ = "0.1.0"
